//! Claims carried by an access token.

use serde::{Deserialize, Serialize};

/// How the user proved who they are (RFC 8176 `amr` values).
pub const AMR_PASSWORD: &str = "pwd";
/// Authenticated by an external OpenID Connect provider.
pub const AMR_OIDC: &str = "oidc";

/// The claims of every access token the platform mints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// The session id.
    pub sid: String,
    pub jti: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub amr: Vec<String>,
    pub preferred_username: String,
}
