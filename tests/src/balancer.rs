//! A real nginx balancing round-robin over several replicas of one service, as a Kubernetes Service or
//! any load balancer in front of a Deployment does: each request goes to the next replica in turn. Used
//! to run the token service as two replicas (key rotation across replicas). Like the gateway, nginx runs
//! in the foreground in a `test_support::ChildGroup` and stops on drop.

use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

use crate::child_start::{kill_and_show_log, read_log, wait_accepting};
use crate::gateway::{nginx_binary, temp_paths};
use test_support::{ChildGroup, GroupCommand};

/// How long nginx may take to accept connections after it was spawned.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// nginx round-robin over `127.0.0.1:<port>` of each replica.
#[derive(Debug)]
pub struct RoundRobin {
    child: Option<ChildGroup>,
    port: u16,
    log_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl RoundRobin {
    /// The configuration: one upstream of the replicas, with no passive health checks (`max_fails=0`), so
    /// that a replica's every answer, good or bad, reaches the test instead of being hidden by a retry
    /// on the other one.
    fn conf(replica_ports: &[u16], port: u16, dir: &std::path::Path) -> String {
        let servers: String =
            replica_ports.iter().map(|replica| format!("        server 127.0.0.1:{replica} max_fails=0;\n")).collect();
        let temp = temp_paths(dir);
        let pid = dir.join("nginx.pid").display().to_string();
        format!(
            r#"worker_processes 1;
error_log stderr warn;
pid {pid};
events {{ worker_connections 1024; }}
http {{
{temp}    access_log off;
    upstream replicas {{
{servers}        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream off;
        }}
    }}
}}
"#
        )
    }

    /// Starts nginx on `port` in front of `replica_ports` and waits until it accepts.
    pub async fn start(replica_ports: &[u16], port: u16) -> RoundRobin {
        let dir = tempfile::Builder::new().prefix("e2e-balancer-").tempdir().expect("create a temp dir");
        set_mode_0755(dir.path());
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, Self::conf(replica_ports, port, dir.path())).expect("write nginx.conf");
        let log_path = dir.path().join("nginx.log");
        let log = File::options().create(true).append(true).open(&log_path).expect("open the nginx log file");
        let child = GroupCommand::new(nginx_binary())
            .args(["-e", "stderr", "-p"])
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .stdout(log.try_clone().expect("clone a log file handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("could not start nginx: {err}"));
        let mut balancer = RoundRobin { child: Some(child), port, log_path, _dir: dir };
        balancer.wait_accepting().await;
        balancer
    }

    async fn wait_accepting(&mut self) {
        wait_accepting(&mut self.child, self.port, "nginx (balancer)", START_TIMEOUT, &self.log_path).await;
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        read_log(&self.log_path)
    }
}

impl Drop for RoundRobin {
    fn drop(&mut self) {
        kill_and_show_log(&mut self.child, "nginx (balancer)", self.port, &self.log_path);
    }
}

#[cfg(unix)]
fn set_mode_0755(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod the balancer temp dir");
}

#[cfg(not(unix))]
fn set_mode_0755(_path: &std::path::Path) {}
