//! Access-token verification: the configured algorithm is pinned (the header's is never trusted), the header
//! must say `typ: at+jwt` (RFC 9068), the key is chosen by `kid`, and `exp`, `nbf`, `iss` and `aud` are
//! checked with at most 30 s of clock skew.
//!
//! The `typ` check keeps any other JWT that the same key might sign (an ID token, a logout token, a future
//! token type with similar claims) from passing as an access token.

use crate::algorithm::SigningAlgorithm;
use crate::jwks::VerificationKeys;
use auth_proto::claims::AccessClaims;
use jsonwebtoken::Validation;
use jsonwebtoken::errors::ErrorKind;

/// The header `typ` of an access token (RFC 9068 §2.1), which `SigningKey::sign` writes.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Whether a header's `typ` names an access token: `at+jwt`, or its full media type
/// `application/at+jwt`, compared case-insensitively as media types are (RFC 9068 §4, RFC 7515 §4.1.9).
fn is_access_token_type(typ: Option<&str>) -> bool {
    let Some(typ) = typ else { return false };
    const MEDIA_TYPE_PREFIX: &str = "application/";
    let typ = match typ.get(..MEDIA_TYPE_PREFIX.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(MEDIA_TYPE_PREFIX) => &typ[MEDIA_TYPE_PREFIX.len()..],
        _ => typ,
    };
    typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE)
}

/// Clock skew tolerated on `exp` and `nbf`.
pub const CLOCK_SKEW_SECONDS: u64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's key id is not known")]
    UnknownKey { kid: String },
    #[error("the token has expired")]
    Expired,
    #[error("the token is refused: {0}")]
    Rejected(&'static str),
}

/// Verifies access tokens for one issuer, audience and algorithm.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    algorithm: SigningAlgorithm,
    validation: Validation,
}

impl TokenVerifier {
    pub fn new(algorithm: SigningAlgorithm, issuer: &str, audience: &str) -> Self {
        let mut validation = Validation::new(algorithm.jws());
        validation.leeway = CLOCK_SKEW_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        Self { algorithm, validation }
    }

    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    pub fn verify(&self, token: &str, keys: &VerificationKeys) -> Result<AccessClaims, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        if header.alg != self.algorithm.jws() {
            return Err(VerifyError::Rejected("unexpected algorithm"));
        }
        if !is_access_token_type(header.typ.as_deref()) {
            return Err(VerifyError::Rejected("not an access token (typ)"));
        }
        let kid = header.kid.ok_or(VerifyError::Rejected("no key id"))?;
        let key = keys.find(&kid).ok_or(VerifyError::UnknownKey { kid })?;
        let data =
            jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation).map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => VerifyError::Expired,
                ErrorKind::ImmatureSignature => VerifyError::Rejected("not yet valid"),
                ErrorKind::InvalidIssuer => VerifyError::Rejected("wrong issuer"),
                ErrorKind::InvalidAudience => VerifyError::Rejected("wrong audience"),
                ErrorKind::InvalidSignature => VerifyError::Rejected("bad signature"),
                ErrorKind::InvalidAlgorithm => VerifyError::Rejected("unexpected algorithm"),
                ErrorKind::MissingRequiredClaim(_) => VerifyError::Rejected("a required claim is missing"),
                ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
                    VerifyError::Malformed
                }
                _ => VerifyError::Rejected("invalid token"),
            })?;
        let claims = data.claims;
        if claims.sub.is_empty() || claims.sid.is_empty() || claims.jti.is_empty() {
            return Err(VerifyError::Rejected("a required claim is empty"));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningKey;
    use auth_proto::clock::now;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn claims(exp_offset: i64) -> AccessClaims {
        let now = now();
        AccessClaims {
            iss: "auth-platform".into(),
            aud: "api".into(),
            sub: "user-1".into(),
            sid: "session-1".into(),
            jti: "jti-1".into(),
            iat: now,
            nbf: now,
            exp: now + exp_offset,
            amr: vec!["pwd".into()],
            preferred_username: "alice".into(),
        }
    }

    fn setup(algorithm: SigningAlgorithm) -> (SigningKey, VerificationKeys, TokenVerifier) {
        let key = SigningKey::generate(algorithm).unwrap();
        let keys = VerificationKeys::from_signing_keys([&key]);
        (key, keys, TokenVerifier::new(algorithm, "auth-platform", "api"))
    }

    #[test]
    fn every_algorithm_round_trips() {
        for algorithm in
            [SigningAlgorithm::EdDsa, SigningAlgorithm::Es256, SigningAlgorithm::Rs256, SigningAlgorithm::Hs256]
        {
            let (key, keys, verifier) = setup(algorithm);
            let claims = claims(60);
            let token = key.sign(&claims).unwrap();
            assert_eq!(verifier.verify(&token, &keys).unwrap(), claims, "{algorithm}");
        }
    }

    #[test]
    fn alg_none_is_refused() {
        let (key, keys, verifier) = setup(SigningAlgorithm::EdDsa);
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{}"}}"#, key.kid()));
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(60)).unwrap());
        assert!(verifier.verify(&format!("{header}.{body}."), &keys).is_err());
    }

    #[test]
    fn hs256_signed_with_the_public_key_is_refused() {
        let (key, keys, verifier) = setup(SigningAlgorithm::EdDsa);
        let public = serde_json::to_vec(key.public_jwk().unwrap()).unwrap();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(key.kid().to_owned());
        let forged =
            jsonwebtoken::encode(&header, &claims(60), &jsonwebtoken::EncodingKey::from_secret(&public).unwrap())
                .unwrap();
        assert_eq!(verifier.verify(&forged, &keys), Err(VerifyError::Rejected("unexpected algorithm")));
    }

    #[test]
    fn expired_tampered_and_misaddressed_tokens_are_refused() {
        let (key, keys, verifier) = setup(SigningAlgorithm::EdDsa);
        assert_eq!(verifier.verify(&key.sign(&claims(-120)).unwrap(), &keys), Err(VerifyError::Expired));
        let within_skew = key.sign(&claims(-10)).unwrap();
        assert!(verifier.verify(&within_skew, &keys).is_ok());

        let token = key.sign(&claims(60)).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut forged = claims(60);
        forged.sub = "admin".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(verifier.verify(&parts.join("."), &keys), Err(VerifyError::Rejected("bad signature")));

        let other = TokenVerifier::new(SigningAlgorithm::EdDsa, "someone-else", "api");
        assert!(other.verify(&token, &keys).is_err());
        let other = TokenVerifier::new(SigningAlgorithm::EdDsa, "auth-platform", "other-api");
        assert!(other.verify(&token, &keys).is_err());
    }

    #[test]
    fn only_the_access_token_type_is_accepted() {
        let (key, keys, verifier) = setup(SigningAlgorithm::EdDsa);
        // The same claims signed by the real key under each `typ`: only the access-token type passes.
        let real = key.sign(&claims(60)).unwrap();
        assert_eq!(jsonwebtoken::decode_header(&real).unwrap().typ.as_deref(), Some(ACCESS_TOKEN_TYPE));
        assert!(verifier.verify(&real, &keys).is_ok());
        for (typ, accepted) in [
            (Some("at+jwt"), true),
            (Some("application/at+jwt"), true),
            (Some("AT+JWT"), true),
            (Some("Application/At+Jwt"), true),
            (Some("application/jwt"), false),
            (Some("JWT"), false),
            (Some("jwt"), false),
            (Some("logout+jwt"), false),
            (Some("id_token+jwt"), false),
            (Some(""), false),
            (None, false),
        ] {
            let token = key.sign_with_type(&claims(60), typ).unwrap();
            let result = verifier.verify(&token, &keys);
            assert_eq!(result.is_ok(), accepted, "typ {typ:?}: {result:?}");
            if !accepted {
                assert_eq!(result, Err(VerifyError::Rejected("not an access token (typ)")), "typ {typ:?}");
            }
        }
    }

    #[test]
    fn a_key_not_in_the_set_is_unknown() {
        let (_, keys, verifier) = setup(SigningAlgorithm::EdDsa);
        let stranger = SigningKey::generate(SigningAlgorithm::EdDsa).unwrap();
        let token = stranger.sign(&claims(60)).unwrap();
        assert!(matches!(verifier.verify(&token, &keys), Err(VerifyError::UnknownKey { .. })));
    }

    #[test]
    fn garbage_is_malformed() {
        let (_, keys, verifier) = setup(SigningAlgorithm::EdDsa);
        for garbage in ["", "a.b.c", "not-a-jwt", "....", "eyJhbGciOiJFZERTQSJ9.e30.sig"] {
            assert!(verifier.verify(garbage, &keys).is_err(), "{garbage}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::keys::SigningKey;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever a client sends as a bearer token, verification answers an error, never a panic.
        #[test]
        fn arbitrary_strings_never_verify(token in ".{0,600}") {
            let key = SigningKey::from_secret(&[5u8; 32]).unwrap();
            let keys = VerificationKeys::from_signing_keys([&key]);
            let verifier = TokenVerifier::new(SigningAlgorithm::Hs256, "auth-platform", "api");
            prop_assert!(verifier.verify(&token, &keys).is_err());
        }

        /// Three base64url-looking segments (the shape of a JWT) are refused as well.
        #[test]
        fn arbitrary_jwt_shaped_strings_never_verify(
            header in "[A-Za-z0-9_-]{0,80}",
            body in "[A-Za-z0-9_-]{0,200}",
            signature in "[A-Za-z0-9_-]{0,90}",
        ) {
            let key = SigningKey::from_secret(&[5u8; 32]).unwrap();
            let keys = VerificationKeys::from_signing_keys([&key]);
            let verifier = TokenVerifier::new(SigningAlgorithm::Hs256, "auth-platform", "api");
            let token = [header, body, signature].join(".");
            prop_assert!(verifier.verify(&token, &keys).is_err());
        }
    }
}
