//! Bodies of the `/internal/` routes: authn → token and token → session. Times are Unix seconds.

use serde::{Deserialize, Serialize};

/// authn → token, `POST /internal/tokens`: mint tokens for an authenticated user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MintRequest {
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub user_id: String,
    pub username: String,
    pub amr: Vec<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
}

/// token → session, `POST /internal/sessions`: open a session whose refresh token has this hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateSessionRequest {
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub user_id: String,
    pub username: String,
    pub amr: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{43}$", min_length = 43, max_length = 43))]
    pub refresh_hash: String,
    pub ttl_seconds: i64,
    /// The session never lives past its creation plus this (`SESSION_MAX_LIFETIME_MINUTES`).
    pub max_lifetime_seconds: i64,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
}

/// What the session service knows of one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionRecord {
    pub session_id: String,
    pub user_id: String,
    pub username: String,
    pub amr: Vec<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen_at: i64,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
}

/// token → session, `POST /internal/sessions/rotate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotateRequest {
    /// The user and session the presented refresh token names (it carries both), so the session service
    /// finds the session without a lookup by hash.
    pub user_id: String,
    pub session_id: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{43}$", min_length = 43, max_length = 43))]
    pub presented_hash: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{43}$", min_length = 43, max_length = 43))]
    pub successor_hash: String,
    /// With a grace window only: the successor token sealed with a key only the presented token derives,
    /// kept so that a retried refresh gets the same successor back.
    #[serde(default)]
    pub sealed_successor: Option<String>,
    pub ttl_seconds: i64,
    /// No rotation extends the session past its creation plus this (`SESSION_MAX_LIFETIME_MINUTES`).
    pub max_lifetime_seconds: i64,
    pub grace_seconds: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RotateOutcome {
    /// The presented token was current; the successor is now current.
    Rotated,
    /// The presented token was rotated within the grace window; `sealed_successor` is its successor.
    Grace,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotateResponse {
    pub outcome: RotateOutcome,
    pub session: SessionRecord,
    /// With `Grace`: the successor sealed as in the request that rotated the token.
    #[serde(default)]
    pub sealed_successor: Option<String>,
}

/// token → session, `POST /internal/sessions/check`: is this access token's session live and its jti unrevoked?
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckSessionRequest {
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub session_id: String,
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub user_id: String,
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub jti: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckSessionResponse {
    pub active: bool,
}

/// token → session, lookups and revocations of a refresh token: the user and session it names, and its hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefreshHashRequest {
    pub user_id: String,
    pub session_id: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{43}$", min_length = 43, max_length = 43))]
    pub refresh_hash: String,
}

/// token → session, `POST /internal/revocations`: refuse this access token until it expires.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeAccessRequest {
    /// The token's `sub`: revocations are kept with the user's sessions.
    pub user_id: String,
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub jti: String,
    pub expires_at: i64,
}

/// Answer of `POST /internal/revocations`: `{"revoked": true}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeAccessResponse {
    pub revoked: bool,
}

/// Answer of every internal route that ends sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndedSessions {
    pub invalidated: u64,
}
