//! `RATE_LIMIT_PER_MINUTE`: how many requests one client address may make per minute to the routes that
//! store something for an anonymous caller (`POST /register` creates an account, `GET /oauth/login`
//! stores a login in progress for 10 minutes), so that nobody can grow the store without bound.
//!
//! One counter per client address (from [`crate::client_ip`]) for both routes, in a fixed window of one
//! minute from the address's first request; over the limit the answer is 429 with `Retry-After` (the
//! seconds left in the window). In Redis the counter is one key, `authn:rate-limit:<address>`,
//! incremented and given its expiry by one single-key script, so every replica counts into it and the
//! layout works on Redis Cluster. The in-memory variant (`dev`) has the same semantics under a mutex.
//! `0` turns the limit off.

use crate::error::Error;
use crate::lockout::whole_seconds_up;
use redis_kit::RedisPool;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub const KEY_PREFIX: &str = "authn:rate-limit:";
pub const WINDOW: Duration = Duration::from_secs(60);
/// Above this many counters, a request also sweeps the expired ones from memory.
const SWEEP_ABOVE: usize = 10_000;

/// `KEYS[1]` the counter, `ARGV[1]` the window (ms), `ARGV[2]` the limit. Counts the request; returns
/// -1 when it is within the limit, else the milliseconds left in the window.
static ADMIT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        local requests = redis.call('INCR', KEYS[1])
        local left = redis.call('PTTL', KEYS[1])
        if left < 0 then
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            left = tonumber(ARGV[1])
        end
        if requests > tonumber(ARGV[2]) then
            return left
        end
        return -1
        ",
    )
});

/// The per-address request limit, where its counters live.
#[derive(Debug, Clone)]
pub enum RateLimiter {
    /// `RATE_LIMIT_PER_MINUTE=0`.
    Off,
    Redis {
        pool: RedisPool,
        per_minute: u32,
    },
    Memory {
        counters: Arc<Mutex<HashMap<IpAddr, (u64, Instant)>>>,
        per_minute: u32,
    },
}

impl RateLimiter {
    /// Counters in Redis, shared by every replica; `per_minute == 0` is [`RateLimiter::Off`].
    pub fn redis(pool: RedisPool, per_minute: u32) -> Self {
        if per_minute == 0 { Self::Off } else { Self::Redis { pool, per_minute } }
    }

    /// Counters in this process (`dev`); `per_minute == 0` is [`RateLimiter::Off`].
    pub fn memory(per_minute: u32) -> Self {
        if per_minute == 0 { Self::Off } else { Self::Memory { counters: Arc::default(), per_minute } }
    }

    /// Counts one request of `address`: `Err(RateLimited)` with the seconds left in the window when
    /// the address is over the limit. A request with no known address (never over TCP) is not limited.
    pub async fn admit(&self, address: Option<IpAddr>) -> Result<(), Error> {
        let Some(address) = address else { return Ok(()) };
        let wait = match self {
            Self::Off => None,
            Self::Redis { pool, per_minute } => admit_in_redis(pool, address, *per_minute).await?,
            Self::Memory { counters, per_minute } => admit_in_memory(counters, address, *per_minute),
        };
        match wait {
            Some(wait) => Err(Error::RateLimited { retry_after_seconds: whole_seconds_up(wait) }),
            None => Ok(()),
        }
    }
}

async fn admit_in_redis(pool: &RedisPool, address: IpAddr, per_minute: u32) -> Result<Option<Duration>, Error> {
    let key = format!("{KEY_PREFIX}{address}");
    let window_ms = u64::try_from(WINDOW.as_millis()).unwrap_or(u64::MAX);
    let left: i64 = pool
        .run("rate_limit_admit", |mut connection| async move {
            ADMIT.key(key).arg(window_ms).arg(per_minute).invoke_async(&mut connection).await
        })
        .await?;
    Ok(u64::try_from(left).ok().map(Duration::from_millis))
}

fn admit_in_memory(
    counters: &Mutex<HashMap<IpAddr, (u64, Instant)>>,
    address: IpAddr,
    per_minute: u32,
) -> Option<Duration> {
    let now = Instant::now();
    // A panic while holding the lock leaves at worst one request uncounted: keep serving.
    let mut counters = counters.lock().unwrap_or_else(PoisonError::into_inner);
    if counters.len() > SWEEP_ABOVE {
        counters.retain(|_, (_, resets_at)| *resets_at > now);
    }
    let (requests, resets_at) = counters.entry(address).or_insert((0, now + WINDOW));
    if *resets_at <= now {
        (*requests, *resets_at) = (0, now + WINDOW);
    }
    *requests += 1;
    (*requests > u64::from(per_minute)).then(|| *resets_at - now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(raw: &str) -> Option<IpAddr> {
        Some(raw.parse().expect("ip"))
    }

    #[tokio::test]
    async fn the_limit_is_per_address_and_says_when_to_retry() {
        let limiter = RateLimiter::memory(3);
        for _ in 0..3 {
            limiter.admit(address("203.0.113.9")).await.expect("within the limit");
        }
        match limiter.admit(address("203.0.113.9")).await {
            Err(Error::RateLimited { retry_after_seconds }) => assert!((59..=60).contains(&retry_after_seconds)),
            other => panic!("expected a 429, got {other:?}"),
        }
        limiter.admit(address("203.0.113.10")).await.expect("another address has its own count");
        limiter.admit(None).await.expect("no address, no limit");
    }

    #[tokio::test]
    async fn zero_turns_it_off() {
        let limiter = RateLimiter::memory(0);
        assert!(matches!(limiter, RateLimiter::Off));
        for _ in 0..1000 {
            limiter.admit(address("203.0.113.9")).await.expect("off");
        }
    }

    #[test]
    fn a_new_window_starts_when_the_old_one_ends() {
        let counters = Mutex::new(HashMap::new());
        let ip: IpAddr = "203.0.113.9".parse().expect("ip");
        assert!(admit_in_memory(&counters, ip, 1).is_none());
        assert!(admit_in_memory(&counters, ip, 1).is_some());
        counters.lock().expect("lock").insert(ip, (5, Instant::now()));
        assert!(admit_in_memory(&counters, ip, 1).is_none(), "the expired window was restarted");
    }
}
