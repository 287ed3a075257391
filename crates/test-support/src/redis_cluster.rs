//! A Redis Cluster on free loopback ports: three masters (optionally each with one replica), every
//! node with `--cluster-enabled yes` and its bus on a free port of its own (`--cluster-port`, so the
//! usual port+10000 can't collide), joined with `redis-cli --cluster create ... --cluster-yes`.

use crate::redis_node::{Node, base_args, cli, info_field, os_args, start_node, wait_until};
use std::process::{Command, Stdio};
use std::time::Duration;

#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<Node>,
    dir: tempfile::TempDir,
}

impl RedisCluster {
    /// Three masters, no replicas.
    pub fn start() -> Self {
        Self::start_with_replicas(0)
    }

    /// Three masters with `replicas` replicas each; waits until every node reports `cluster_state:ok`.
    pub fn start_with_replicas(replicas: usize) -> Self {
        let dir = tempfile::Builder::new().prefix("redis-cluster-").tempdir().expect("create a temp dir");
        let count = 3 * (1 + replicas);
        let nodes: Vec<Node> = (0..count)
            .map(|index| {
                let bus_port = crate::ports::free_port();
                start_node("redis-server", dir.path(), &format!("node{index}"), &[], move |port| {
                    let mut args = base_args(port);
                    args.extend(os_args([
                        "--cluster-enabled".to_owned(),
                        "yes".into(),
                        "--cluster-port".into(),
                        bus_port.to_string(),
                        "--cluster-config-file".into(),
                        format!("nodes-{port}.conf"),
                        "--cluster-node-timeout".into(),
                        "2000".into(),
                    ]));
                    args
                })
            })
            .collect();
        let addresses: Vec<String> = nodes.iter().map(|node| format!("127.0.0.1:{}", node.port)).collect();
        let output = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli is not installed: `apt-get install redis-tools` (or run .ci/run)");
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let cluster = Self { nodes, dir };
        wait_until("every cluster node to report cluster_state:ok", Duration::from_secs(30), || {
            cluster.nodes.iter().all(|node| {
                cli(node.port, &[], &["CLUSTER", "INFO"])
                    .and_then(|info| info_field(&info, "cluster_state"))
                    .is_some_and(|state| state.trim() == "ok")
            })
        });
        if replicas > 0 {
            wait_until("every replica to be in sync", Duration::from_secs(30), || {
                cluster.nodes.iter().all(|node| {
                    let Some(info) = cli(node.port, &[], &["INFO", "replication"]) else { return false };
                    info_field(&info, "role").is_some_and(|role| role.trim() == "master")
                        || info_field(&info, "master_link_status").is_some_and(|status| status.trim() == "up")
                })
            });
        }
        cluster
    }

    /// `redis://127.0.0.1:P1,...` of every node (for `REDIS_URL` with `REDIS_CLUSTER=true`).
    pub fn url(&self) -> String {
        self.nodes.iter().map(|node| format!("redis://127.0.0.1:{}", node.port)).collect::<Vec<_>>().join(",")
    }

    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|node| node.port).collect()
    }

    /// The port of the master that owns `key`'s slot (`CLUSTER KEYSLOT`, then `CLUSTER SHARDS`' view
    /// through `CLUSTER SLOTS`).
    pub fn master_port_of(&self, key: &str) -> u16 {
        let first = self.nodes[0].port;
        let slot: u16 = cli(first, &[], &["CLUSTER", "KEYSLOT", key])
            .and_then(|reply| reply.trim().parse().ok())
            .expect("CLUSTER KEYSLOT answers");
        let slots = cli(first, &[], &["CLUSTER", "SLOTS"]).expect("CLUSTER SLOTS answers");
        // redis-cli prints the nested reply one value per line: start, end, master ip, master port, id, ...
        let lines: Vec<&str> = slots.lines().map(str::trim).collect();
        for window in lines.windows(4) {
            if let (Ok(start), Ok(end), Ok(port)) =
                (window[0].parse::<u16>(), window[1].parse::<u16>(), window[3].parse::<u16>())
                && window[2] == "127.0.0.1"
                && (start..=end).contains(&slot)
            {
                return port;
            }
        }
        panic!("no master owns slot {slot}:\n{slots}");
    }

    /// `redis-cli` on one node.
    pub fn cli(&self, port: u16, args: &[&str]) -> Option<String> {
        cli(port, &[], args)
    }

    /// The cluster's temp dir (node configs and logs).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}
