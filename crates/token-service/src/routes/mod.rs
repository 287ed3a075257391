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

/// A user id as authn sends it: a UUID (400 otherwise), so that it can't steer the session-service path
/// or key it is put in.
pub(crate) fn parse_user_id(value: &str) -> Result<uuid::Uuid, crate::error::Error> {
    uuid::Uuid::parse_str(value)
        .map_err(|_| crate::error::Error::BadRequest("user_id is not a user id (a UUID)".to_owned()))
}
