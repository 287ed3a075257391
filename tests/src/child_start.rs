//! Finding and waiting for a helper process the harness spawns (nginx as gateway or balancer, Caddy, ...):
//! one lookup, so that every missing program is reported with the same install hint, and one wait loop,
//! so that every such process fails the same way, early and with its log, when it exits during start
//! instead of leaving the test to time out against a closed port; and one way to stop it on drop that
//! shows its log when the test failed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use test_support::ChildGroup;
use tokio::net::TcpStream;

/// A helper program: `$env_var` when set, else `name` on the `PATH`, else `fallback` (where Debian's
/// package puts it). Panics with how to install it when none of them is a file.
pub fn find_binary(env_var: &str, name: &str, fallback: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env_var) {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|path| path.is_file()))
        .unwrap_or_default();
    let path = on_path.unwrap_or_else(|| PathBuf::from(fallback));
    assert!(
        path.is_file(),
        "{name} not found (looked on the PATH and at {fallback}): `make test` installs it when run as root; \
         otherwise run `apt-get install -y {name}`, or set {env_var} to its path"
    );
    path
}

/// The text of a helper process's log file, or why there is none.
pub fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| format!("(no log: {err})"))
}

/// Waits until `127.0.0.1:port` accepts a connection. Panics with the log at `log_path` when `child`
/// exits first (and clears it, so nothing kills a gone process later) or when `timeout` passes.
pub async fn wait_accepting(child: &mut Option<ChildGroup>, port: u16, name: &str, timeout: Duration, log_path: &Path) {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(running) = child.as_mut()
            && let Ok(Some(status)) = running.try_wait()
        {
            *child = None;
            panic!("{name} exited with {status} during start; its log:\n{}", read_log(log_path));
        }
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} did not accept connections on port {port} within {timeout:?}; its log:\n{}",
            read_log(log_path)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Prints the log at `log_path` of the helper process `name` on `port` when the current thread is
/// panicking (a failing test), so that the failure shows what the process said.
pub fn show_log_if_panicking(name: &str, port: u16, log_path: &Path) {
    if std::thread::panicking() {
        eprintln!("----- log of {name} (port {port}) -----\n{}", read_log(log_path));
    }
}

/// Kills `child`'s process group (if it still runs) and then [`show_log_if_panicking`]: what a helper
/// process's `Drop` does when it needs no graceful stop.
pub fn kill_and_show_log(child: &mut Option<ChildGroup>, name: &str, port: u16, log_path: &Path) {
    if let Some(mut running) = child.take() {
        running.kill();
    }
    show_log_if_panicking(name, port, log_path);
}
