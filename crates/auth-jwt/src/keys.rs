//! Signing keys: loaded from a PEM private key (EdDSA, ES256, RS256) or a secret (HS256), generated for
//! `keys generate` and the `dev` ephemeral key, each with its RFC 7638 thumbprint as `kid`.

use crate::algorithm::SigningAlgorithm;
use crate::signer::{PreparedSigner, SignerError};
use auth_proto::claims::AccessClaims;
use aws_lc_rs::encoding::AsDer;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{DecodingKey, EncodingKey, Header};
use serde::Serialize;
use std::fmt;

/// HS256 secrets shorter than this are refused (RFC 7518 section 3.2: at least the hash size).
pub const MIN_HS256_SECRET_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key is not a valid {algorithm} private key in PEM (PKCS#8) form")]
    InvalidPem { algorithm: SigningAlgorithm },
    #[error("the HS256 secret must be at least {MIN_HS256_SECRET_BYTES} bytes")]
    SecretTooShort,
    #[error("{0} keys are not PEM files; HS256 uses SECRET_KEY")]
    NotAPemAlgorithm(SigningAlgorithm),
    #[error("key generation failed")]
    Generation,
    #[error("signing failed: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
    #[error("signing failed: {0}")]
    Signer(#[from] SignerError),
    #[error("the claims could not be written as JSON: {0}")]
    Claims(#[from] serde_json::Error),
}

/// A private key that signs access tokens, with what verifiers need to check them.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    algorithm: SigningAlgorithm,
    signer: PreparedSigner,
    decoding: DecodingKey,
    public_jwk: Option<Jwk>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads a PEM private key for an asymmetric algorithm and proves it signs and verifies.
    pub fn from_pem(algorithm: SigningAlgorithm, pem: &[u8]) -> Result<Self, KeyError> {
        let invalid = |_| KeyError::InvalidPem { algorithm };
        let encoding = match algorithm {
            SigningAlgorithm::EdDsa => EncodingKey::from_ed_pem(pem).map_err(invalid)?,
            SigningAlgorithm::Es256 => EncodingKey::from_ec_pem(pem).map_err(invalid)?,
            SigningAlgorithm::Rs256 => EncodingKey::from_rsa_pem(pem).map_err(invalid)?,
            SigningAlgorithm::Hs256 => return Err(KeyError::NotAPemAlgorithm(algorithm)),
        };
        let mut jwk = Jwk::from_encoding_key(&encoding, algorithm.jws()).map_err(invalid)?;
        let kid = kid_of(&jwk).map_err(invalid)?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let decoding = DecodingKey::from_jwk(&jwk).map_err(invalid)?;
        let signer = PreparedSigner::new(algorithm, &encoding).map_err(|_| KeyError::InvalidPem { algorithm })?;
        let key = Self { kid, algorithm, signer, decoding, public_jwk: Some(jwk) };
        key.self_test().map_err(|_| KeyError::InvalidPem { algorithm })?;
        Ok(key)
    }

    /// An HS256 key from a shared secret; its `kid` is the thumbprint, which does not reveal the secret.
    pub fn from_secret(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.len() < MIN_HS256_SECRET_BYTES {
            return Err(KeyError::SecretTooShort);
        }
        let encoding = EncodingKey::from_secret(secret)?;
        let kid = kid_of(&Jwk::from_encoding_key(&encoding, jsonwebtoken::Algorithm::HS256)?)?;
        let decoding = DecodingKey::from_secret(secret)?;
        let signer = PreparedSigner::new(SigningAlgorithm::Hs256, &encoding)?;
        Ok(Self { kid, algorithm: SigningAlgorithm::Hs256, signer, decoding, public_jwk: None })
    }

    /// A fresh key, for the `dev` ephemeral key and tests.
    pub fn generate(algorithm: SigningAlgorithm) -> Result<Self, KeyError> {
        match algorithm {
            SigningAlgorithm::Hs256 => {
                let mut secret = [0u8; 32];
                aws_lc_rs::rand::fill(&mut secret).map_err(|_| KeyError::Generation)?;
                Self::from_secret(&secret)
            }
            _ => Self::from_pem(algorithm, generate_private_key_pem(algorithm)?.as_bytes()),
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// The public JWK (with `kid`, `alg` and `use`), or `None` for HS256.
    pub fn public_jwk(&self) -> Option<&Jwk> {
        self.public_jwk.as_ref()
    }

    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// Signs access-token claims with `alg`, `kid` and `typ: at+jwt` (RFC 9068) in the header.
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, KeyError> {
        self.sign_as(claims, Some(crate::verify::ACCESS_TOKEN_TYPE))
    }

    /// Signs claims under another header `typ` (or none), for tests that check it is refused.
    #[cfg(test)]
    pub(crate) fn sign_with_type(&self, claims: &AccessClaims, typ: Option<&str>) -> Result<String, KeyError> {
        self.sign_as(claims, typ)
    }

    /// A compact JWS (RFC 7515): the header and claims as base64url JSON, signed with the key parsed once.
    fn sign_as<T: Serialize>(&self, claims: &T, typ: Option<&str>) -> Result<String, KeyError> {
        let mut header = Header::new(self.algorithm.jws());
        header.kid = Some(self.kid.clone());
        header.typ = typ.map(str::to_owned);
        let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(claims)?, &mut token);
        let signature = self.signer.sign(token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }

    /// Signs a probe as every token is signed, and verifies it with jsonwebtoken and the public key.
    fn self_test(&self) -> Result<(), KeyError> {
        let probe = serde_json::json!({ "probe": true });
        let token = self.sign_as(&probe, None)?;
        let mut validation = jsonwebtoken::Validation::new(self.algorithm.jws());
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        jsonwebtoken::decode::<serde_json::Value>(&token, &self.decoding, &validation)?;
        Ok(())
    }
}

/// A key's id: the RFC 7638 thumbprint (SHA-256) of its JWK, so the same key gets the same `kid` on every
/// replica and after every restart.
fn kid_of(jwk: &Jwk) -> Result<String, jsonwebtoken::errors::Error> {
    jwk.thumbprint(ThumbprintHash::SHA256)
}

/// A new private key as PKCS#8 PEM (`keys generate`): Ed25519, P-256, or RSA 2048.
pub fn generate_private_key_pem(algorithm: SigningAlgorithm) -> Result<String, KeyError> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let der: Vec<u8> = match algorithm {
        SigningAlgorithm::EdDsa => {
            Ed25519KeyPair::generate_pkcs8v1(&rng).map_err(|_| KeyError::Generation)?.as_ref().to_vec()
        }
        SigningAlgorithm::Es256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| KeyError::Generation)?
            .as_ref()
            .to_vec(),
        SigningAlgorithm::Rs256 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(|_| KeyError::Generation)?;
            let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> = pair.as_der().map_err(|_| KeyError::Generation)?;
            der.as_ref().to_vec()
        }
        SigningAlgorithm::Hs256 => return Err(KeyError::NotAPemAlgorithm(algorithm)),
    };
    Ok(pem::encode(&pem::Pem::new("PRIVATE KEY", der)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_load_and_get_stable_kids() {
        for algorithm in [SigningAlgorithm::EdDsa, SigningAlgorithm::Es256, SigningAlgorithm::Rs256] {
            let pem = generate_private_key_pem(algorithm).unwrap();
            let first = SigningKey::from_pem(algorithm, pem.as_bytes()).unwrap();
            let again = SigningKey::from_pem(algorithm, pem.as_bytes()).unwrap();
            assert_eq!(first.kid(), again.kid(), "{algorithm}");
            let jwk = first.public_jwk().unwrap();
            assert_eq!(jwk.common.key_id.as_deref(), Some(first.kid()));
        }
    }

    #[test]
    fn kids_are_rfc_7638_thumbprints() {
        // RFC 7638 section 3.1.
        let jwk: Jwk = serde_json::from_str(
            r#"{"kty":"RSA","e":"AQAB","alg":"RS256","kid":"2011-04-29","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#,
        )
        .unwrap();
        assert_eq!(kid_of(&jwk).unwrap(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn a_key_keeps_the_kid_it_was_published_under() {
        // A throwaway test key, and the kid the platform's own RFC 7638 code gave it before jsonwebtoken's
        // thumbprint replaced that code: a new kid for the same key would orphan the tokens it already signed.
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIN1Nb93nAlyPSxMYHE2zPWilUU6gNaEK8S2WVjyPRnet\n-----END PRIVATE KEY-----\n";
        let key = SigningKey::from_pem(SigningAlgorithm::EdDsa, pem.as_bytes()).unwrap();
        assert_eq!(key.kid(), "rHx3MSNg0dZmx3O5k_1JeU0Qv-2vuI74-Pw2GGDJppY");
    }

    #[test]
    fn a_key_of_another_algorithm_is_refused() {
        let ed = generate_private_key_pem(SigningAlgorithm::EdDsa).unwrap();
        assert!(SigningKey::from_pem(SigningAlgorithm::Es256, ed.as_bytes()).is_err());
        assert!(SigningKey::from_pem(SigningAlgorithm::Rs256, ed.as_bytes()).is_err());
        assert!(SigningKey::from_pem(SigningAlgorithm::EdDsa, b"not a pem").is_err());
    }

    #[test]
    fn short_hs256_secrets_are_refused() {
        assert!(matches!(SigningKey::from_secret(b"short"), Err(KeyError::SecretTooShort)));
        let key = SigningKey::from_secret(&[7u8; 32]).unwrap();
        assert!(key.public_jwk().is_none());
        assert!(!key.kid().is_empty());
    }
}
