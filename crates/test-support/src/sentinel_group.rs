//! One master, one replica and three Sentinels (quorum 2) on free loopback ports, with the two ways to
//! force a failover: [`SentinelGroup::kill_master`] (a crash: Sentinel notices after its
//! `down-after-milliseconds`, 1 s here) and [`SentinelGroup::failover`] (`SENTINEL FAILOVER`: the master
//! is demoted to a replica while clients may still be connected to it).

use crate::redis_node::{Node, base_args, cli, info_field, os_args, start_node, wait_until};
use std::time::{Duration, Instant};

/// The name the Sentinels monitor the master under (`REDIS_SENTINEL_MASTER`).
pub const SENTINEL_MASTER_NAME: &str = "mymaster";

/// Sentinel's `down-after-milliseconds`: how long the master may be silent before a failover starts.
pub const DOWN_AFTER_MS: u64 = 1000;

#[derive(Debug)]
pub struct SentinelGroup {
    /// The two data nodes, in start order (the first was the master at start).
    servers: Vec<Node>,
    sentinels: Vec<Node>,
    dir: tempfile::TempDir,
}

impl SentinelGroup {
    /// Starts the group and waits until every Sentinel knows the master, the replica and the other two
    /// Sentinels, and the replica is in sync.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new().prefix("redis-sentinel-").tempdir().expect("create a temp dir");
        let master = start_node("redis-server", dir.path(), "master", &[], base_args);
        let master_port = master.port;
        let replica = start_node("redis-server", dir.path(), "replica", &[], |port| {
            let mut args = base_args(port);
            args.extend(os_args(["--replicaof".to_owned(), "127.0.0.1".into(), master_port.to_string()]));
            args
        });
        wait_until("the replica to be in sync", Duration::from_secs(15), || {
            cli(replica.port, &[], &["INFO", "replication"])
                .and_then(|info| info_field(&info, "master_link_status"))
                .is_some_and(|status| status.trim() == "up")
        });
        let sentinel_program = if on_path("redis-sentinel") { "redis-sentinel" } else { "redis-server" };
        let sentinels: Vec<Node> = (0..3)
            .map(|index| {
                let dir_path = dir.path().to_path_buf();
                start_node(sentinel_program, dir.path(), &format!("sentinel{index}"), &[], |port| {
                    let config = dir_path.join(format!("sentinel-{port}.conf"));
                    std::fs::write(
                        &config,
                        format!(
                            "port {port}\nbind 127.0.0.1\ndir {dir}\nsentinel resolve-hostnames no\n\
                             sentinel monitor {SENTINEL_MASTER_NAME} 127.0.0.1 {master_port} 2\n\
                             sentinel down-after-milliseconds {SENTINEL_MASTER_NAME} {DOWN_AFTER_MS}\n\
                             sentinel failover-timeout {SENTINEL_MASTER_NAME} 10000\n\
                             sentinel parallel-syncs {SENTINEL_MASTER_NAME} 1\n",
                            dir = dir_path.display()
                        ),
                    )
                    .expect("write a sentinel config");
                    let mut args = os_args([config.into_os_string()]);
                    if sentinel_program == "redis-server" {
                        args.push("--sentinel".into());
                    }
                    args
                })
            })
            .collect();
        let group = Self { servers: vec![master, replica], sentinels, dir };
        wait_until("every Sentinel to know the replica and the other Sentinels", Duration::from_secs(30), || {
            group.sentinels.iter().all(|sentinel| {
                let count = |what: &str| {
                    cli(sentinel.port, &[], &["SENTINEL", what, SENTINEL_MASTER_NAME])
                        .map_or(0, |text| text.lines().filter(|line| line.trim() == "name").count())
                };
                count("replicas") == 1 && count("sentinels") == 2
            })
        });
        group
    }

    /// `redis://127.0.0.1:S1,redis://127.0.0.1:S2,redis://127.0.0.1:S3` (for `REDIS_URL`).
    pub fn url(&self) -> String {
        self.sentinels
            .iter()
            .map(|sentinel| format!("redis://127.0.0.1:{}", sentinel.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn master_name(&self) -> &'static str {
        SENTINEL_MASTER_NAME
    }

    /// The master's port as the first Sentinel that answers names it.
    pub fn master_port(&self) -> Option<u16> {
        self.sentinels.iter().find_map(|sentinel| {
            let reply = cli(sentinel.port, &[], &["SENTINEL", "get-master-addr-by-name", SENTINEL_MASTER_NAME])?;
            reply.lines().nth(1)?.trim().parse().ok()
        })
    }

    /// The ports of the two data nodes (whichever is master now).
    pub fn server_ports(&self) -> Vec<u16> {
        self.servers.iter().map(|server| server.port).collect()
    }

    /// Kills the current master (SIGKILL) and returns its port.
    pub fn kill_master(&mut self) -> u16 {
        let port = self.master_port().expect("the Sentinels name a master");
        let server =
            self.servers.iter_mut().find(|server| server.port == port).expect("the master is one of the group");
        server.kill();
        port
    }

    /// `SENTINEL FAILOVER`: the replica is promoted and the master demoted, both staying up. Returns the
    /// old master's port.
    pub fn failover(&self) -> u16 {
        let port = self.master_port().expect("the Sentinels name a master");
        let reply = cli(self.sentinels[0].port, &[], &["SENTINEL", "FAILOVER", SENTINEL_MASTER_NAME]);
        assert!(reply.is_some_and(|reply| reply.trim() == "OK"), "SENTINEL FAILOVER was refused");
        port
    }

    /// Waits until the Sentinels name a master other than `old_port` and it answers as a master; returns
    /// its port and how long that took.
    pub fn wait_for_new_master(&self, old_port: u16, timeout: Duration) -> (u16, Duration) {
        let started = Instant::now();
        let mut new_port = None;
        wait_until("the Sentinels to promote a new master", timeout, || {
            new_port = self.master_port().filter(|&port| port != old_port).filter(|&port| {
                cli(port, &[], &["ROLE"])
                    .is_some_and(|role| role.lines().next().is_some_and(|line| line.trim() == "master"))
            });
            new_port.is_some()
        });
        (new_port.unwrap_or(old_port), started.elapsed())
    }

    /// Freezes the replica (SIGSTOP): its connection to the master stays open but it acknowledges
    /// nothing, as a replica stuck on a slow disk or a partition would. Returns its port.
    pub fn pause_replica(&self) -> u16 {
        self.signal_replica("-STOP")
    }

    /// Lets the frozen replica run again (SIGCONT).
    pub fn resume_replica(&self) -> u16 {
        self.signal_replica("-CONT")
    }

    fn signal_replica(&self, signal: &str) -> u16 {
        let master = self.master_port().expect("the Sentinels name a master");
        let replica = self
            .servers
            .iter()
            .find(|server| server.port != master && server.child.is_some())
            .expect("a running replica");
        let pid = replica.child.as_ref().map(crate::ChildGroup::id).expect("the replica runs");
        let status = std::process::Command::new("kill").args([signal, &pid.to_string()]).status().expect("run kill");
        assert!(status.success(), "kill {signal} {pid} failed");
        replica.port
    }

    /// `redis-cli` on one data node.
    pub fn cli(&self, port: u16, args: &[&str]) -> Option<String> {
        cli(port, &[], args)
    }

    /// The group's temp dir (configs and logs).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}
