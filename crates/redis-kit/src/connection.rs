//! [`RedisConnection`], what a store's closure in [`crate::RedisPool::run`] receives: a multiplexed
//! connection to one server (standalone, or the master Sentinel names) or a Cluster connection that
//! routes each command to its slot's master. It implements `redis::aio::ConnectionLike`, so commands,
//! scripts and pipelines run on it unchanged whatever the topology.
//!
//! It also carries the one thing a store may need beyond commands: [`RedisConnection::wait_for_replicas`],
//! called after a write that must survive the master's death (a revocation, a refresh token's
//! rotation). Redis replicates asynchronously, so a write acknowledged by the master alone is lost if the
//! master dies before a replica has it, and the replica Sentinel promotes would bring a revoked token
//! back to life. `WAIT 1` holds the answer until a replica has acknowledged everything this connection
//! wrote so far; Sentinel then promotes the replica with the most recent data, so the write survives.

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, Slot, SlotAddr};
use redis::{Cmd, ErrorKind, FromRedisValue, Pipeline, RedisError, RedisFuture, RedisResult, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a node's replica count is trusted before `INFO replication` is asked again: a replica that
/// attaches is waited for within this time, at the cost of one `INFO` per node per period.
const REPLICA_COUNT_TTL: Duration = Duration::from_secs(1);

/// A connection to the configured topology; cheap to clone (clones share the underlying connection).
#[derive(Clone)]
pub struct RedisConnection {
    inner: Inner,
    replicas: Arc<ReplicaCounts>,
    replica_ack_timeout: Duration,
}

#[derive(Clone)]
enum Inner {
    Server(MultiplexedConnection),
    Cluster(ClusterConnection),
}

/// The replica count of each node this connection writes to, keyed by the slot written (`None`: the
/// single server), with when it was read.
#[derive(Default)]
struct ReplicaCounts(Mutex<HashMap<Option<Slot>, (Instant, u64)>>);

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.inner {
            Inner::Server(_) => "server",
            Inner::Cluster(_) => "cluster",
        };
        f.debug_struct("RedisConnection").field("kind", &kind).finish_non_exhaustive()
    }
}

impl RedisConnection {
    pub(crate) fn server(connection: MultiplexedConnection, replica_ack_timeout: Duration) -> Self {
        Self { inner: Inner::Server(connection), replicas: Arc::default(), replica_ack_timeout }
    }

    pub(crate) fn cluster(connection: ClusterConnection, replica_ack_timeout: Duration) -> Self {
        Self { inner: Inner::Cluster(connection), replicas: Arc::default(), replica_ack_timeout }
    }

    /// Waits until one replica of the node that holds `key` has acknowledged every write made on this
    /// connection so far (`WAIT 1 timeout`). Returns at once when that node has no replica (a single
    /// server, a cluster without replicas): there is then no failover that could lose the write. An
    /// error when no replica acknowledged within the timeout: the write is on the master but not known
    /// to be safe, so the caller answers 503 instead of acknowledging it.
    pub async fn wait_for_replicas(&mut self, key: &str) -> RedisResult<()> {
        let route = match self.inner {
            Inner::Server(_) => None,
            Inner::Cluster(_) => Some(Slot::for_key(key)),
        };
        if self.replica_count(route).await? == 0 {
            return Ok(());
        }
        let timeout_ms = u64::try_from(self.replica_ack_timeout.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut wait = redis::cmd("WAIT");
        wait.arg(1).arg(timeout_ms);
        let acknowledged: i64 = self.query_on(route, wait).await?;
        if acknowledged < 1 {
            // Counted again next time: the replica may have gone.
            self.forget_replica_count(route);
            return Err(RedisError::from((ErrorKind::Io, "no replica acknowledged the write in time")));
        }
        Ok(())
    }

    /// Runs `command` on the node that holds `key`'s slot (the server itself outside a Cluster). For
    /// commands that name no key but must reach that node, such as a `SCAN` over keys of one hash tag:
    /// a Cluster connection would send them to any node.
    pub async fn query_on_node_of<T: FromRedisValue>(&mut self, key: &str, command: Cmd) -> RedisResult<T> {
        let route = match self.inner {
            Inner::Server(_) => None,
            Inner::Cluster(_) => Some(Slot::for_key(key)),
        };
        self.query_on(route, command).await
    }

    /// The node's `connected_slaves`, from the cache or from `INFO replication`.
    async fn replica_count(&mut self, route: Option<Slot>) -> RedisResult<u64> {
        let cached = {
            let counts = self.replicas.0.lock().unwrap_or_else(PoisonError::into_inner);
            counts.get(&route).filter(|(read, _)| read.elapsed() < REPLICA_COUNT_TTL).map(|&(_, count)| count)
        };
        if let Some(count) = cached {
            return Ok(count);
        }
        let mut info = redis::cmd("INFO");
        info.arg("replication");
        let text: String = self.query_on(route, info).await?;
        let count = connected_replicas(&text);
        self.replicas.0.lock().unwrap_or_else(PoisonError::into_inner).insert(route, (Instant::now(), count));
        Ok(count)
    }

    fn forget_replica_count(&self, route: Option<Slot>) {
        self.replicas.0.lock().unwrap_or_else(PoisonError::into_inner).remove(&route);
    }

    /// Runs `command` on the server, or on the cluster master that owns slot `route`.
    async fn query_on<T: FromRedisValue>(&mut self, route: Option<Slot>, command: Cmd) -> RedisResult<T> {
        match &mut self.inner {
            Inner::Server(connection) => command.query_async(connection).await,
            Inner::Cluster(connection) => {
                let slot = route.unwrap_or_else(|| Slot::for_key(""));
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(Route::with_slot(
                    slot,
                    SlotAddr::Master,
                )));
                let value = connection.route_command(command, routing).await?;
                T::from_redis_value(value).map_err(RedisError::from)
            }
        }
    }
}

/// `connected_slaves:N` of an `INFO replication` answer (0 when absent: a replica itself, or an old
/// server).
fn connected_replicas(info: &str) -> u64 {
    info.lines()
        .find_map(|line| line.trim().strip_prefix("connected_slaves:"))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or(0)
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.inner {
            Inner::Server(connection) => connection.req_packed_command(cmd),
            Inner::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.inner {
            Inner::Server(connection) => connection.req_packed_commands(pipeline, offset, count),
            Inner::Cluster(connection) => connection.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.inner {
            Inner::Server(connection) => connection.get_db(),
            Inner::Cluster(connection) => connection.get_db(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_replica_count_of_info_replication() {
        let master = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=127.0.0.1,port=1\r\n";
        assert_eq!(connected_replicas(master), 2);
        assert_eq!(connected_replicas("# Replication\r\nrole:slave\r\n"), 0);
    }
}
