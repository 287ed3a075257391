//! Login failure counting: after `LOGIN_MAX_FAILURES` failures for one username or one client address
//! within `LOGIN_LOCKOUT_SECONDS`, logins for it are refused with 429 until the window passes.
//!
//! Failures are counted in a fixed window that starts at the subject's first failure (Redis `INCR`, then
//! `PEXPIRE` when the counter has no expiry yet). The failure that reaches the limit restarts the expiry,
//! so a lockout always lasts the full `LOGIN_LOCKOUT_SECONDS` ("the failure window and lockout length"),
//! even when the limit is reached late in the window. A locked subject is refused before any hashing,
//! so a lockout also stops an attacker from burning CPU. The counters live behind [`FailureStore`], with a Redis implementation
//! (shared by every replica) and an in-memory one for `dev` and tests; [`Lockout`] holds the policy.

pub mod memory_store;
pub mod redis_store;

use crate::domain::Username;
use crate::error::Error;
use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

/// How many failures lock a subject, and for how long the count is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub window: Duration,
}

/// Whose failures a counter counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FailureSubject {
    Username(Username),
    Address(IpAddr),
}

impl FailureSubject {
    /// A stable name for the subject, used in storage keys: `user:alice`, `ip:203.0.113.9`.
    pub fn key(&self) -> String {
        match self {
            FailureSubject::Username(username) => format!("user:{username}"),
            FailureSubject::Address(address) => format!("ip:{address}"),
        }
    }
}

/// One subject's counter: failures so far and how long until the count resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailureCount {
    pub failures: u64,
    pub resets_in: Duration,
}

/// Where failure counters live.
pub trait FailureStore: Clone + Send + Sync + 'static {
    /// The counter of each subject, in order; a subject without failures counts zero.
    fn counts(&self, subjects: &[FailureSubject]) -> impl Future<Output = Result<Vec<FailureCount>, Error>> + Send;

    /// Adds one failure to each subject. A subject's first failure starts a window of `policy.window`;
    /// the failure that brings it to `policy.max_failures` starts a fresh one (the lockout). All subjects
    /// are updated together (one round trip, atomically in Redis).
    fn record(
        &self,
        subjects: &[FailureSubject],
        policy: LockoutPolicy,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Forgets a subject's failures.
    fn clear(&self, subject: &FailureSubject) -> impl Future<Output = Result<(), Error>> + Send;
}

/// The lockout policy over a failure store.
#[derive(Debug, Clone)]
pub struct Lockout<S> {
    store: S,
    policy: LockoutPolicy,
}

impl<S: FailureStore> Lockout<S> {
    pub fn new(store: S, policy: LockoutPolicy) -> Self {
        Self { store, policy }
    }

    pub fn policy(&self) -> LockoutPolicy {
        self.policy
    }

    /// `Err(LockedOut)` with the seconds left when any subject has reached the limit.
    pub async fn ensure_not_locked(&self, subjects: &[FailureSubject]) -> Result<(), Error> {
        if subjects.is_empty() {
            return Ok(());
        }
        let counts = self.store.counts(subjects).await?;
        let limit = u64::from(self.policy.max_failures);
        let wait = counts.iter().filter(|count| count.failures >= limit).map(|count| count.resets_in).max();
        match wait {
            Some(wait) => Err(Error::LockedOut { retry_after_seconds: whole_seconds_up(wait) }),
            None => Ok(()),
        }
    }

    pub async fn record_failure(&self, subjects: &[FailureSubject]) -> Result<(), Error> {
        if subjects.is_empty() {
            return Ok(());
        }
        self.store.record(subjects, self.policy).await
    }

    pub async fn clear(&self, subject: &FailureSubject) -> Result<(), Error> {
        self.store.clear(subject).await
    }
}

/// `Retry-After` is in whole seconds; round up so a client that obeys it is not refused again, and never
/// say 0 (which would invite an immediate retry while the lock still holds).
fn whole_seconds_up(duration: Duration) -> u64 {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    seconds.max(1)
}

#[cfg(test)]
mod tests {
    use super::memory_store::MemoryFailureStore;
    use super::*;

    fn lockout(max_failures: u32, window: Duration) -> Lockout<MemoryFailureStore> {
        Lockout::new(MemoryFailureStore::default(), LockoutPolicy { max_failures, window })
    }

    fn user(name: &str) -> FailureSubject {
        FailureSubject::Username(Username::parse(name).expect("valid"))
    }

    fn address(raw: &str) -> FailureSubject {
        FailureSubject::Address(raw.parse().expect("ip"))
    }

    #[tokio::test]
    async fn locks_at_the_limit_and_not_before() {
        let lockout = lockout(3, Duration::from_secs(60));
        let subjects = [user("alice")];
        for _ in 0..2 {
            lockout.record_failure(&subjects).await.expect("record");
            lockout.ensure_not_locked(&subjects).await.expect("not locked yet");
        }
        lockout.record_failure(&subjects).await.expect("record");
        match lockout.ensure_not_locked(&subjects).await {
            Err(Error::LockedOut { retry_after_seconds }) => assert!((59..=60).contains(&retry_after_seconds)),
            other => panic!("expected a lockout, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn either_subject_locks_the_attempt() {
        let lockout = lockout(2, Duration::from_secs(60));
        let attacker = address("203.0.113.9");
        lockout.record_failure(&[user("a"), attacker.clone()]).await.expect("record");
        lockout.record_failure(&[user("b"), attacker.clone()]).await.expect("record");
        // A fresh username from the same address is refused: the address reached the limit.
        assert!(matches!(lockout.ensure_not_locked(&[user("c"), attacker]).await, Err(Error::LockedOut { .. })));
        // The usernames themselves have one failure each and are still free from elsewhere.
        lockout.ensure_not_locked(&[user("a"), address("198.51.100.1")]).await.expect("not locked");
    }

    #[tokio::test]
    async fn the_lock_ends_with_the_window() {
        let lockout = lockout(1, Duration::from_millis(500));
        let subjects = [user("alice")];
        lockout.record_failure(&subjects).await.expect("record");
        match lockout.ensure_not_locked(&subjects).await {
            // Under a second left still says one second, never zero.
            Err(Error::LockedOut { retry_after_seconds }) => assert_eq!(retry_after_seconds, 1),
            other => panic!("expected a lockout, got {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(600)).await;
        lockout.ensure_not_locked(&subjects).await.expect("window passed");
    }

    #[tokio::test]
    async fn a_lock_lasts_a_full_window_from_the_failure_that_locked() {
        let lockout = lockout(2, Duration::from_secs(1));
        let subjects = [user("alice")];
        lockout.record_failure(&subjects).await.expect("record");
        tokio::time::sleep(Duration::from_millis(600)).await;
        lockout.record_failure(&subjects).await.expect("record");
        // Past the first failure's window, but the locking failure restarted it.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(lockout.ensure_not_locked(&subjects).await.is_err(), "still locked");
        tokio::time::sleep(Duration::from_millis(600)).await;
        lockout.ensure_not_locked(&subjects).await.expect("the lock ended");
    }

    #[tokio::test]
    async fn the_window_starts_at_the_first_failure() {
        let lockout = lockout(3, Duration::from_millis(300));
        let subjects = [user("alice")];
        lockout.record_failure(&subjects).await.expect("record");
        tokio::time::sleep(Duration::from_millis(200)).await;
        lockout.record_failure(&subjects).await.expect("record");
        tokio::time::sleep(Duration::from_millis(200)).await;
        // The first window has passed: this is failure one of a new window, not three of the old.
        lockout.record_failure(&subjects).await.expect("record");
        lockout.ensure_not_locked(&subjects).await.expect("not locked");
    }

    #[tokio::test]
    async fn clearing_forgets_only_that_subject() {
        let lockout = lockout(2, Duration::from_secs(60));
        let both = [user("alice"), address("203.0.113.9")];
        lockout.record_failure(&both).await.expect("record");
        lockout.record_failure(&both).await.expect("record");
        lockout.clear(&user("alice")).await.expect("clear");
        lockout.ensure_not_locked(&[user("alice")]).await.expect("cleared");
        assert!(lockout.ensure_not_locked(&[address("203.0.113.9")]).await.is_err());
    }

    #[tokio::test]
    async fn usernames_are_counted_case_insensitively() {
        let lockout = lockout(2, Duration::from_secs(60));
        lockout.record_failure(&[user("Alice")]).await.expect("record");
        lockout.record_failure(&[user("ALICE")]).await.expect("record");
        assert!(lockout.ensure_not_locked(&[user("alice")]).await.is_err());
    }

    #[test]
    fn retry_after_rounds_up_and_is_at_least_one() {
        assert_eq!(whole_seconds_up(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds_up(Duration::ZERO), 1);
        assert_eq!(whole_seconds_up(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds_up(Duration::from_secs(900)), 900);
    }

    #[test]
    fn subject_keys_name_their_kind() {
        assert_eq!(user("Alice").key(), "user:alice");
        assert_eq!(address("2001:db8::1").key(), "ip:2001:db8::1");
    }
}
