//! The signing key in use, the previous keys still published for verification, and the JWKS document
//! serialized once at start (it only changes with a restart).

use auth_jwt::algorithm::SigningAlgorithm;
use auth_jwt::jwks::{VerificationKeys, published_jwks};
use auth_jwt::keys::{KeyError, SigningKey};

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
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn hs256_publishes_an_empty_set() {
        let ring = KeyRing::new(SigningKey::from_secret(&[9u8; 32]).unwrap(), Vec::new());
        assert_eq!(ring.jwks_json(), r#"{"keys":[]}"#);
    }
}
