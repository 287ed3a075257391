//! The private key of a [`crate::keys::SigningKey`], parsed once.
//!
//! `jsonwebtoken::encode` parses the key on every call: for EdDSA that derives the public key again (a
//! second scalar multiplication beside the signature's), for RS256 it checks the whole RSA key. Under
//! `make bench` the refresh route spent about a fifth of the token service's CPU in Ed25519, half of it
//! re-deriving the key. The signatures are the same algorithms jsonwebtoken uses with aws-lc-rs.

use crate::algorithm::SigningAlgorithm;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use aws_lc_rs::{error, hmac};
use jsonwebtoken::EncodingKey;
use std::sync::Arc;

/// Why a key did not parse, or could not sign.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SignerError(String);

impl From<error::Unspecified> for SignerError {
    fn from(_: error::Unspecified) -> Self {
        Self("the key could not sign".to_owned())
    }
}

#[derive(Clone)]
pub(crate) struct PreparedSigner(Arc<Kind>);

enum Kind {
    Ed25519(Ed25519KeyPair),
    EcdsaP256(EcdsaKeyPair, SystemRandom),
    Rsa(RsaKeyPair, SystemRandom),
    // Boxed: an HMAC key holds its precomputed inner and outer hash states (over a kilobyte).
    Hmac(Box<hmac::Key>),
}

impl PreparedSigner {
    /// Parses `key` (as jsonwebtoken holds it: PKCS#8 DER for EdDSA and ES256, PKCS#1 DER for RS256, the
    /// secret for HS256) for `algorithm`.
    pub(crate) fn new(algorithm: SigningAlgorithm, key: &EncodingKey) -> Result<Self, SignerError> {
        let rejected = |error: error::KeyRejected| SignerError(error.to_string());
        let bytes = key.as_bytes();
        let kind = match algorithm {
            SigningAlgorithm::EdDsa => Kind::Ed25519(Ed25519KeyPair::from_pkcs8(bytes).map_err(rejected)?),
            SigningAlgorithm::Es256 => Kind::EcdsaP256(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, bytes).map_err(rejected)?,
                SystemRandom::new(),
            ),
            SigningAlgorithm::Rs256 => Kind::Rsa(RsaKeyPair::from_der(bytes).map_err(rejected)?, SystemRandom::new()),
            SigningAlgorithm::Hs256 => Kind::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, bytes))),
        };
        Ok(Self(Arc::new(kind)))
    }

    /// The JWS signature of `message` (for ES256 the fixed-width `r || s` form JWS asks for).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        Ok(match &*self.0 {
            Kind::Ed25519(pair) => pair.sign(message).as_ref().to_vec(),
            Kind::EcdsaP256(pair, random) => pair.sign(random, message)?.as_ref().to_vec(),
            Kind::Rsa(pair, random) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, random, message, &mut signature)?;
                signature
            }
            Kind::Hmac(key) => hmac::sign(key, message).as_ref().to_vec(),
        })
    }
}
