//! JWK sets: the one the token service publishes, and the verification keys a verifier builds from it.

use crate::algorithm::SigningAlgorithm;
use crate::keys::SigningKey;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use std::fmt;

/// The public JWK set of these keys; empty for HS256, whose key is secret.
pub fn published_jwks<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> JwkSet {
    JwkSet { keys: keys.into_iter().filter_map(|key| key.public_jwk().cloned()).collect() }
}

/// The keys a verifier accepts, by `kid`, for one pinned algorithm.
#[derive(Clone, Default)]
pub struct VerificationKeys {
    keys: Vec<(String, DecodingKey)>,
}

impl fmt::Debug for VerificationKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.keys.iter().map(|(kid, _)| kid)).finish()
    }
}

impl VerificationKeys {
    /// From the signing keys themselves (the token service verifying its own tokens, or HS256).
    pub fn from_signing_keys<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> Self {
        Self { keys: keys.into_iter().map(|key| (key.kid().to_owned(), key.decoding_key().clone())).collect() }
    }

    /// From a fetched JWK set: keys without `kid`, not for signatures, or of another algorithm are skipped.
    pub fn from_jwks(set: &JwkSet, algorithm: SigningAlgorithm) -> Self {
        let usable = |jwk: &&Jwk| {
            let alg_fits = jwk
                .common
                .key_algorithm
                .is_none_or(|alg| jsonwebtoken::Algorithm::try_from(alg).ok() == Some(algorithm.jws()));
            let use_fits = jwk
                .common
                .public_key_use
                .as_ref()
                .is_none_or(|usage| *usage == jsonwebtoken::jwk::PublicKeyUse::Signature);
            alg_fits && use_fits && jwk.common.key_id.is_some()
        };
        let keys = set
            .keys
            .iter()
            .filter(usable)
            .filter_map(|jwk| {
                let decoding = DecodingKey::from_jwk(jwk).ok()?;
                Some((jwk.common.key_id.clone()?, decoding))
            })
            .collect();
        Self { keys }
    }

    pub fn find(&self, kid: &str) -> Option<&DecodingKey> {
        self.keys.iter().find(|(known, _)| known == kid).map(|(_, key)| key)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether both sets hold the same key ids (a JWKS re-fetch that changed nothing).
    pub fn same_kids(&self, other: &VerificationKeys) -> bool {
        self.keys.len() == other.keys.len() && self.keys.iter().all(|(kid, _)| other.find(kid).is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_set_round_trips_into_verification_keys() {
        let current = SigningKey::generate(SigningAlgorithm::EdDsa).unwrap();
        let previous = SigningKey::generate(SigningAlgorithm::EdDsa).unwrap();
        let set = published_jwks([&current, &previous]);
        let json = serde_json::to_string(&set).unwrap();
        assert!(!json.contains("\"d\""), "no private material is published");
        let keys = VerificationKeys::from_jwks(&serde_json::from_str(&json).unwrap(), SigningAlgorithm::EdDsa);
        assert_eq!(keys.len(), 2);
        assert!(keys.find(current.kid()).is_some());
        assert!(keys.find(previous.kid()).is_some());
    }

    #[test]
    fn keys_of_another_algorithm_are_skipped() {
        let ec = SigningKey::generate(SigningAlgorithm::Es256).unwrap();
        let keys = VerificationKeys::from_jwks(&published_jwks([&ec]), SigningAlgorithm::EdDsa);
        assert!(keys.is_empty());
    }

    #[test]
    fn hs256_publishes_nothing() {
        let key = SigningKey::from_secret(&[1u8; 32]).unwrap();
        assert!(published_jwks([&key]).keys.is_empty());
    }
}
