//! Access tokens: the signing algorithms the platform supports, signing keys loaded from PEM (or a secret
//! for HS256) with RFC 7638 key ids, the published JWK set, and verification that pins the configured
//! algorithm, requires `exp`, checks `iss`, `aud` and `nbf`, and allows 30 s of clock skew; and the cache
//! of tokens verified moments ago that the session and token services consult before verifying.

pub mod algorithm;
pub mod jwks;
pub mod keys;
mod signer;
pub mod verified_tokens;
pub mod verify;

pub use jsonwebtoken::jwk::JwkSet;
