//! Password hashing with argon2id, off the async threads and bounded in concurrency.
//!
//! A hash costs tens of milliseconds of CPU and `ARGON2_MEMORY_KIB` of memory, so every hash and
//! verification runs on tokio's blocking pool behind a semaphore of `ARGON2_MAX_CONCURRENT` permits: a
//! burst of logins queues instead of exhausting memory, and a request that waits longer than
//! [`PERMIT_WAIT`] gets a 503 rather than hanging. A dummy hash made at start with the same parameters
//! stands in for unknown users, so their logins cost (and answer) exactly what a wrong password does.

use crate::domain::Password;
use crate::error::Error;
use crate::metrics::HashingMetrics;
use crate::settings::HashingSettings;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use prometheus::IntGauge;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

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

/// Hashes and verifies passwords; cheap to clone, and clones share the permits.
#[derive(Debug, Clone)]
pub struct Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    permit_wait: Duration,
    dummy: PasswordHash,
    metrics: Option<HashingMetrics>,
}

impl Hasher {
    /// Builds the hasher and the dummy hash (one hash at start, on the blocking pool).
    pub async fn new(settings: &HashingSettings) -> Result<Self, Error> {
        let params = settings.params()?;
        let permits = Arc::new(Semaphore::new(settings.max_concurrent.max(1)));
        // The dummy's password is random and thrown away: nothing can ever match it.
        let throwaway = uuid::Uuid::new_v4().to_string();
        let dummy_params = params.clone();
        let dummy = tokio::task::spawn_blocking(move || hash_blocking(&dummy_params, throwaway.as_bytes()))
            .await
            .map_err(|error| Error::BlockingTask(error.to_string()))??;
        Ok(Self { params, permits, permit_wait: PERMIT_WAIT, dummy, metrics: None })
    }

    /// Reports the queue for permits and the hashes running through `metrics`.
    pub fn with_metrics(mut self, metrics: HashingMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Hashes a new password with the configured parameters and a random salt.
    pub async fn hash(&self, password: &Password) -> Result<PasswordHash, Error> {
        let password = password.clone();
        let params = self.params.clone();
        self.on_blocking_pool(move || hash_blocking(&params, password.expose().as_bytes())).await
    }

    /// Checks a presented password against a stored hash, or against the dummy hash when there is none
    /// (unknown or disabled user), which costs the same and is never a match.
    pub async fn verify(&self, password: &Password, stored: Option<&PasswordHash>) -> Result<bool, Error> {
        let password = password.clone();
        let (hash, real) = match stored {
            Some(hash) => (hash.clone(), true),
            None => (self.dummy.clone(), false),
        };
        let matched = self.on_blocking_pool(move || verify_blocking(password.expose().as_bytes(), &hash)).await?;
        Ok(matched && real)
    }

    /// Runs argon2 work on the blocking pool once a permit is free.
    async fn on_blocking_pool<T, W>(&self, work: W) -> Result<T, Error>
    where
        T: Send + 'static,
        W: FnOnce() -> Result<T, Error> + Send + 'static,
    {
        let waiting = self.metrics.as_ref().map(|metrics| GaugeGuard::raise(&metrics.queue_depth));
        let permit = tokio::time::timeout(self.permit_wait, Arc::clone(&self.permits).acquire_owned())
            .await
            .map_err(|_elapsed| Error::HashingBusy)?
            // The semaphore is never closed; a closed one would mean no more hashing, hence busy.
            .map_err(|_closed| Error::HashingBusy)?;
        drop(waiting);
        let running = self.metrics.as_ref().map(|metrics| GaugeGuard::raise(&metrics.in_flight));
        // The permit moves into the task: if the request is dropped mid-hash, the CPU and memory stay
        // accounted for until the hash actually ends.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _running = running;
            work()
        })
        .await
        .map_err(|error| Error::BlockingTask(error.to_string()))?
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

fn hash_blocking(params: &Params, password: &[u8]) -> Result<PasswordHash, Error> {
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let hash = argon2.hash_password(password).map_err(|error| Error::Hashing(error.to_string()))?;
    Ok(PasswordHash(hash.to_string()))
}

/// Verifies with the parameters recorded in the hash itself, so raising the settings later does not
/// lock out users whose hashes were made with the old ones.
fn verify_blocking(password: &[u8], stored: &PasswordHash) -> Result<bool, Error> {
    let parsed = argon2::PasswordHash::new(stored.as_str())
        .map_err(|error| Error::CorruptRecord(format!("stored password hash does not parse: {error}")))?;
    match Argon2::default().verify_password(password, &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(error) => Err(Error::Hashing(error.to_string())),
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

    #[test]
    fn debug_hides_the_hash() {
        let hash = PasswordHash::from_stored("$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA".to_owned());
        assert_eq!(format!("{hash:?}"), "PasswordHash([REDACTED])");
    }
}
