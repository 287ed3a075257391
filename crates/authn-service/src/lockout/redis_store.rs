//! Failure counters in Redis, shared by every replica of the service.
//!
//! Keys: `authn:login-failures:user:{username}` and `authn:login-failures:ip:{address}`, integer
//! counters with a millisecond expiry set at the first attempt. Every operation is one single-key
//! command or script (the key passed in `KEYS`), so the layout works unchanged on Redis Cluster: the
//! username's and the address's counters may live on different nodes, and [`super::Lockout`] reserves
//! them one after the other. A reservation checks and increments in one script, so no two replicas can
//! both take the last attempt, and sets the expiry in the same step, so a crash can never leave a counter
//! without one (which would lock a user forever).

use super::{FailureStore, FailureSubject, LockoutPolicy, Reservation};
use crate::error::Error;
use redis_kit::RedisPool;
use std::sync::LazyLock;
use std::time::Duration;

pub const KEY_PREFIX: &str = "authn:login-failures:";

/// `KEYS[1]` the counter, `ARGV[1]` the window (ms), `ARGV[2]` the limit. Returns `{1, 0}` when an
/// attempt was taken, `{0, PTTL}` when the limit was already reached. The first attempt starts the
/// window; the one that reaches the limit restarts it, so the lockout lasts a full window.
static RESERVE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        local limit = tonumber(ARGV[2])
        local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
        if failures >= limit then
            return {0, redis.call('PTTL', KEYS[1])}
        end
        failures = redis.call('INCR', KEYS[1])
        if failures == limit or redis.call('PTTL', KEYS[1]) < 0 then
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
        end
        return {1, 0}
        ",
    )
});

/// `KEYS[1]` the counter: one attempt fewer, and no counter at zero. An absent key stays absent.
static GIVE_BACK: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
        if failures <= 1 then
            redis.call('DEL', KEYS[1])
        else
            redis.call('DECR', KEYS[1])
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

/// The Redis key of a subject's counter.
pub fn key(subject: &FailureSubject) -> String {
    format!("{KEY_PREFIX}{}", subject.key())
}

impl FailureStore for RedisFailureStore {
    async fn reserve(&self, subject: &FailureSubject, policy: LockoutPolicy) -> Result<Reservation, Error> {
        let key = key(subject);
        let window_ms = u64::try_from(policy.window.as_millis()).unwrap_or(u64::MAX).max(1);
        let (granted, pttl): (i64, i64) = self
            .pool
            .run("lockout_reserve", |mut connection| async move {
                RESERVE.key(key).arg(window_ms).arg(policy.max_failures).invoke_async(&mut connection).await
            })
            .await?;
        Ok(if granted == 1 {
            Reservation::Granted
        } else {
            // A counter at the limit always has an expiry; a negative PTTL would mean it just expired.
            Reservation::Refused { resets_in: Duration::from_millis(u64::try_from(pttl).unwrap_or(0)) }
        })
    }

    async fn give_back(&self, subject: &FailureSubject) -> Result<(), Error> {
        let key = key(subject);
        self.pool
            .run("lockout_give_back", |mut connection| async move {
                GIVE_BACK.key(key).invoke_async::<i64>(&mut connection).await
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
