//! What the Redis topologies of the tests share: starting one `redis-server` (or Sentinel) on a free
//! port in a [`ChildGroup`], asking a node something with `redis-cli`, and waiting for a condition.

use crate::child_group::{ChildGroup, GroupCommand};
use crate::ports::free_port;
use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One running node: its port and its process group (killed on drop).
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) port: u16,
    pub(crate) child: Option<ChildGroup>,
}

impl Node {
    /// Kills the node (SIGKILL, as a crash would).
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
    }
}

/// Starts `program` with the arguments `args(port)` gives for a free port, retrying on other ports
/// when another process took it first, and waits until `redis-cli PING` answers (`cli_tls` adds the
/// TLS options redis-cli needs). Panics with the node's log when it never answers.
pub(crate) fn start_node(
    program: &str,
    dir: &Path,
    name: &str,
    cli_tls: &[OsString],
    args: impl Fn(u16) -> Vec<OsString>,
) -> Node {
    let mut last_log = String::new();
    for _ in 0..5 {
        let port = free_port();
        let log_path = dir.join(format!("{name}-{port}.log"));
        let log = std::fs::File::create(&log_path).expect("create a redis log file");
        let child = GroupCommand::new(program)
            .args(args(port))
            .current_dir(dir)
            .stdout(log.try_clone().expect("clone a log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| {
                panic!("{program} could not be started ({error}): `apt-get install redis-server redis-sentinel redis-tools` (or run .ci/run)")
            });
        let mut node = Node { port, child: Some(child) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if cli(port, cli_tls, &["PING"]).is_some_and(|reply| reply.trim() == "PONG") {
                return node;
            }
            let exited = node.child.as_mut().is_some_and(|child| matches!(child.try_wait(), Ok(Some(_))));
            if exited {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        node.kill();
        last_log = std::fs::read_to_string(&log_path).unwrap_or_default();
    }
    panic!("{program} ({name}) did not start on any of 5 free ports; its last log:\n{last_log}");
}

/// `redis-cli -p PORT ARGS...` on 127.0.0.1: its output, or `None` when it failed (no server, an error
/// reply).
pub(crate) fn cli(port: u16, tls: &[OsString], args: &[&str]) -> Option<String> {
    let output = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(tls)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("redis-cli is not installed: `apt-get install redis-tools` (or run .ci/run)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success() && !text.starts_with("ERR") && !text.starts_with("(error)")).then_some(text)
}

/// The value of `field:` in an `INFO` answer.
pub(crate) fn info_field(info: &str, field: &str) -> Option<String> {
    info.lines().find_map(|line| line.trim().strip_prefix(field)?.strip_prefix(':').map(str::to_owned))
}

/// Polls `done` every 50 ms until it holds; panics naming `what` after `timeout`.
pub(crate) fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Owned arguments from string slices.
pub(crate) fn os_args<I, S>(args: I) -> Vec<OsString>
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    args.into_iter().map(Into::into).collect()
}

/// The arguments every test node gets: loopback only, nothing on disk.
pub(crate) fn base_args(port: u16) -> Vec<OsString> {
    os_args([
        "--port".to_owned(),
        port.to_string(),
        "--bind".into(),
        "127.0.0.1".into(),
        "--save".into(),
        String::new(),
        "--appendonly".into(),
        "no".into(),
    ])
}
