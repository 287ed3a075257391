//! Long-running child processes (Redis, the services, nginx, Node) that die with the test process:
//! each runs in a process group of its own, watched by a shell that kills the whole group as soon as
//! the test process is gone.
//!
//! Dropping a [`ChildGroup`] kills it, which covers a test that ends or panics. It does not cover a
//! test process that is itself killed: SIGKILL (a CI timeout, the OOM killer) and Ctrl-C's SIGINT
//! run no destructors, and the children would live on as orphans holding their ports.
//!
//! Linux's `prctl(PR_SET_PDEATHSIG)` is not used: it must be called between fork and exec, in
//! `CommandExt::pre_exec`, an unsafe fn, and the workspace forbids unsafe code. It would also fire
//! when the spawning *thread* ends (every test runs on a thread of its own) and reach only the
//! direct child, not nginx's workers.
//!
//! Instead [`GroupCommand`] runs `/bin/sh` as the leader of a new process group
//! (`process_group(0)`). The shell forks a watcher that blocks reading a pipe whose only writer is
//! the test process, then `exec`s the command, so the child's pid, exit status and output are the
//! command's own. When the test process ends, however it ends, the kernel closes its end of the
//! pipe; the watcher reads end-of-file and kills its process group: the command, anything the
//! command started, and the watcher itself. The group of its own is what confines that kill to the
//! child's tree (it would otherwise take the test process and cargo with it); it also keeps the
//! terminal's Ctrl-C, which goes to the foreground group, off the children, so that their end is
//! always the watcher's. [`ChildGroup::kill`] closes the pipe too: one way to stop, tested by the
//! crash test in `tests/child_group.rs`.
//!
//! Short commands that the tests run to completion (`kill`, `nginx -s stop`, the services'
//! administration subcommands) stay plain [`Command`]s: they end by themselves.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio};

/// Run by `/bin/sh -c` with the command as `"$@"`. Fd 3 keeps the pipe from the test process (a
/// background list's standard input is `/dev/null`); the watcher's `read` is a builtin, so an empty
/// `PATH` cannot make it end early, and its output goes nowhere, so that it never holds the
/// command's stdout or stderr pipes open. The command gets `/dev/null` as its input and not fd 3.
const WATCHED_EXEC: &str = r#"exec 3<&0 </dev/null
{ while read -r line <&3; do :; done; kill -9 0; } >/dev/null 2>&1 &
exec "$@" 3<&-"#;

/// A [`Command`] to be run by [`GroupCommand::spawn`] as a [`ChildGroup`]. It offers the builder
/// methods the tests use; its standard input is always `/dev/null`.
#[derive(Debug)]
pub struct GroupCommand {
    command: Command,
    /// The program, resolved on the `PATH` now: the shell's own "not found" would only be an exit
    /// code 127, where a missing `redis-server` should be a spawn error the caller can explain.
    program: Result<PathBuf, OsString>,
}

impl GroupCommand {
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        let program = resolve(program.as_ref());
        let mut command = Command::new("/bin/sh");
        command.arg("-c").arg(WATCHED_EXEC).arg("sh");
        if let Ok(path) = &program {
            command.arg(path);
        }
        Self { command, program }
    }

    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        self.command.env(key, value);
        self
    }

    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.command.envs(vars);
        self
    }

    pub fn env_clear(&mut self) -> &mut Self {
        self.command.env_clear();
        self
    }

    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.command.current_dir(dir);
        self
    }

    pub fn stdout(&mut self, stdout: impl Into<Stdio>) -> &mut Self {
        self.command.stdout(stdout);
        self
    }

    pub fn stderr(&mut self, stderr: impl Into<Stdio>) -> &mut Self {
        self.command.stderr(stderr);
        self
    }

    /// Starts the command in a new process group, watched as the module docs say. `NotFound` when
    /// the program is not on the `PATH`.
    pub fn spawn(&mut self) -> io::Result<ChildGroup> {
        if let Err(program) = &self.program {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} not found on the PATH", program.to_string_lossy()),
            ));
        }
        let mut child = self.command.stdin(Stdio::piped()).process_group(0).spawn()?;
        let watchdog = child.stdin.take();
        Ok(ChildGroup { child, watchdog })
    }
}

/// A program name as `execvp` would find it: a path as is, a bare name on the `PATH`.
fn resolve(program: &OsStr) -> Result<PathBuf, OsString> {
    let path = Path::new(program);
    if path.components().count() > 1 {
        return Ok(path.to_path_buf());
    }
    let search = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&search)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| program.to_os_string())
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// A running [`GroupCommand`]: the command is the group's leader. Killed with its whole group on
/// [`ChildGroup::kill`], on drop, and when the test process dies.
#[derive(Debug)]
pub struct ChildGroup {
    child: Child,
    /// The test process's end of the watcher's pipe: closing it kills the group.
    watchdog: Option<ChildStdin>,
}

impl ChildGroup {
    /// The command's pid, which is also its process group's id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The command's stdout, when it was piped (once).
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        self.child.wait()
    }

    /// Waits for the command to exit by itself and collects what it wrote to piped stdout and
    /// stderr (empty for streams that were not piped).
    pub fn wait_with_output(&mut self) -> io::Result<Output> {
        let stderr = self.child.stderr.take().map(|mut stderr| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                stderr.read_to_end(&mut bytes).map(|_| bytes)
            })
        });
        let mut stdout = Vec::new();
        if let Some(mut pipe) = self.child.stdout.take() {
            pipe.read_to_end(&mut stdout)?;
        }
        let stderr = match stderr {
            Some(reader) => reader.join().map_err(|_| io::Error::other("the stderr reader panicked"))??,
            None => Vec::new(),
        };
        let status = self.child.wait()?;
        Ok(Output { status, stdout, stderr })
    }

    /// Kills the whole group (SIGKILL) and reaps the command. Does nothing more once done.
    pub fn kill(&mut self) {
        // The watcher kills the group when its pipe closes; the leader is also killed directly so
        // that it is gone when this returns even if someone killed the watcher.
        drop(self.watchdog.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildGroup {
    fn drop(&mut self) {
        self.kill();
    }
}
