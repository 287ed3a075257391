//! Redis access for the services that own Redis data (authn's users, session's sessions), over any of
//! the three topologies the settings name (`config`): one server (`redis://` or `rediss://`), a master
//! found through Sentinel, or a Redis Cluster.
//!
//! [`RedisPool`] keeps a few connections in a bb8 pool (`connector`) per thread that uses it (per
//! actix worker): a multiplexed connection is driven by a task on the runtime that opened it, and a
//! request on one worker waiting for a connection driven on another thread pays two cross-thread
//! wake-ups per command (measured under `make bench`: a fifth of the session service's time went to
//! context switches). Connections are not pinged on checkout (a PING per request would double the round trips); a command that fails at the connection
//! level marks its connection broken so bb8 replaces it, and every command is bounded by a timeout.
//! Together: one round trip per command, a 503 within about a second when Redis is down, and recovery
//! without a restart when it returns. With Sentinel, a replaced connection asks the Sentinels for the
//! master again, and a `READONLY` answer (the master was demoted) or a lost connection retires every
//! pooled connection, so the pool follows a failover without a restart. A Cluster connection routes
//! each command to its slot's node and follows `MOVED`/`ASK` itself.
//!
//! A multiplexed connection carries many requests at once, so a command does not keep its pool slot:
//! it clones the connection handle and returns the slot at once. Holding the slot for the whole round
//! trip would cap the concurrent Redis commands at the pool size (measured: a third of the throughput).

use bb8::{Pool, PooledConnection};
use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use thread_local::ThreadLocal;
use tokio::runtime;
use tracing::Instrument;

pub mod config;
mod connection;
mod connector;
pub mod metrics;
mod redis_url;
pub use config::{RedisConfig, RedisSettingError, RedisVars, Topology};
pub use connection::RedisConnection;
pub use connector::TopologyReport;
pub use metrics::RedisMetrics;
pub use redis_url::RedisUrl;

use connector::{TopologyConnector, TrackingManager};

/// Why a Redis call failed. Either way the caller answers 503: the client's request was fine.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("redis is unreachable: {0}")]
    Unavailable(String),
    #[error("redis command failed: {0}")]
    Command(#[from] redis::RedisError),
}

impl RedisError {
    /// The `kind` label of `redis_command_errors_total`.
    pub fn kind(&self) -> &'static str {
        match self {
            RedisError::Unavailable(_) => "unavailable",
            RedisError::Command(_) => "command",
        }
    }
}

/// Timeouts of the pool; short, so that no request hangs on a dead Redis.
#[derive(Debug, Clone, Copy)]
pub struct RedisTimeouts {
    /// Opening a connection, including the Sentinel look-up of the master.
    pub connect: Duration,
    /// One call of [`RedisPool::run`], whatever it sends.
    pub command: Duration,
    /// How long [`RedisConnection::wait_for_replicas`] lets Redis wait for a replica's acknowledgement;
    /// below `command`, so that a slow replica gives a clean refusal rather than a timed-out connection.
    pub replica_ack: Duration,
}

impl Default for RedisTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_millis(1000),
            command: Duration::from_millis(1500),
            replica_ack: Duration::from_millis(500),
        }
    }
}

/// The pool every Redis-backed store holds; cheap to clone.
#[derive(Debug, Clone)]
pub struct RedisPool {
    per_thread: Arc<ThreadLocal<RefCell<Option<ThreadPool>>>>,
    manager: TrackingManager,
    timeouts: RedisTimeouts,
    metrics: Option<RedisMetrics>,
}

/// One thread's pool, and the runtime its connections' driver tasks run on: a thread that outlives a
/// runtime (a test's) and runs another gets a new pool, since the old connections died with their drivers.
#[derive(Debug)]
struct ThreadPool {
    runtime: runtime::Id,
    pool: Pool<TrackingManager>,
}

/// Connections kept per thread: multiplexed, so one carries all of a worker's concurrent requests; the
/// second lets a replacement open while the first still serves.
const POOL_SIZE: u32 = 2;

impl RedisPool {
    /// Builds the pool without connecting: the service starts (and reports not-ready) while Redis is down.
    pub fn new(config: &RedisConfig, timeouts: RedisTimeouts) -> Result<Self, redis::RedisError> {
        let manager = TrackingManager::new(TopologyConnector::new(config, timeouts)?);
        Ok(Self { per_thread: Arc::default(), manager, timeouts, metrics: None })
    }

    /// This thread's pool, opened on first use from it (or from a new runtime on it).
    fn thread_pool(&self) -> Pool<TrackingManager> {
        let runtime = runtime::Handle::current().id();
        let mut slot = self.per_thread.get_or(|| RefCell::new(None)).borrow_mut();
        match &*slot {
            Some(current) if current.runtime == runtime => current.pool.clone(),
            _ => {
                let pool = Pool::builder()
                    .max_size(POOL_SIZE)
                    .min_idle(Some(1))
                    .test_on_check_out(false)
                    .connection_timeout(self.timeouts.connect)
                    .build_unchecked(self.manager.clone());
                *slot = Some(ThreadPool { runtime, pool: pool.clone() });
                pool
            }
        }
    }

    /// The topology, and with Sentinel the master connected to last: for `/readyz`.
    pub fn topology(&self) -> TopologyReport {
        self.manager.report()
    }

    /// Records every command's latency and failures into `metrics`.
    pub fn with_metrics(mut self, metrics: RedisMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// A handle on a healthy pooled connection and its broken flag; the pool slot is free again on return.
    async fn lend(&self) -> Result<(RedisConnection, Arc<AtomicBool>), RedisError> {
        // A connection marked broken after it went back to the pool is dropped here: returning it makes
        // bb8 ask `has_broken`, which removes it.
        let pool = self.thread_pool();
        for _ in 0..=POOL_SIZE {
            let pooled: PooledConnection<'_, TrackingManager> =
                pool.get().await.map_err(|error| RedisError::Unavailable(error.to_string()))?;
            if self.manager.is_usable(&pooled) {
                return Ok((pooled.connection.clone(), Arc::clone(&pooled.broken)));
            }
        }
        Err(RedisError::Unavailable("every pooled connection is broken".to_owned()))
    }

    /// Runs one command (or script, or pipeline) on a pooled connection, bounded by the command timeout.
    /// `operation` names it in its span and in the metrics (a fixed name, never a key).
    pub async fn run<T, F, Fut>(&self, operation: &'static str, command: F) -> Result<T, RedisError>
    where
        F: FnOnce(RedisConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let span = tracing::debug_span!(
            "redis",
            otel.name = operation,
            otel.kind = "client",
            db.system = "redis",
            db.operation = operation
        );
        let started = Instant::now();
        let outcome = self.run_unobserved(command).instrument(span).await;
        if let Some(metrics) = &self.metrics {
            let error = outcome.as_ref().err().map(RedisError::kind);
            metrics.observe(operation, started.elapsed().as_secs_f64(), error);
        }
        outcome
    }

    /// [`RedisPool::run`] for a write that must outlive the master (a revocation, a rotation): after
    /// `command`, waits on the same connection until a replica of the node holding `key` has it
    /// ([`RedisConnection::wait_for_replicas`]; at once when that node has no replica). An error when no
    /// replica acknowledged in time, so that the caller never acknowledges a write a failover could lose.
    pub async fn run_durable<T, F, Fut>(&self, operation: &'static str, key: &str, command: F) -> Result<T, RedisError>
    where
        F: FnOnce(RedisConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        self.run(operation, |connection| async move {
            let mut waiter = connection.clone();
            let value = command(connection).await?;
            waiter.wait_for_replicas(key).await?;
            Ok(value)
        })
        .await
    }

    async fn run_unobserved<T, F, Fut>(&self, command: F) -> Result<T, RedisError>
    where
        F: FnOnce(RedisConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let (connection, broken) = self.lend().await?;
        let outcome = tokio::time::timeout(self.timeouts.command, command(connection)).await;
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                if is_connection_failure(&error) {
                    broken.store(true, Ordering::Release);
                    // Redis itself may be gone (or, with Sentinel, the master): the other pooled
                    // connections are as stale as this one.
                    self.manager.retire_all();
                    tracing::warn!(%error, "redis connection failed; replacing the pooled connections");
                } else if is_demoted_master(&error) {
                    broken.store(true, Ordering::Release);
                    self.manager.retire_all();
                    tracing::warn!(
                        "redis answered READONLY (the master was demoted); reconnecting to the current master"
                    );
                }
                Err(RedisError::Command(error))
            }
            Err(_elapsed) => {
                broken.store(true, Ordering::Release);
                tracing::warn!("redis command timed out; replacing its connection");
                Err(RedisError::Unavailable("command timed out".to_owned()))
            }
        }
    }

    /// `PING`, for readiness.
    pub async fn ping(&self) -> Result<(), RedisError> {
        self.run(
            "ping",
            |mut connection| async move { redis::cmd("PING").query_async::<String>(&mut connection).await },
        )
        .await
        .map(drop)
    }
}

/// A write refused by a replica: with Sentinel, the server this connection reaches was the master and
/// has been demoted by a failover.
fn is_demoted_master(error: &redis::RedisError) -> bool {
    error.code() == Some("READONLY") || error.to_string().contains("READONLY")
}

fn is_connection_failure(error: &redis::RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_unrecoverable_error()
}
