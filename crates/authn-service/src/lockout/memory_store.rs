//! Failure counters in process memory, for `dev` (no Redis) and unit tests.
//!
//! Same semantics as the Redis store: a reservation checks and takes an attempt under one lock, so
//! concurrent requests cannot overtake each other; a fixed window from the first attempt, restarted by
//! the attempt that reaches the limit. Expired counters are dropped when read, and swept when the map
//! grows, so an attacker cycling addresses cannot grow it without bound for longer than one window.

use super::{FailureStore, FailureSubject, LockoutPolicy, Reservation};
use crate::error::Error;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// Above this many counters, a reservation also sweeps the expired ones.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Counter {
    failures: u64,
    expires_at: Instant,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryFailureStore {
    counters: Arc<Mutex<HashMap<FailureSubject, Counter>>>,
}

impl MemoryFailureStore {
    fn lock(&self) -> MutexGuard<'_, HashMap<FailureSubject, Counter>> {
        // A panic while holding the lock leaves at worst one counter not incremented: keep serving.
        self.counters.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FailureStore for MemoryFailureStore {
    async fn reserve(&self, subject: &FailureSubject, policy: LockoutPolicy) -> Result<Reservation, Error> {
        let now = Instant::now();
        let fresh = Counter { failures: 0, expires_at: now + policy.window };
        let mut counters = self.lock();
        if counters.len() > SWEEP_ABOVE {
            counters.retain(|_, counter| counter.expires_at > now);
        }
        let counter = counters.entry(subject.clone()).or_insert(fresh);
        if counter.expires_at <= now {
            *counter = fresh;
        }
        let limit = u64::from(policy.max_failures);
        if counter.failures >= limit {
            return Ok(Reservation::Refused { resets_in: counter.expires_at - now });
        }
        counter.failures += 1;
        if counter.failures == limit {
            counter.expires_at = now + policy.window;
        }
        Ok(Reservation::Granted)
    }

    async fn give_back(&self, subject: &FailureSubject) -> Result<(), Error> {
        let now = Instant::now();
        let mut counters = self.lock();
        if let Some(counter) = counters.get_mut(subject) {
            counter.failures = counter.failures.saturating_sub(1);
            if counter.failures == 0 || counter.expires_at <= now {
                counters.remove(subject);
            }
        }
        Ok(())
    }

    async fn clear(&self, subject: &FailureSubject) -> Result<(), Error> {
        self.lock().remove(subject);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn policy(window: Duration) -> LockoutPolicy {
        LockoutPolicy { max_failures: 5, window }
    }

    #[tokio::test]
    async fn the_map_is_swept_of_expired_counters_when_it_grows() {
        let store = MemoryFailureStore::default();
        for n in 0..=SWEEP_ABOVE as u32 {
            let subject = FailureSubject::Address(std::net::IpAddr::from(n.to_be_bytes()));
            store.reserve(&subject, policy(Duration::from_millis(1))).await.expect("reserve");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        let fresh = FailureSubject::Address("203.0.113.9".parse().expect("ip"));
        store.reserve(&fresh, policy(Duration::from_secs(60))).await.expect("reserve");
        assert_eq!(store.lock().len(), 1);
    }
}
