//! `SIGHUP`, the conventional "re-read your files" signal: one listener per process that runs the
//! service's reload for every signal, in order, for the life of the process. Installing it also means a
//! `SIGHUP` sent to every service (a config-management habit) never ends one of them.

use std::future::Future;

/// Runs `reload` on every `SIGHUP`; each reload finishes before the next signal is handled.
pub fn on_hangup<F, Fut>(mut reload: F) -> std::io::Result<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            reload().await;
        }
    });
    Ok(())
}
