//! A one-node Redis Cluster owning all 16384 slots: cheap, yet it enforces what a real cluster does to
//! scripts (every key in `KEYS`, all in one slot, or CROSSSLOT). The three-master cluster runs in the
//! end-to-end tests.

use std::process::Stdio;
use std::time::{Duration, Instant};
use test_support::{ChildGroup, GroupCommand, free_port};

pub struct SingleNodeCluster {
    port: u16,
    child: ChildGroup,
    _dir: tempfile::TempDir,
}

impl SingleNodeCluster {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = GroupCommand::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server");
        let cluster = Self { port, child, _dir: dir };
        let client = redis::Client::open(cluster.url()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut connection = loop {
            match client.get_connection() {
                Ok(connection) => break connection,
                Err(error) if Instant::now() > deadline => panic!("the cluster node did not start: {error}"),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        let _: () = redis::cmd("CLUSTER").arg("ADDSLOTSRANGE").arg(0).arg(16383).query(&mut connection).unwrap();
        loop {
            let info: String = redis::cmd("CLUSTER").arg("INFO").query(&mut connection).unwrap();
            if info.contains("cluster_state:ok") {
                return cluster;
            }
            assert!(Instant::now() < deadline, "the cluster never came up: {info}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url()).unwrap().get_multiplexed_async_connection().await.unwrap()
    }
}

impl Drop for SingleNodeCluster {
    fn drop(&mut self) {
        self.child.kill();
    }
}
