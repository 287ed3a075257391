//! Waiting for a helper process the harness spawned (nginx as gateway or balancer, Caddy, ...) to accept
//! connections: one loop, so that every such process fails the same way, early and with its log, when it
//! exits during start instead of leaving the test to time out against a closed port.

use std::path::Path;
use std::time::{Duration, Instant};

use test_support::ChildGroup;
use tokio::net::TcpStream;

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
