//! The pool against real topologies started by `test_support`: a TLS server with a private CA, a
//! Sentinel group whose master is killed or demoted, and a three-master Cluster. Each test builds its
//! configuration from the same variables the services read.

use redis::AsyncCommands;
use redis_kit::{RedisConfig, RedisPool, RedisTimeouts, RedisVars, TopologyReport};
use std::time::{Duration, Instant};
use test_support::{RedisCluster, RedisServer, SentinelGroup, TlsRedisServer};

fn config(url: &str, ca_file: Option<&str>, master: Option<&str>, cluster: Option<&str>) -> RedisConfig {
    RedisVars::new(Some(url), ca_file, master, cluster)
        .into_config()
        .expect("valid settings")
        .expect("REDIS_URL is set")
}

fn pool(config: &RedisConfig) -> RedisPool {
    RedisPool::new(config, RedisTimeouts::default()).expect("pool")
}

async fn set(pool: &RedisPool, key: &str, value: &str) -> Result<(), redis_kit::RedisError> {
    let (key, value) = (key.to_owned(), value.to_owned());
    pool.run("set", |mut connection| async move { connection.set::<_, _, ()>(key, value).await }).await
}

async fn get(pool: &RedisPool, key: &str) -> Result<Option<String>, redis_kit::RedisError> {
    let key = key.to_owned();
    pool.run("get", |mut connection| async move { connection.get(key).await }).await
}

/// Retries `set` until it succeeds; how long that took.
async fn until_writable(pool: &RedisPool, key: &str, timeout: Duration) -> Duration {
    let started = Instant::now();
    while set(pool, key, "after").await.is_err() {
        assert!(started.elapsed() < timeout, "the pool did not write again within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_with_the_private_ca_connects_and_a_foreign_ca_is_refused() {
    let server = TlsRedisServer::start_with_password(Some("tls-secret"));
    let ca = server.ca_file();
    let trusted = pool(&config(&server.url(), ca.to_str(), None, None));
    set(&trusted, "k", "v").await.expect("a write over TLS");
    assert_eq!(get(&trusted, "k").await.expect("a read over TLS").as_deref(), Some("v"));
    assert_eq!(trusted.topology(), TopologyReport::Standalone);

    let other = server.other_ca_file();
    let foreign = pool(&config(&server.url(), other.to_str(), None, None));
    assert!(foreign.ping().await.is_err(), "a server whose certificate the CA did not sign must be refused");
    // The system roots do not hold the test CA either.
    let system = pool(&config(&server.url(), None, None, None));
    assert!(system.ping().await.is_err(), "a private CA must be configured to be trusted");
}

#[tokio::test(flavor = "multi_thread")]
async fn sentinel_pool_follows_a_killed_master_without_a_restart() {
    let mut group = SentinelGroup::start();
    let pool = pool(&config(&group.url(), None, Some(group.master_name()), None));
    set(&pool, "before", "1").await.expect("a write through Sentinel");
    let old = group.master_port().expect("a master");
    assert_eq!(pool.topology(), TopologyReport::Sentinel { master: Some(format!("127.0.0.1:{old}")) });

    // Acknowledged only once the replica has it: it survives the master's death.
    let durable = pool
        .run_durable("durable_set", "durable", |mut connection| async move {
            connection.set::<_, _, ()>("durable", "kept").await
        })
        .await;
    durable.expect("a durable write with a live replica");

    group.kill_master();
    let outage = until_writable(&pool, "after", Duration::from_secs(30)).await;
    let (new, _) = group.wait_for_new_master(old, Duration::from_secs(5));
    assert_ne!(new, old);
    assert_eq!(pool.topology(), TopologyReport::Sentinel { master: Some(format!("127.0.0.1:{new}")) });
    assert_eq!(get(&pool, "durable").await.expect("a read").as_deref(), Some("kept"));
    eprintln!("sentinel: writes failed for {:.1} s after the master was killed", outage.as_secs_f64());
}

#[tokio::test(flavor = "multi_thread")]
async fn sentinel_pool_follows_a_demoted_master() {
    let group = SentinelGroup::start();
    let pool = pool(&config(&group.url(), None, Some(group.master_name()), None));
    set(&pool, "before", "1").await.expect("a write through Sentinel");
    // The old master stays up and becomes a replica (Sentinel reconfigures it shortly after promoting
    // the other): the pool's connections to it then answer READONLY, and it must move to the new master.
    let old = group.failover();
    let (new, _) = group.wait_for_new_master(old, Duration::from_secs(30));
    let started = Instant::now();
    for attempt in 0.. {
        let value = format!("after-{attempt}");
        let written = set(&pool, "after", &value).await.is_ok();
        let on_new = group.cli(new, &["GET", "after"]).unwrap_or_default();
        if written && on_new.trim() == value {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "writes did not reach the new master within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(pool.topology(), TopologyReport::Sentinel { master: Some(format!("127.0.0.1:{new}")) });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_durable_write_is_refused_while_no_replica_acknowledges_it() {
    let group = SentinelGroup::start();
    let pool = pool(&config(&group.url(), None, Some(group.master_name()), None));
    let durable = |value: &'static str| {
        let pool = pool.clone();
        async move {
            pool.run_durable("durable_set", "revoked", move |mut connection| async move {
                connection.set::<_, _, ()>("revoked", value).await
            })
            .await
        }
    };
    durable("1").await.expect("acknowledged by the replica");
    group.pause_replica();
    let started = Instant::now();
    let refused = durable("2").await;
    let waited = started.elapsed();
    group.resume_replica();
    assert!(refused.is_err(), "a write no replica has must not be acknowledged");
    assert!(waited < RedisTimeouts::default().command, "refused by WAIT's own timeout, not the pool's ({waited:?})");
    durable("3").await.expect("acknowledged again once the replica is back");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_standalone_server_without_replicas_acknowledges_durable_writes_at_once() {
    let server = RedisServer::start();
    let pool = pool(&config(&server.url(), None, None, None));
    let started = Instant::now();
    pool.run_durable("durable_set", "k", |mut connection| async move { connection.set::<_, _, ()>("k", "v").await })
        .await
        .expect("no replica to wait for");
    assert!(started.elapsed() < Duration::from_millis(400), "WAIT was skipped: {:?}", started.elapsed());
}

/// A `SCAN` over the keys of one hash tag reaches them all on a Cluster when sent to the tag's node
/// (`query_on_node_of`); the admin listing of accounts depends on it.
#[tokio::test(flavor = "multi_thread")]
async fn a_scan_sent_to_a_hash_tags_node_finds_every_key_of_the_tag_on_a_cluster() {
    let cluster = RedisCluster::start();
    let pool = pool(&config(&cluster.url(), None, None, Some("true")));
    for index in 0..20 {
        set(&pool, &format!("{{tag}}:item:{index}"), "x").await.expect("a write");
        set(&pool, &format!("other:{index}"), "x").await.expect("a write");
    }
    let mut found = std::collections::BTreeSet::new();
    let mut cursor = 0_u64;
    loop {
        let (next, keys): (u64, Vec<String>) = pool
            .run("scan", |mut connection| async move {
                let mut scan = redis::cmd("SCAN");
                scan.arg(cursor).arg("MATCH").arg("{tag}:item:*").arg("COUNT").arg(5);
                connection.query_on_node_of("{tag}:", scan).await
            })
            .await
            .expect("a scan");
        found.extend(keys);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    assert_eq!(found.len(), 20, "{found:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cluster_pool_reaches_every_master_and_keeps_tagged_keys_together() {
    let cluster = RedisCluster::start();
    let pool = pool(&config(&cluster.url(), None, None, Some("true")));
    assert_eq!(pool.topology(), TopologyReport::Cluster);
    let keys: Vec<String> = (0..30).map(|index| format!("user:{index}")).collect();
    let masters: std::collections::HashSet<u16> = keys.iter().map(|key| cluster.master_port_of(key)).collect();
    assert_eq!(masters.len(), 3, "the keys spread over the three masters");
    for key in &keys {
        set(&pool, key, key).await.expect("a write routed to the key's master");
    }
    for key in &keys {
        assert_eq!(get(&pool, key).await.expect("a read").as_deref(), Some(key.as_str()));
    }
    // A script over keys of one hash slot runs; the same over two slots is refused by the server.
    let script = redis::Script::new("redis.call('SET', KEYS[1], ARGV[1]); return redis.call('SET', KEYS[2], ARGV[1])");
    let together = pool
        .run("script", |mut connection| async move {
            script.key("{u1}:a").key("{u1}:b").arg("x").invoke_async::<()>(&mut connection).await
        })
        .await;
    together.expect("one slot");
    let script = redis::Script::new("return redis.call('SET', KEYS[1], ARGV[1])");
    let apart = pool
        .run("script", |mut connection| async move {
            script.key("{u1}:a").key("{u2}:b").arg("x").invoke_async::<()>(&mut connection).await
        })
        .await;
    assert!(apart.is_err(), "keys of two slots in one script are refused (CROSSSLOT)");
    // No replicas: durable writes are acknowledged at once.
    let started = Instant::now();
    pool.run_durable("durable_set", "{u1}:a", |mut connection| async move {
        connection.set::<_, _, ()>("{u1}:a", "y").await
    })
    .await
    .expect("no replica to wait for");
    assert!(started.elapsed() < Duration::from_millis(400), "WAIT was skipped: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn cluster_durable_writes_wait_for_the_replica_of_the_keys_master() {
    let cluster = RedisCluster::start_with_replicas(1);
    let pool = pool(&config(&cluster.url(), None, None, Some("true")));
    for index in 0..20 {
        let key = format!("{{user{index}}}:revoked");
        let written = key.clone();
        pool.run_durable("durable_set", &key, |mut connection| async move {
            connection.set::<_, _, ()>(written, "1").await
        })
        .await
        .expect("acknowledged by the master's replica");
    }
}
