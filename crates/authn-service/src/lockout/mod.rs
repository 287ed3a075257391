//! Login failure counting: after `LOGIN_MAX_FAILURES` failures for one username or one client address
//! within `LOGIN_LOCKOUT_SECONDS`, logins for it are refused with 429 until the window passes.
//!
//! An attempt is *reserved* before its password is checked: one atomic step per subject takes one of
//! the `LOGIN_MAX_FAILURES` attempts of the window, or refuses when none is left. So of any number of
//! simultaneous guesses, on any number of replicas sharing the store, at most `LOGIN_MAX_FAILURES` per
//! subject and window ever reach the password hash; the rest are refused before any hashing. (Checking
//! the count first and recording the failure after the hash, as the first release did, let forty
//! simultaneous guesses all pass the check while the count was still 0.) A reserved attempt stays
//! counted as a failure unless it is given back: when the password was right (the username's counter is
//! then cleared, the address only gets its attempt back, so an attacker cannot reset an address's count
//! by logging into an account of their own), or when the password was never checked (a 503 on the way).
//!
//! The username is reserved first, then the address; when the address refuses, the username's attempt
//! is given back. Each step touches one key, so the Redis layout needs no hash tags (see
//! [`redis_store`]). Failures are counted in a fixed window that starts at the subject's first
//! reservation; the reservation that reaches the limit restarts it, so a lockout always lasts the full
//! `LOGIN_LOCKOUT_SECONDS`, even when the limit is reached late in the window. The counters live behind
//! [`FailureStore`], with a Redis implementation (shared by every replica) and an in-memory one with the
//! same semantics for `dev` and tests; [`Lockout`] holds the policy.

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

/// The answer to a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// One attempt was taken; it counts as a failure until given back.
    Granted,
    /// The subject already has `max_failures` within the window, which ends in `resets_in`.
    Refused { resets_in: Duration },
}

/// Where failure counters live. Every method is atomic per subject, across replicas for a shared store.
pub trait FailureStore: Clone + Send + Sync + 'static {
    /// Takes one attempt for `subject` unless it already has `policy.max_failures` within the window.
    /// The subject's first attempt starts a window of `policy.window`; the attempt that brings it to
    /// `policy.max_failures` starts a fresh one (the lockout).
    fn reserve(
        &self,
        subject: &FailureSubject,
        policy: LockoutPolicy,
    ) -> impl Future<Output = Result<Reservation, Error>> + Send;

    /// Gives back one attempt taken by [`FailureStore::reserve`] (never below zero).
    fn give_back(&self, subject: &FailureSubject) -> impl Future<Output = Result<(), Error>> + Send;

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

    /// Reserves one attempt for every subject, in order, or for none: `Err(LockedOut)` with the seconds
    /// left when one refuses (the attempts already taken are given back).
    pub async fn reserve(&self, subjects: &[FailureSubject]) -> Result<(), Error> {
        for (index, subject) in subjects.iter().enumerate() {
            match self.store.reserve(subject, self.policy).await {
                Ok(Reservation::Granted) => {}
                Ok(Reservation::Refused { resets_in }) => {
                    self.give_back(&subjects[..index]).await;
                    return Err(Error::LockedOut { retry_after_seconds: whole_seconds_up(resets_in) });
                }
                Err(error) => {
                    self.give_back(&subjects[..index]).await;
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// The password was right: the username's failures are forgotten, the address gets its attempt back.
    pub async fn succeeded(&self, subjects: &[FailureSubject]) -> Result<(), Error> {
        for subject in subjects {
            match subject {
                FailureSubject::Username(_) => self.store.clear(subject).await?,
                FailureSubject::Address(_) => self.store.give_back(subject).await?,
            }
        }
        Ok(())
    }

    /// The password was never checked (the request failed on the way): every attempt is given back.
    pub async fn unchecked(&self, subjects: &[FailureSubject]) {
        self.give_back(subjects).await;
    }

    /// Best effort: when the store is down the attempt stays counted, which errs on the safe side.
    async fn give_back(&self, subjects: &[FailureSubject]) {
        for subject in subjects {
            if let Err(error) = self.store.give_back(subject).await {
                tracing::warn!(%error, "a reserved login attempt could not be given back");
            }
        }
    }

    /// Forgets a subject's failures.
    pub async fn clear(&self, subject: &FailureSubject) -> Result<(), Error> {
        self.store.clear(subject).await
    }
}

/// `Retry-After` is in whole seconds; round up so a client that obeys it is not refused again, and never
/// say 0 (which would invite an immediate retry while the lock still holds).
pub fn whole_seconds_up(duration: Duration) -> u64 {
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

    fn locked(result: Result<(), Error>) -> u64 {
        match result {
            Err(Error::LockedOut { retry_after_seconds }) => retry_after_seconds,
            other => panic!("expected a lockout, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn locks_at_the_limit_and_not_before() {
        let lockout = lockout(3, Duration::from_secs(60));
        let subjects = [user("alice")];
        for _ in 0..3 {
            lockout.reserve(&subjects).await.expect("an attempt is left");
        }
        assert!((59..=60).contains(&locked(lockout.reserve(&subjects).await)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn of_many_simultaneous_attempts_only_the_limit_is_granted() {
        let lockout = lockout(5, Duration::from_secs(60));
        let attempts = (0..40).map(|n| {
            let lockout = lockout.clone();
            tokio::spawn(async move { lockout.reserve(&[user("alice"), address(&format!("203.0.113.{n}"))]).await })
        });
        let mut granted = 0;
        for attempt in attempts {
            granted += usize::from(attempt.await.expect("joined").is_ok());
        }
        assert_eq!(granted, 5);
    }

    #[tokio::test]
    async fn either_subject_refuses_the_attempt_and_the_other_gets_its_attempt_back() {
        let lockout = lockout(2, Duration::from_secs(60));
        let attacker = address("203.0.113.9");
        lockout.reserve(&[user("a"), attacker.clone()]).await.expect("granted");
        lockout.reserve(&[user("b"), attacker.clone()]).await.expect("granted");
        // A fresh username from the same address is refused: the address reached the limit.
        locked(lockout.reserve(&[user("c"), attacker.clone()]).await);
        // ...and "c" was not charged for it: two attempts from elsewhere are still granted.
        for from in ["198.51.100.1", "198.51.100.2"] {
            lockout.reserve(&[user("c"), address(from)]).await.expect("c has its attempts");
        }
        locked(lockout.reserve(&[user("c"), address("198.51.100.3")]).await);
    }

    #[tokio::test]
    async fn a_success_clears_the_username_and_gives_the_address_its_attempt_back() {
        let lockout = lockout(2, Duration::from_secs(60));
        let from = address("203.0.113.9");
        let alice = [user("alice"), from.clone()];
        lockout.reserve(&alice).await.expect("granted");
        lockout.reserve(&alice).await.expect("granted");
        lockout.succeeded(&alice).await.expect("succeeded");
        // The address had two failures and got one back: one more attempt, then locked.
        lockout.reserve(&[user("bob"), from.clone()]).await.expect("granted");
        locked(lockout.reserve(&[user("carol"), from]).await);
        // Alice's failures were forgotten.
        for from in ["198.51.100.1", "198.51.100.2"] {
            lockout.reserve(&[user("alice"), address(from)]).await.expect("cleared");
        }
    }

    #[tokio::test]
    async fn unchecked_attempts_are_given_back() {
        let lockout = lockout(1, Duration::from_secs(60));
        let subjects = [user("alice"), address("203.0.113.9")];
        lockout.reserve(&subjects).await.expect("granted");
        lockout.unchecked(&subjects).await;
        lockout.reserve(&subjects).await.expect("the attempt came back");
    }

    #[tokio::test]
    async fn the_lock_ends_with_the_window() {
        let lockout = lockout(1, Duration::from_millis(500));
        let subjects = [user("alice")];
        lockout.reserve(&subjects).await.expect("granted");
        // Under a second left still says one second, never zero.
        assert_eq!(locked(lockout.reserve(&subjects).await), 1);
        tokio::time::sleep(Duration::from_millis(600)).await;
        lockout.reserve(&subjects).await.expect("window passed");
    }

    #[tokio::test]
    async fn a_lock_lasts_a_full_window_from_the_attempt_that_locked() {
        let lockout = lockout(2, Duration::from_secs(1));
        let subjects = [user("alice")];
        lockout.reserve(&subjects).await.expect("granted");
        tokio::time::sleep(Duration::from_millis(600)).await;
        lockout.reserve(&subjects).await.expect("granted");
        // Past the first attempt's window, but the locking attempt restarted it.
        tokio::time::sleep(Duration::from_millis(500)).await;
        locked(lockout.reserve(&subjects).await);
        tokio::time::sleep(Duration::from_millis(600)).await;
        lockout.reserve(&subjects).await.expect("the lock ended");
    }

    #[tokio::test]
    async fn the_window_starts_at_the_first_failure() {
        let lockout = lockout(3, Duration::from_millis(300));
        let subjects = [user("alice")];
        lockout.reserve(&subjects).await.expect("granted");
        tokio::time::sleep(Duration::from_millis(200)).await;
        lockout.reserve(&subjects).await.expect("granted");
        tokio::time::sleep(Duration::from_millis(200)).await;
        // The first window has passed: this is attempt one of a new window, not three of the old.
        lockout.reserve(&subjects).await.expect("granted");
        lockout.reserve(&subjects).await.expect("granted");
    }

    #[tokio::test]
    async fn usernames_are_counted_case_insensitively() {
        let lockout = lockout(2, Duration::from_secs(60));
        lockout.reserve(&[user("Alice")]).await.expect("granted");
        lockout.reserve(&[user("ALICE")]).await.expect("granted");
        locked(lockout.reserve(&[user("alice")]).await);
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
