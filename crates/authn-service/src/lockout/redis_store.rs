//! Failure counters in Redis, shared by every replica of the service.
//!
//! Keys: `authn:login-failures:user:{username}` and `authn:login-failures:ip:{address}`, integer
//! counters with a millisecond expiry set at the first failure. Each operation is one round trip: a Lua
//! script reads all subjects' counts and TTLs, another increments them and starts their windows (or,
//! at the limit, the lockout) atomically (so a crash can never leave a counter without expiry, which would lock a user forever).

use super::{FailureCount, FailureStore, FailureSubject, LockoutPolicy};
use crate::error::Error;
use redis_kit::RedisPool;
use std::sync::LazyLock;
use std::time::Duration;

pub const KEY_PREFIX: &str = "authn:login-failures:";

/// Returns, per key, the count and the PTTL in milliseconds (negative when absent or without expiry).
static COUNTS: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        local out = {}
        for _, key in ipairs(KEYS) do
            out[#out + 1] = tonumber(redis.call('GET', key) or '0')
            out[#out + 1] = redis.call('PTTL', key)
        end
        return out
        ",
    )
});

/// Increments each key. A key without expiry (its first failure) gets the window `ARGV[1]` (ms); the
/// failure that reaches the limit `ARGV[2]` restarts it, so the lockout lasts a full window.
static RECORD: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        local limit = tonumber(ARGV[2])
        for _, key in ipairs(KEYS) do
            local failures = redis.call('INCR', key)
            if failures == limit or redis.call('PTTL', key) < 0 then
                redis.call('PEXPIRE', key, ARGV[1])
            end
        end
        return 1
        ",
    )
});

#[derive(Debug, Clone)]
pub struct RedisFailureStore {
    pool: RedisPool,
}

impl RedisFailureStore {
    pub fn new(pool: RedisPool) -> Self {
        Self { pool }
    }
}

fn key(subject: &FailureSubject) -> String {
    format!("{KEY_PREFIX}{}", subject.key())
}

impl FailureStore for RedisFailureStore {
    async fn counts(&self, subjects: &[FailureSubject]) -> Result<Vec<FailureCount>, Error> {
        let keys: Vec<String> = subjects.iter().map(key).collect();
        let flat: Vec<i64> = self
            .pool
            .run("lockout_counts", |mut connection| async move { COUNTS.key(keys).invoke_async(&mut connection).await })
            .await?;
        if flat.len() != subjects.len() * 2 {
            return Err(Error::CorruptRecord(format!(
                "failure counts: {} values for {} keys",
                flat.len(),
                subjects.len()
            )));
        }
        Ok(flat
            .chunks_exact(2)
            .map(|pair| FailureCount {
                failures: u64::try_from(pair[0]).unwrap_or(0),
                resets_in: Duration::from_millis(u64::try_from(pair[1]).unwrap_or(0)),
            })
            .collect())
    }

    async fn record(&self, subjects: &[FailureSubject], policy: LockoutPolicy) -> Result<(), Error> {
        let keys: Vec<String> = subjects.iter().map(key).collect();
        let window_ms = u64::try_from(policy.window.as_millis()).unwrap_or(u64::MAX).max(1);
        self.pool
            .run("lockout_record", |mut connection| async move {
                RECORD.key(keys).arg(window_ms).arg(policy.max_failures).invoke_async::<i64>(&mut connection).await
            })
            .await?;
        Ok(())
    }

    async fn clear(&self, subject: &FailureSubject) -> Result<(), Error> {
        let key = key(subject);
        self.pool
            .run("lockout_clear", |mut connection| async move {
                redis::cmd("DEL").arg(key).query_async::<i64>(&mut connection).await
            })
            .await?;
        Ok(())
    }
}
