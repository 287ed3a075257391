//! The process groups of `test_support::child_group`: what the child reports, and that nothing the
//! harness started survives it, even when the test process is killed outright.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use test_support::{GroupCommand, RedisServer};

/// Set for the subprocess that runs [`hold_a_redis_server_until_killed`].
const HOLDER: &str = "TEST_SUPPORT_HOLD_REDIS";

/// Whether a process has exited: no `/proc` entry, or a zombie nobody reaped yet (its ports and
/// memory are already released).
fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {timeout:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Not a test of its own: the subprocess of
/// [`a_redis_server_dies_with_the_test_process_that_was_killed`] starts Redis here, says where, and
/// waits to be killed.
#[test]
#[ignore = "a helper that a_redis_server_dies_with_the_test_process_that_was_killed runs in a subprocess"]
fn hold_a_redis_server_until_killed() {
    if std::env::var_os(HOLDER).is_none() {
        return;
    }
    let redis = RedisServer::start();
    // Straight to the file descriptor: the test harness may capture `println!`.
    let mut stdout = std::io::stdout();
    writeln!(stdout, "redis {} {}", redis.port(), redis.pid().unwrap()).unwrap();
    stdout.flush().unwrap();
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

#[test]
fn a_redis_server_dies_with_the_test_process_that_was_killed() {
    let mut holder = Command::new(std::env::current_exe().unwrap())
        .args(["hold_a_redis_server_until_killed", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(HOLDER, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = holder.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // libtest writes `test NAME ... ` first, on the same line.
            if let Some((port, pid)) = line.rsplit_once("redis ").and_then(|(_, rest)| rest.split_once(' ')) {
                let _ = sender.send((port.parse::<u16>().unwrap(), pid.parse::<u32>().unwrap()));
            }
        }
    });
    let Ok((port, pid)) = receiver.recv_timeout(Duration::from_secs(60)) else {
        holder.kill().unwrap();
        panic!("the holder did not report its Redis within 60 s");
    };
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok(), "the holder's Redis should be listening");
    assert!(!exited(pid));

    // SIGKILL: no destructor of the holder runs.
    holder.kill().unwrap();
    holder.wait().unwrap();

    // Both within 5 s of the kill. The port is awaited too rather than checked once: redis-server has
    // threads, and its main thread can already show as a zombie while the others still hold the
    // process's files, the listening socket among them (seen once in CI).
    let deadline = Instant::now() + Duration::from_secs(5);
    let left = || deadline.saturating_duration_since(Instant::now());
    wait_until("the killed holder's redis-server should have exited", left(), || exited(pid));
    wait_until(&format!("nothing should listen on {port} any more"), left(), || {
        TcpStream::connect(("127.0.0.1", port)).is_err()
    });
}

#[test]
fn the_child_is_the_command_itself_with_its_own_status_and_output() {
    let mut child = GroupCommand::new("sh")
        .args(["-c", r#"echo "pid $$"; echo to-stderr >&2; read line; echo "stdin [$line]"; exit 3"#])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout, format!("pid {}\nstdin []\n", child.id()), "its input is /dev/null");
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "to-stderr\n");
}

#[test]
fn kill_takes_the_commands_own_children_too() {
    let mut child =
        GroupCommand::new("sh").args(["-c", "sleep 300 & echo $!; wait"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.take_stdout().unwrap()).read_line(&mut first).unwrap();
    let grandchild: u32 = first.trim().parse().unwrap();
    assert!(!exited(grandchild));

    child.kill();

    assert!(exited(child.id()) || child.try_wait().unwrap().is_some());
    wait_until("the command's own child should have exited", Duration::from_secs(5), || exited(grandchild));
}

#[test]
fn a_program_not_on_the_path_is_a_not_found_error() {
    let err = GroupCommand::new("no-such-program-anywhere").spawn().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
}
