//! Password hashing with argon2id, off the async threads and bounded in concurrency and memory.
//!
//! A hash costs tens of milliseconds of CPU and `ARGON2_MEMORY_KIB` of memory. Every hash and
//! verification runs on one of `ARGON2_MAX_CONCURRENT` dedicated threads ([`workers`]), each reusing one
//! memory block, behind a semaphore of as many permits: a burst of logins queues instead of exhausting
//! memory, and a request that waits longer than [`PERMIT_WAIT`] gets a 503 rather than hanging.
//!
//! A dummy hash made at start with today's parameters stands in for unknown users. Verifying a stored
//! hash made with older, cheaper parameters is padded to the same argon2 work ([`phc`]), so an unknown
//! user, a wrong password and an account with an old hash all cost (and answer) the same; a successful
//! login reports an outdated hash ([`Verification::outdated`]) so the caller can store a fresh one.

mod phc;
mod workers;

use crate::domain::Password;
use crate::error::Error;
use crate::metrics::HashingMetrics;
use crate::settings::HashingSettings;
use argon2::Params;
use prometheus::IntGauge;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use workers::Workers;

/// How long a request waits for a hashing permit before it is answered 503.
pub const PERMIT_WAIT: Duration = Duration::from_secs(5);

/// An argon2id hash in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string read from storage; it is parsed when verified.
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    // The hash is offline-crackable material: keep it out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([REDACTED])")
    }
}

/// The outcome of checking a presented password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// The password matches a real stored hash (never the dummy).
    pub matched: bool,
    /// The stored hash was made with other parameters than today's: store a fresh one once the password
    /// is known to be right.
    pub outdated: bool,
}

/// Hashes and verifies passwords; cheap to clone, and clones share the threads and the permits.
#[derive(Debug, Clone)]
pub struct Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    permit_wait: Duration,
    workers: Workers,
    dummy: PasswordHash,
    metrics: Option<HashingMetrics>,
    /// The number of permits (and threads): what `authn_argon2_capacity` reports.
    capacity: usize,
}

impl Hasher {
    /// Starts the hashing threads and makes the dummy hash (one hash at start).
    pub async fn new(settings: &HashingSettings) -> Result<Self, Error> {
        let params = settings.params()?;
        let count = settings.max_concurrent.max(1);
        let permits = Arc::new(Semaphore::new(count));
        let workers = Workers::start(count, count, &params)?;
        // The dummy's password is random and thrown away: nothing can ever match it.
        let throwaway = uuid::Uuid::new_v4().to_string();
        let dummy_params = params.clone();
        let dummy = workers
            .run(move |memory| {
                let hash = phc::hash(&dummy_params, throwaway.as_bytes(), memory)?;
                Ok((hash, phc::work(&dummy_params)))
            })
            .await?;
        Ok(Self { params, permits, permit_wait: PERMIT_WAIT, workers, dummy, metrics: None, capacity: count })
    }

    /// Reports the queue for permits, the hashes running and the capacity through `metrics`.
    pub fn with_metrics(mut self, metrics: HashingMetrics) -> Self {
        metrics.capacity.set(i64::try_from(self.capacity).unwrap_or(i64::MAX));
        self.metrics = Some(metrics);
        self
    }

    /// Hashes a new password with the configured parameters and a random salt.
    pub async fn hash(&self, password: &Password) -> Result<PasswordHash, Error> {
        let password = password.clone();
        let params = self.params.clone();
        self.on_worker(move |memory| {
            let hash = phc::hash(&params, password.expose().as_bytes(), memory)?;
            Ok((hash, phc::work(&params)))
        })
        .await
    }

    /// Checks a presented password against a stored hash, or against the dummy hash when there is none
    /// (unknown or disabled user), which costs the same and is never a match.
    pub async fn verify(&self, password: &Password, stored: Option<&PasswordHash>) -> Result<bool, Error> {
        Ok(self.check(password, stored).await?.matched)
    }

    /// Like [`Hasher::verify`], and also says whether the stored hash is outdated. Every call costs the
    /// argon2 work of one hash with today's parameters, whatever the stored hash's parameters (when
    /// theirs are cheaper; a hash made with costlier ones costs what they cost).
    pub async fn check(&self, password: &Password, stored: Option<&PasswordHash>) -> Result<Verification, Error> {
        let password = password.clone();
        let (hash, real) = match stored {
            Some(hash) => (hash.clone(), true),
            None => (self.dummy.clone(), false),
        };
        let params = self.params.clone();
        let checked = self
            .on_worker(move |memory| {
                let checked = phc::verify(password.expose().as_bytes(), &hash, &params, memory)?;
                Ok((checked, checked.work))
            })
            .await?;
        Ok(Verification { matched: checked.matched && real, outdated: checked.outdated && real })
    }

    /// argon2 block compressions done by this hasher's threads so far (the unit its running time is
    /// proportional to).
    pub fn work_done(&self) -> u64 {
        self.workers.work_done()
    }

    /// Runs argon2 work on a hashing thread once a permit is free.
    async fn on_worker<T, W>(&self, work: W) -> Result<T, Error>
    where
        T: Send + 'static,
        W: FnOnce(&mut phc::Memory) -> Result<(T, u64), Error> + Send + 'static,
    {
        let waiting = self.metrics.as_ref().map(|metrics| GaugeGuard::raise(&metrics.queue_depth));
        let permit = tokio::time::timeout(self.permit_wait, Arc::clone(&self.permits).acquire_owned())
            .await
            .map_err(|_elapsed| Error::HashingBusy)?
            // The semaphore is never closed; a closed one would mean no more hashing, hence busy.
            .map_err(|_closed| Error::HashingBusy)?;
        drop(waiting);
        let running = self.metrics.as_ref().map(|metrics| GaugeGuard::raise(&metrics.in_flight));
        // The permit moves into the job: if the request is dropped mid-hash, the CPU and memory stay
        // accounted for until the hash actually ends.
        self.workers
            .run(move |memory| {
                let _permit = permit;
                let _running = running;
                work(memory)
            })
            .await
    }
}

/// Adds one to a gauge for as long as it lives, so a cancelled request still takes its one back.
struct GaugeGuard(IntGauge);

impl GaugeGuard {
    fn raise(gauge: &IntGauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast_settings(max_concurrent: usize) -> HashingSettings {
        HashingSettings { memory_kib: 1024, iterations: 1, parallelism: 1, max_concurrent }
    }

    fn password(raw: &str) -> Password {
        Password::parse_presented(raw.to_owned()).expect("valid")
    }

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = Hasher::new(&fast_settings(2)).await.expect("hasher");
        let hash = hasher.hash(&password("correct horse")).await.expect("hash");
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert!(hasher.verify(&password("correct horse"), Some(&hash)).await.expect("verify"));
        assert!(!hasher.verify(&password("wrong horse"), Some(&hash)).await.expect("verify"));
    }

    #[tokio::test]
    async fn salts_differ_between_hashes_of_one_password() {
        let hasher = Hasher::new(&fast_settings(2)).await.expect("hasher");
        let first = hasher.hash(&password("correct horse")).await.expect("hash");
        let second = hasher.hash(&password("correct horse")).await.expect("hash");
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn the_dummy_hash_never_matches() {
        let hasher = Hasher::new(&fast_settings(1)).await.expect("hasher");
        assert!(hasher.dummy.as_str().starts_with("$argon2id$"));
        assert!(!hasher.verify(&password(""), None).await.expect("verify"));
        assert!(!hasher.verify(&password("anything at all"), None).await.expect("verify"));
    }

    #[tokio::test]
    async fn hashes_made_with_other_parameters_still_verify() {
        let old = Hasher::new(&fast_settings(1)).await.expect("hasher");
        let hash = old.hash(&password("correct horse")).await.expect("hash");
        let stronger = HashingSettings { memory_kib: 2048, iterations: 2, ..fast_settings(1) };
        let new = Hasher::new(&stronger).await.expect("hasher");
        assert!(new.verify(&password("correct horse"), Some(&hash)).await.expect("verify"));
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_is_an_error_not_a_match() {
        let hasher = Hasher::new(&fast_settings(1)).await.expect("hasher");
        let corrupt = PasswordHash::from_stored("not a phc string".to_owned());
        assert!(matches!(hasher.verify(&password("x"), Some(&corrupt)).await, Err(Error::CorruptRecord(_))));
    }

    #[tokio::test]
    async fn waiting_too_long_for_a_permit_is_busy() {
        let mut hasher = Hasher::new(&fast_settings(1)).await.expect("hasher");
        hasher.permit_wait = Duration::from_millis(50);
        let _held = Arc::clone(&hasher.permits).acquire_owned().await.expect("permit");
        assert!(matches!(hasher.hash(&password("correct horse")).await, Err(Error::HashingBusy)));
    }

    #[tokio::test]
    async fn an_account_with_an_old_cheaper_hash_costs_what_an_unknown_user_costs() {
        let old = Hasher::new(&HashingSettings { memory_kib: 64, ..fast_settings(1) }).await.expect("hasher");
        let stored = old.hash(&password("correct horse")).await.expect("hash");
        let hasher = Hasher::new(&HashingSettings { memory_kib: 2048, iterations: 2, ..fast_settings(1) })
            .await
            .expect("hasher");
        let work_of = |stored: Option<PasswordHash>| {
            let hasher = hasher.clone();
            async move {
                let before = hasher.work_done();
                hasher.check(&password("a wrong guess"), stored.as_ref()).await.expect("check");
                hasher.work_done() - before
            }
        };
        let unknown = work_of(None).await;
        let known = work_of(Some(stored)).await;
        assert_eq!(unknown, 2048 * 2);
        assert!(known <= unknown && unknown - known < 16, "unknown user {unknown} blocks, old hash {known}");
    }

    #[tokio::test]
    async fn only_a_real_outdated_hash_is_reported_outdated() {
        let old = Hasher::new(&fast_settings(1)).await.expect("hasher");
        let stored = old.hash(&password("correct horse")).await.expect("hash");
        let new = Hasher::new(&HashingSettings { iterations: 2, ..fast_settings(1) }).await.expect("hasher");
        let right = new.check(&password("correct horse"), Some(&stored)).await.expect("check");
        assert_eq!(right, Verification { matched: true, outdated: true });
        let current = new.hash(&password("correct horse")).await.expect("hash");
        let fresh = new.check(&password("correct horse"), Some(&current)).await.expect("check");
        assert_eq!(fresh, Verification { matched: true, outdated: false });
        let dummy = new.check(&password("correct horse"), None).await.expect("check");
        assert_eq!(dummy, Verification { matched: false, outdated: false });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn argon2_runs_on_the_same_few_threads_however_many_requests_arrive() {
        let hasher = Hasher::new(&fast_settings(2)).await.expect("hasher");
        let requests = (0..64).map(|_| {
            let hasher = hasher.clone();
            tokio::spawn(async move {
                hasher
                    .on_worker(|memory| {
                        let thread = std::thread::current();
                        Ok(((thread.id(), thread.name().map(str::to_owned), memory.len()), 0))
                    })
                    .await
                    .expect("ran")
            })
        });
        let mut threads = std::collections::HashSet::new();
        for request in requests {
            let (id, name, blocks) = request.await.expect("joined");
            assert!(name.is_some_and(|name| name.starts_with("argon2-")));
            assert_eq!(blocks, 1024, "each thread holds one block sized for today's parameters");
            threads.insert(id);
        }
        assert!(threads.len() <= 2, "{} threads ran argon2", threads.len());
    }

    #[test]
    fn debug_hides_the_hash() {
        let hash = PasswordHash::from_stored("$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA".to_owned());
        assert_eq!(format!("{hash:?}"), "PasswordHash([REDACTED])");
    }
}
