//! Failure counters in process memory, for `dev` (no Redis) and unit tests.
//!
//! Same semantics as the Redis store: a fixed window from the first failure, restarted by the failure
//! that reaches the limit. Expired counters are
//! dropped when read, and swept when the map grows, so an attacker cycling addresses cannot grow it
//! without bound for longer than one window.

use super::{FailureCount, FailureStore, FailureSubject, LockoutPolicy};
use crate::error::Error;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// Above this many counters, a failure also sweeps the expired ones.
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
    async fn counts(&self, subjects: &[FailureSubject]) -> Result<Vec<FailureCount>, Error> {
        let now = Instant::now();
        let counters = self.lock();
        Ok(subjects
            .iter()
            .map(|subject| match counters.get(subject) {
                Some(counter) if counter.expires_at > now => {
                    FailureCount { failures: counter.failures, resets_in: counter.expires_at - now }
                }
                _ => FailureCount::default(),
            })
            .collect())
    }

    async fn record(&self, subjects: &[FailureSubject], policy: LockoutPolicy) -> Result<(), Error> {
        let now = Instant::now();
        let fresh = Counter { failures: 0, expires_at: now + policy.window };
        let mut counters = self.lock();
        if counters.len() > SWEEP_ABOVE {
            counters.retain(|_, counter| counter.expires_at > now);
        }
        for subject in subjects {
            let counter = counters.entry(subject.clone()).or_insert(fresh);
            if counter.expires_at <= now {
                *counter = fresh;
            }
            counter.failures += 1;
            if counter.failures == u64::from(policy.max_failures) {
                counter.expires_at = now + policy.window;
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
        let subjects: Vec<FailureSubject> = (0..=SWEEP_ABOVE as u32)
            .map(|n| FailureSubject::Address(std::net::IpAddr::from(n.to_be_bytes())))
            .collect();
        store.record(&subjects, policy(Duration::from_millis(1))).await.expect("record");
        tokio::time::sleep(Duration::from_millis(5)).await;
        let fresh = FailureSubject::Address("203.0.113.9".parse().expect("ip"));
        store.record(std::slice::from_ref(&fresh), policy(Duration::from_secs(60))).await.expect("record");
        assert_eq!(store.lock().len(), 1);
    }
}
