//! HTTP handlers, thin: parse, call the minter or the session service, shape the answer.

pub mod health;
pub mod introspect;
pub mod jwks;
pub mod mint;
pub mod refresh;
pub mod revoke;
pub mod users;

/// Whether a presented token is shaped like a JWT (access token) rather than an opaque refresh token.
pub(crate) fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|byte| *byte == b'.').count() == 2
}
