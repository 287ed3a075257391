//! Bodies of the public routes, as clients and gateways see them. The bodies that carry a password or
//! a token print `[REDACTED]` in its place in `Debug`.

use crate::redact::Redacted;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterRequest {
    /// Case-insensitive: `Alice` and `alice` are one account.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._@-]+$"))]
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 1024))]
    pub password: String,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterResponse {
    pub user_id: String,
    pub username: String,
}

/// `POST /login`, as JSON or as an OAuth2 password grant form.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub grant_type: Option<String>,
}

/// The answer of `/login`, `/oauth/callback` and `/token/refresh`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub refresh_token: String,
    pub refresh_expires_in: i64,
    pub session_id: String,
}

/// `POST /token/refresh`; `grant_type=refresh_token` is accepted for OAuth2 clients.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefreshRequest {
    pub refresh_token: String,
    #[serde(default)]
    pub grant_type: Option<String>,
}

/// `POST /token/revoke` (RFC 7009) and `POST /token/introspect` (RFC 7662).
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRequest {
    pub token: String,
    #[serde(default)]
    pub token_type_hint: Option<String>,
}

/// Answer of `POST /token/revoke`: `{}` whatever was revoked, so that it reveals nothing (RFC 7009 §2.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeResponse {}

/// RFC 7662 introspection answer; only `active` is present for an inactive token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntrospectResponse {
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionStatus {
    pub active: bool,
    pub session_id: String,
    pub user_id: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_seen_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionSummary {
    pub session_id: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_seen_at: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionList {
    pub sessions: Vec<SessionSummary>,
}

/// `POST /session/invalidate`: empty for the current session, a `session_id`, or `all`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvalidateRequest {
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub all: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvalidateResponse {
    pub invalidated: u64,
}

/// `GET /healthz` and `GET /readyz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    pub status: String,
    /// What the service cannot serve without (its Redis, its signing key, its key set): any of them
    /// failing makes `/readyz` a 503.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<DependencyCheck>,
    /// Peer services, reported only: one service's outage never takes the others out of rotation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<DependencyCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DependencyCheck {
    pub name: String,
    pub ok: bool,
    /// What the operator may want to know about the dependency: for Redis its topology
    /// (`standalone`, `sentinel, master HOST:PORT`, `cluster`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("username", &self.username)
            .field("password", &Redacted)
            .field("email", &self.email)
            .finish()
    }
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &Redacted)
            .field("grant_type", &self.grant_type)
            .finish()
    }
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &Redacted)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &Redacted)
            .field("refresh_expires_in", &self.refresh_expires_in)
            .field("session_id", &self.session_id)
            .finish()
    }
}

impl fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshRequest")
            .field("refresh_token", &Redacted)
            .field("grant_type", &self.grant_type)
            .finish()
    }
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("token", &Redacted)
            .field("token_type_hint", &self.token_type_hint)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr3t-value-that-must-not-print";

    fn assert_redacted(debug: String) {
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");
    }

    #[test]
    fn secrets_do_not_print_in_debug() {
        let register = RegisterRequest { username: "alice".into(), password: SECRET.into(), email: None };
        let debug = format!("{register:?}");
        assert!(debug.contains("alice"), "other fields print as usual: {debug}");
        assert_redacted(debug);
        assert_redacted(format!(
            "{:?}",
            LoginRequest { username: "alice".into(), password: SECRET.into(), grant_type: None }
        ));
        let tokens = TokenResponse {
            access_token: SECRET.into(),
            token_type: "Bearer".into(),
            expires_in: 60,
            refresh_token: SECRET.into(),
            refresh_expires_in: 120,
            session_id: "sid-1".into(),
        };
        let debug = format!("{tokens:?}");
        assert!(debug.contains("sid-1"), "{debug}");
        assert_redacted(debug);
        assert_redacted(format!("{:?}", RefreshRequest { refresh_token: SECRET.into(), grant_type: None }));
        assert_redacted(format!("{:#?}", TokenRequest { token: SECRET.into(), token_type_hint: None }));
    }
}
