//! Redis access for the services that own Redis data (authn's users, session's sessions).
//!
//! bb8-redis hands out multiplexed connections but never notices that one died (`has_broken` is always
//! false), so after a Redis restart a pool would keep failing forever; and its checkout PING costs a round
//! trip on every request. [`RedisPool`] wraps that manager: connections are not pinged on checkout, a
//! command that fails at the connection level marks its connection broken so bb8 replaces it, and every
//! command is bounded by a timeout. Together: one round trip per command, a 503 within about a second
//! when Redis is down, and recovery without a restart when it returns.
//!
//! A multiplexed connection carries many requests at once, so a command does not keep its pool slot:
//! it clones the connection handle and returns the slot at once. Holding the slot for the whole round
//! trip would cap the concurrent Redis commands at the pool size (measured: a third of the throughput).

use bb8::{ManageConnection, Pool, PooledConnection};
use bb8_redis::RedisConnectionManager;
use redis::aio::MultiplexedConnection;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tracing::Instrument;

pub mod metrics;
mod redis_url;
pub use metrics::RedisMetrics;
pub use redis_url::RedisUrl;

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
    pub connect: Duration,
    pub command: Duration,
}

impl Default for RedisTimeouts {
    fn default() -> Self {
        Self { connect: Duration::from_millis(1000), command: Duration::from_millis(1500) }
    }
}

/// A pooled multiplexed connection with a flag set when a command on it failed at the connection level;
/// the flag is shared with the handles lent out, which outlive the checkout.
#[derive(Debug)]
pub struct TrackedConnection {
    connection: MultiplexedConnection,
    broken: Arc<AtomicBool>,
}

#[derive(Debug)]
pub struct TrackingManager {
    inner: RedisConnectionManager,
}

impl ManageConnection for TrackingManager {
    type Connection = TrackedConnection;
    type Error = redis::RedisError;

    async fn connect(&self) -> Result<Self::Connection, Self::Error> {
        let connection = self.inner.connect().await?;
        Ok(TrackedConnection { connection, broken: Arc::new(AtomicBool::new(false)) })
    }

    async fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        self.inner.is_valid(&mut conn.connection).await
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        conn.broken.load(Ordering::Acquire)
    }
}

/// The pool every Redis-backed store holds; cheap to clone.
#[derive(Debug, Clone)]
pub struct RedisPool {
    pool: Pool<TrackingManager>,
    timeouts: RedisTimeouts,
    metrics: Option<RedisMetrics>,
}

/// Connections kept per process: multiplexed, so a few carry many concurrent requests.
const POOL_SIZE: u32 = 8;

impl RedisPool {
    /// Builds the pool without connecting: the service starts (and reports not-ready) while Redis is down.
    pub fn new(url: &RedisUrl, timeouts: RedisTimeouts) -> Result<Self, redis::RedisError> {
        let inner = RedisConnectionManager::new(url.expose())?;
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .test_on_check_out(false)
            .connection_timeout(timeouts.connect)
            .build_unchecked(TrackingManager { inner });
        Ok(Self { pool, timeouts, metrics: None })
    }

    /// Records every command's latency and failures into `metrics`.
    pub fn with_metrics(mut self, metrics: RedisMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// A handle on a healthy pooled connection and its broken flag; the pool slot is free again on return.
    async fn lend(&self) -> Result<(MultiplexedConnection, Arc<AtomicBool>), RedisError> {
        // A connection marked broken after it went back to the pool is dropped here: returning it makes
        // bb8 ask `has_broken`, which removes it.
        for _ in 0..=POOL_SIZE {
            let pooled: PooledConnection<'_, TrackingManager> =
                self.pool.get().await.map_err(|error| RedisError::Unavailable(error.to_string()))?;
            if !pooled.broken.load(Ordering::Acquire) {
                return Ok((pooled.connection.clone(), Arc::clone(&pooled.broken)));
            }
        }
        Err(RedisError::Unavailable("every pooled connection is broken".to_owned()))
    }

    /// Runs one command (or script, or pipeline) on a pooled connection, bounded by the command timeout.
    /// `operation` names it in its span and in the metrics (a fixed name, never a key).
    pub async fn run<T, F, Fut>(&self, operation: &'static str, command: F) -> Result<T, RedisError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let span = tracing::info_span!(
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

    async fn run_unobserved<T, F, Fut>(&self, command: F) -> Result<T, RedisError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let (connection, broken) = self.lend().await?;
        let outcome = tokio::time::timeout(self.timeouts.command, command(connection)).await;
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                if is_connection_failure(&error) {
                    broken.store(true, Ordering::Release);
                    tracing::warn!(%error, "redis connection failed; replacing it");
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

fn is_connection_failure(error: &redis::RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_unrecoverable_error()
}
