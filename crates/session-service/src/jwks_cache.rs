//! The keys that verify access tokens: fetched from the token service's JWKS and cached, re-fetched when
//! a token names an unknown `kid` and refreshed periodically so retired keys drop out; or, with HS256,
//! the shared secret. The hot path only clones an `Arc`.
//!
//! Re-fetches are single-flight and at most one per [`MIN_REFETCH_INTERVAL`]: a request that arrives
//! during the cool-down waits for its end rather than being refused, so a freshly rotated key is accepted
//! within a second, while a flood of random kids costs the token service one fetch a second at most.

use crate::metrics::JwksFetchMetrics;
use auth_jwt::JwkSet;
use auth_jwt::algorithm::SigningAlgorithm;
use auth_jwt::jwks::VerificationKeys;
use auth_jwt::keys::SigningKey;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Unknown-kid re-fetches are at most this frequent.
pub const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(1);
/// While no key was ever loaded, the background task retries this often.
const STARTUP_RETRY: Duration = Duration::from_secs(2);
/// The JWKS is refreshed this often even when every kid is known.
pub const PERIODIC_REFRESH: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum KeyFetchError {
    #[error("the JWKS could not be fetched: {0}")]
    Unreachable(String),
    #[error("the JWKS is not a JWK set: {0}")]
    Malformed(String),
}

#[derive(Debug)]
enum Source {
    /// The HS256 secret in force (its predecessor, if any, is only among the verification keys).
    Fixed {
        secret: Box<std::sync::Mutex<SigningKey>>,
    },
    Remote {
        url: String,
        client: reqwest::Client,
    },
}

#[derive(Debug)]
pub struct KeyCache {
    algorithm: SigningAlgorithm,
    source: Source,
    keys: RwLock<Arc<VerificationKeys>>,
    loaded: AtomicBool,
    /// How the last JWKS fetch went ([`FETCH_NONE`], [`FETCH_OK`], [`FETCH_FAILED`]), reported by `/readyz`.
    last_fetch: AtomicU8,
    /// Bumped whenever the set of kids changes, so results verified under the old set are dropped.
    generation: AtomicU64,
    last_fetch_at: tokio::sync::Mutex<Option<Instant>>,
    /// Counts every fetch by result, for `/metrics` (the `JwksRefreshFailing` alert).
    fetch_metrics: Option<JwksFetchMetrics>,
}

const FETCH_NONE: u8 = 0;
const FETCH_OK: u8 = 1;
const FETCH_FAILED: u8 = 2;

impl KeyCache {
    /// HS256: the shared secret is the only key.
    pub fn from_secret(secret: &[u8]) -> Result<Self, auth_jwt::keys::KeyError> {
        let key = SigningKey::from_secret(secret)?;
        Ok(Self {
            algorithm: SigningAlgorithm::Hs256,
            keys: RwLock::new(Arc::new(VerificationKeys::from_signing_keys([&key]))),
            source: Source::Fixed { secret: Box::new(std::sync::Mutex::new(key)) },
            loaded: AtomicBool::new(true),
            last_fetch: AtomicU8::new(FETCH_NONE),
            generation: AtomicU64::new(0),
            last_fetch_at: tokio::sync::Mutex::new(None),
            fetch_metrics: None,
        })
    }

    /// Keys from a JWKS URL; nothing is fetched until [`KeyCache::refresh`] is called.
    pub fn remote(url: &str, algorithm: SigningAlgorithm) -> Result<Self, KeyFetchError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| KeyFetchError::Unreachable(error.to_string()))?;
        Ok(Self {
            algorithm,
            source: Source::Remote { url: url.to_owned(), client },
            keys: RwLock::new(Arc::new(VerificationKeys::default())),
            loaded: AtomicBool::new(false),
            last_fetch: AtomicU8::new(FETCH_NONE),
            generation: AtomicU64::new(0),
            last_fetch_at: tokio::sync::Mutex::new(None),
            fetch_metrics: None,
        })
    }

    /// Counts every fetch, by result, through `metrics`.
    pub fn with_fetch_metrics(mut self, metrics: JwksFetchMetrics) -> Self {
        self.fetch_metrics = Some(metrics);
        self
    }

    pub fn current(&self) -> Arc<VerificationKeys> {
        match self.keys.read() {
            Ok(keys) => Arc::clone(&keys),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Changes whenever the set of key ids changes.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether keys were ever loaded: until then no token can be verified.
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// Whether the last JWKS fetch succeeded: `None` for the HS256 secret (nothing to fetch) or before the
    /// first attempt. Reported by `/readyz` as the token service's state; it never makes the service
    /// unready once a key set was loaded.
    pub fn last_fetch_ok(&self) -> Option<bool> {
        if matches!(self.source, Source::Fixed { .. }) {
            return None;
        }
        match self.last_fetch.load(Ordering::Acquire) {
            FETCH_OK => Some(true),
            FETCH_FAILED => Some(false),
            _ => None,
        }
    }

    /// HS256: verifies with `secret` from now on, and with the secret it replaces until the next change
    /// (tokens signed before the token service took the new secret too). The same secret again changes
    /// nothing. `false` for a JWKS cache.
    pub fn replace_secret(&self, secret: SigningKey) -> bool {
        let Source::Fixed { secret: in_force } = &self.source else { return false };
        let mut in_force = in_force.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if in_force.kid() == secret.kid() {
            return true;
        }
        let keys = VerificationKeys::from_signing_keys([&secret, &*in_force]);
        let mut current = self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        *current = Arc::new(keys);
        drop(current);
        *in_force = secret;
        true
    }

    /// Fetches the JWKS now and replaces the cached keys.
    pub async fn refresh(&self) -> Result<(), KeyFetchError> {
        let mut last_fetch = self.last_fetch_at.lock().await;
        *last_fetch = Some(Instant::now());
        self.fetch_and_record().await
    }

    /// After a token named an unknown kid (or readiness found no keys): re-fetch, unless another request
    /// fetched while this one waited; within the cool-down, wait for its end first.
    pub async fn refresh_rate_limited(&self) -> Result<(), KeyFetchError> {
        let asked_at = Instant::now();
        let mut last_fetch = self.last_fetch_at.lock().await;
        if let Some(at) = *last_fetch {
            if at >= asked_at {
                return Ok(());
            }
            let since = at.elapsed();
            if since < MIN_REFETCH_INTERVAL {
                tokio::time::sleep(MIN_REFETCH_INTERVAL - since).await;
            }
        }
        *last_fetch = Some(Instant::now());
        self.fetch_and_record().await
    }

    async fn fetch_and_record(&self) -> Result<(), KeyFetchError> {
        let result = self.fetch_and_store().await;
        self.last_fetch.store(if result.is_ok() { FETCH_OK } else { FETCH_FAILED }, Ordering::Release);
        if let Some(metrics) = &self.fetch_metrics {
            if result.is_ok() { metrics.ok.inc() } else { metrics.failed.inc() }
        }
        result
    }

    #[tracing::instrument(level = "debug", name = "fetch jwks", skip_all, fields(otel.kind = "client"))]
    async fn fetch_and_store(&self) -> Result<(), KeyFetchError> {
        let Source::Remote { url, client } = &self.source else { return Ok(()) };
        let mut request = client.get(url);
        for (name, value) in telemetry::propagation::trace_context_headers() {
            request = request.header(name, value);
        }
        let response = request
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|error| KeyFetchError::Unreachable(error.without_url().to_string()))?;
        let set: JwkSet =
            response.json().await.map_err(|error| KeyFetchError::Malformed(error.without_url().to_string()))?;
        let keys = VerificationKeys::from_jwks(&set, self.algorithm);
        tracing::debug!(keys = keys.len(), "JWKS fetched");
        let mut current = self.keys.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !current.same_kids(&keys) {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        *current = Arc::new(keys);
        drop(current);
        self.loaded.store(true, Ordering::Release);
        Ok(())
    }

    /// Refreshes the keys in the background for the life of the process.
    pub fn spawn_periodic_refresh(self: &Arc<Self>) {
        if matches!(self.source, Source::Fixed { .. }) {
            return;
        }
        let cache = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                if let Err(error) = cache.refresh().await {
                    tracing::warn!(%error, "JWKS refresh failed; keeping the cached keys");
                }
                let wait = if cache.is_loaded() { PERIODIC_REFRESH } else { STARTUP_RETRY };
                tokio::time::sleep(wait).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::SessionMetrics;

    #[tokio::test]
    async fn a_failed_fetch_is_counted_as_failed() {
        let registry = prometheus::Registry::new();
        let metrics = SessionMetrics::register(&registry).unwrap().jwks_fetches();
        // A free port with nothing listening: the connection is refused.
        let url = format!("http://127.0.0.1:{}/.well-known/jwks.json", test_support::free_port());
        let cache = KeyCache::remote(&url, SigningAlgorithm::EdDsa).unwrap().with_fetch_metrics(metrics.clone());
        assert!(cache.refresh().await.is_err());
        assert_eq!((metrics.ok.get(), metrics.failed.get()), (0, 1));
    }
}
