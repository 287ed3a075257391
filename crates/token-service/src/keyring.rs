//! The signing key in use, the previous keys still published for verification, and the JWKS document
//! serialized once per ring; and [`SharedKeyRing`], the ring in force, replaced whole when the key files
//! are re-read (`SIGHUP`, see `key_reload`).
//!
//! A request takes the ring once ([`SharedKeyRing::load`]) and uses that snapshot throughout, so a reload
//! in the middle of it never pairs one ring's key with another ring's JWKS; the swap itself is one
//! pointer store under a lock held for no longer than that, so no request waits on a reload's file reads.

use auth_jwt::algorithm::SigningAlgorithm;
use auth_jwt::jwks::{VerificationKeys, published_jwks};
use auth_jwt::keys::{KeyError, SigningKey};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

#[derive(Debug)]
pub struct KeyRing {
    current: SigningKey,
    previous: Vec<SigningKey>,
    verification: VerificationKeys,
    jwks_json: String,
    /// Generated at start (`dev` without a key file): its tokens die with the process.
    ephemeral: bool,
}

impl KeyRing {
    pub fn new(current: SigningKey, previous: Vec<SigningKey>) -> Self {
        // A previous key equal to the current one would be published twice under one kid.
        let previous: Vec<SigningKey> = previous.into_iter().filter(|key| key.kid() != current.kid()).collect();
        let all = || std::iter::once(&current).chain(previous.iter());
        let verification = VerificationKeys::from_signing_keys(all());
        let jwks_json = serde_json::to_string(&published_jwks(all())).unwrap_or_else(|_| r#"{"keys":[]}"#.to_owned());
        Self { current, previous, verification, jwks_json, ephemeral: false }
    }

    /// A ring around a key generated now, for `dev` runs without a key file.
    pub fn generated(algorithm: SigningAlgorithm, previous: Vec<SigningKey>) -> Result<Self, KeyError> {
        Ok(Self { ephemeral: true, ..Self::new(SigningKey::generate(algorithm)?, previous) })
    }

    /// A ring that keeps `in_force`'s current key (one no file holds: the HS256 secret or a `dev`
    /// ephemeral key) beside newly read previous keys.
    pub fn keeping_current(in_force: &KeyRing, previous: Vec<SigningKey>) -> Self {
        Self { ephemeral: in_force.ephemeral, ..Self::new(in_force.current.clone(), previous) }
    }

    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }

    pub fn algorithm(&self) -> SigningAlgorithm {
        self.current.algorithm()
    }

    pub fn current(&self) -> &SigningKey {
        &self.current
    }

    pub fn previous(&self) -> &[SigningKey] {
        &self.previous
    }

    /// Keys that verify tokens this service issued: current and previous.
    pub fn verification(&self) -> &VerificationKeys {
        &self.verification
    }

    pub fn jwks_json(&self) -> &str {
        &self.jwks_json
    }

    /// The kids this ring publishes, current first, for the reload log.
    pub fn kids(&self) -> Vec<&str> {
        std::iter::once(&self.current).chain(self.previous.iter()).map(SigningKey::kid).collect()
    }
}

/// The key ring in force: every handler reads it, a reload replaces it.
#[derive(Debug)]
pub struct SharedKeyRing {
    ring: RwLock<Arc<KeyRing>>,
    /// Bumped by every replacement, so that tokens verified under an older ring are verified again.
    generation: AtomicU64,
}

impl SharedKeyRing {
    pub fn new(ring: Arc<KeyRing>) -> Self {
        Self { ring: RwLock::new(ring), generation: AtomicU64::new(0) }
    }

    /// Which ring is in force: read it before [`SharedKeyRing::load`] when caching what the ring verified.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The ring in force now; keep it for the whole request.
    pub fn load(&self) -> Arc<KeyRing> {
        // A poisoned lock still holds a whole ring: a panic cannot happen between the two halves of a swap.
        Arc::clone(&self.ring.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Puts `ring` in force for every request that starts from now on.
    pub fn replace(&self, ring: KeyRing) {
        *self.ring.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(ring);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_replacement_moves_the_generation_on() {
        let key = || SigningKey::generate(SigningAlgorithm::EdDsa).unwrap();
        let shared = SharedKeyRing::new(Arc::new(KeyRing::new(key(), Vec::new())));
        let first = shared.generation();
        shared.replace(KeyRing::new(key(), Vec::new()));
        assert!(shared.generation() > first, "tokens verified under the old ring are verified again");
    }

    #[test]
    fn publishes_current_and_previous_keys_once_each() {
        let current = SigningKey::generate(SigningAlgorithm::EdDsa).unwrap();
        let previous = SigningKey::generate(SigningAlgorithm::EdDsa).unwrap();
        let ring = KeyRing::new(current, vec![previous]);
        let set: serde_json::Value = serde_json::from_str(ring.jwks_json()).unwrap();
        assert_eq!(set["keys"].as_array().unwrap().len(), 2);
        assert_eq!(ring.verification().len(), 2);
    }

    #[test]
    fn a_replaced_ring_is_seen_by_new_loads_while_old_snapshots_stay_whole() {
        let first = SigningKey::generate(SigningAlgorithm::EdDsa).unwrap();
        let second = SigningKey::generate(SigningAlgorithm::EdDsa).unwrap();
        let (first_kid, second_kid) = (first.kid().to_owned(), second.kid().to_owned());
        let shared = SharedKeyRing::new(Arc::new(KeyRing::new(first.clone(), Vec::new())));
        let before = shared.load();
        shared.replace(KeyRing::new(second, vec![first]));
        assert_eq!(before.current().kid(), first_kid);
        assert_eq!(before.kids(), [first_kid.as_str()]);
        let after = shared.load();
        assert_eq!(after.kids(), [second_kid.as_str(), first_kid.as_str()]);
        assert_eq!(after.verification().len(), 2);
    }

    #[test]
    fn hs256_publishes_an_empty_set() {
        let ring = KeyRing::new(SigningKey::from_secret(&[9u8; 32]).unwrap(), Vec::new());
        assert_eq!(ring.jwks_json(), r#"{"keys":[]}"#);
    }
}
