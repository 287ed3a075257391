//! Redis access for the services that own Redis data (authn's users, session's sessions).
//!
//! bb8-redis hands out multiplexed connections but never notices that one died (`has_broken` is always
//! false), so after a Redis restart a pool would keep failing forever; and its checkout PING costs a round
//! trip on every request. [`RedisPool`] wraps that manager: connections are not pinged on checkout, a
//! command that fails at the connection level marks its connection broken so bb8 replaces it, and every
//! command is bounded by a timeout. Together: one round trip per command, a 503 within about a second
//! when Redis is down, and recovery without a restart when it returns.

use bb8::{ManageConnection, Pool, PooledConnection};
use bb8_redis::RedisConnectionManager;
use redis::aio::MultiplexedConnection;
use std::future::Future;
use std::time::Duration;

/// Why a Redis call failed. Either way the caller answers 503: the client's request was fine.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("redis is unreachable: {0}")]
    Unavailable(String),
    #[error("redis command failed: {0}")]
    Command(#[from] redis::RedisError),
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

/// A pooled multiplexed connection with a flag set when a command on it failed at the connection level.
#[derive(Debug)]
pub struct TrackedConnection {
    connection: MultiplexedConnection,
    broken: bool,
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
        Ok(TrackedConnection { connection, broken: false })
    }

    async fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        self.inner.is_valid(&mut conn.connection).await
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        conn.broken
    }
}

/// The pool every Redis-backed store holds; cheap to clone.
#[derive(Debug, Clone)]
pub struct RedisPool {
    pool: Pool<TrackingManager>,
    timeouts: RedisTimeouts,
}

/// Connections kept per process: multiplexed, so a few carry many concurrent requests.
const POOL_SIZE: u32 = 8;

impl RedisPool {
    /// Builds the pool without connecting: the service starts (and reports not-ready) while Redis is down.
    pub fn new(url: &str, timeouts: RedisTimeouts) -> Result<Self, redis::RedisError> {
        let inner = RedisConnectionManager::new(url)?;
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .test_on_check_out(false)
            .connection_timeout(timeouts.connect)
            .build_unchecked(TrackingManager { inner });
        Ok(Self { pool, timeouts })
    }

    async fn checkout(&self) -> Result<PooledConnection<'_, TrackingManager>, RedisError> {
        self.pool.get().await.map_err(|error| RedisError::Unavailable(error.to_string()))
    }

    /// Runs one command (or script, or pipeline) on a pooled connection, bounded by the command timeout.
    pub async fn run<T, F, Fut>(&self, command: F) -> Result<T, RedisError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let mut pooled = self.checkout().await?;
        let outcome = tokio::time::timeout(self.timeouts.command, command(pooled.connection.clone())).await;
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                if is_connection_failure(&error) {
                    pooled.broken = true;
                    tracing::warn!(%error, "redis connection failed; replacing it");
                }
                Err(RedisError::Command(error))
            }
            Err(_elapsed) => {
                pooled.broken = true;
                tracing::warn!("redis command timed out; replacing its connection");
                Err(RedisError::Unavailable("command timed out".to_owned()))
            }
        }
    }

    /// `PING`, for readiness.
    pub async fn ping(&self) -> Result<(), RedisError> {
        self.run(|mut connection| async move { redis::cmd("PING").query_async::<String>(&mut connection).await })
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
