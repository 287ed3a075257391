//! RFC 9457 problem details, the body of every 4xx and 5xx answer, and the closed list of problem `type`s
//! the platform answers with. The services render a [`ProblemType`] and a caller recognises one from a
//! peer's answer with [`Problem::problem_type`], so neither side spells a slug by hand.
//!
//! The OAuth endpoints' 4xx answers also carry RFC 6749 §5.2's `error` and `error_description` as
//! extension members, because standard OAuth 2.0 client libraries recognise a failure by `error` alone;
//! [`OAuthError`] is the closed list of those codes.

use serde::{Deserialize, Serialize};

/// The media type of a problem body.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// Problem `type` URIs are this prefix plus a stable slug, so clients can switch on them.
pub const PROBLEM_TYPE_BASE: &str = "urn:auth-platform:problem:";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// The [`ProblemType`] URI. Kept as received, so that an answer of a newer peer with a type this
    /// build does not know still deserialises.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// RFC 6749 §5.2 `error`, on the 4xx answers of the OAuth endpoints only (`/login`, `/token/refresh`,
    /// `/token/revoke`, `/token/introspect`, `/oauth/callback`), for OAuth 2.0 client libraries. Kept as
    /// received, like `type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<OAuthError>))]
    pub error: Option<String>,
    /// RFC 6749 §5.2 `error_description`: the same text as `detail`, present whenever `error` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

impl Problem {
    /// The problem type of a received answer; `None` for a type this build does not know.
    pub fn problem_type(&self) -> Option<ProblemType> {
        ProblemType::from_uri(&self.kind)
    }

    /// The OAuth 2.0 error code (`error`) of a received answer; `None` when absent or not one this build knows.
    pub fn oauth_error(&self) -> Option<OAuthError> {
        self.error.as_deref().and_then(OAuthError::from_code)
    }
}

/// The OAuth 2.0 error codes the platform answers with: RFC 6749 §5.2 (token endpoint) for `/login`,
/// `/token/refresh`, `/token/revoke` and `/token/introspect`, and §4.1.2.1 (authorization response) for
/// `/oauth/callback`, whose codes are the ones its front-end redirect mode puts in the URL fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OAuthError {
    /// A parameter is missing, repeated or malformed, or the body is not a form or JSON object.
    InvalidRequest,
    /// Client authentication failed (introspection without valid credentials).
    InvalidClient,
    /// Wrong credentials, a disabled or locked account, or a bad, expired, revoked or reused refresh token.
    InvalidGrant,
    UnauthorizedClient,
    /// A `grant_type` the endpoint does not serve.
    UnsupportedGrantType,
    InvalidScope,
    /// Single sign-on: the provider or the platform refused the login.
    AccessDenied,
    UnsupportedResponseType,
    /// Single sign-on, front-end redirect mode only: the platform failed.
    ServerError,
    /// Single sign-on, front-end redirect mode only: a dependency is down; retry shortly.
    TemporarilyUnavailable,
}

impl OAuthError {
    /// Every code, for parsing and for tests that check the list.
    pub const ALL: [OAuthError; 10] = [
        OAuthError::InvalidRequest,
        OAuthError::InvalidClient,
        OAuthError::InvalidGrant,
        OAuthError::UnauthorizedClient,
        OAuthError::UnsupportedGrantType,
        OAuthError::InvalidScope,
        OAuthError::AccessDenied,
        OAuthError::UnsupportedResponseType,
        OAuthError::ServerError,
        OAuthError::TemporarilyUnavailable,
    ];

    /// The code as sent in `error`.
    pub const fn as_code(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::AccessDenied => "access_denied",
            OAuthError::UnsupportedResponseType => "unsupported_response_type",
            OAuthError::ServerError => "server_error",
            OAuthError::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|error| error.as_code() == code)
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_code())
    }
}

/// Every problem `type` the services answer with. Clients switch on these; a slug never changes once
/// published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemType {
    // Any service, from the shared HTTP edge.
    BadRequest,
    NotFound,
    Unauthorized,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    DependencyUnavailable,
    Internal,
    NotReady,
    ShuttingDown,
    // Tokens and grants (authn, token, session).
    UnsupportedGrantType,
    InvalidToken,
    InvalidRefreshToken,
    RefreshTokenReused,
    // Accounts and logins (authn).
    RegistrationClosed,
    UsernameTaken,
    LoginLocked,
    RateLimited,
    Busy,
    // Single sign-on (authn).
    SsoNotConfigured,
    UnknownProvider,
    RedirectUriNotAllowed,
    InvalidState,
    ProviderError,
    CodeExchangeFailed,
    InvalidIdToken,
    AccountDisabled,
}

impl ProblemType {
    /// Every variant, for parsing and for tests that check the list.
    pub const ALL: [ProblemType; 27] = [
        ProblemType::BadRequest,
        ProblemType::NotFound,
        ProblemType::Unauthorized,
        ProblemType::MethodNotAllowed,
        ProblemType::PayloadTooLarge,
        ProblemType::UnsupportedMediaType,
        ProblemType::DependencyUnavailable,
        ProblemType::Internal,
        ProblemType::NotReady,
        ProblemType::ShuttingDown,
        ProblemType::UnsupportedGrantType,
        ProblemType::InvalidToken,
        ProblemType::InvalidRefreshToken,
        ProblemType::RefreshTokenReused,
        ProblemType::RegistrationClosed,
        ProblemType::UsernameTaken,
        ProblemType::LoginLocked,
        ProblemType::RateLimited,
        ProblemType::Busy,
        ProblemType::SsoNotConfigured,
        ProblemType::UnknownProvider,
        ProblemType::RedirectUriNotAllowed,
        ProblemType::InvalidState,
        ProblemType::ProviderError,
        ProblemType::CodeExchangeFailed,
        ProblemType::InvalidIdToken,
        ProblemType::AccountDisabled,
    ];

    /// The stable slug: the last segment of the `type` URI.
    pub const fn as_slug(self) -> &'static str {
        match self {
            ProblemType::BadRequest => "bad-request",
            ProblemType::NotFound => "not-found",
            ProblemType::Unauthorized => "unauthorized",
            ProblemType::MethodNotAllowed => "method-not-allowed",
            ProblemType::PayloadTooLarge => "payload-too-large",
            ProblemType::UnsupportedMediaType => "unsupported-media-type",
            ProblemType::DependencyUnavailable => "dependency-unavailable",
            ProblemType::Internal => "internal",
            ProblemType::NotReady => "not-ready",
            ProblemType::ShuttingDown => "shutting-down",
            ProblemType::UnsupportedGrantType => "unsupported-grant-type",
            ProblemType::InvalidToken => "invalid-token",
            ProblemType::InvalidRefreshToken => "invalid-refresh-token",
            ProblemType::RefreshTokenReused => "refresh-token-reused",
            ProblemType::RegistrationClosed => "registration-closed",
            ProblemType::UsernameTaken => "username-taken",
            ProblemType::LoginLocked => "login-locked",
            ProblemType::RateLimited => "rate-limited",
            ProblemType::Busy => "busy",
            ProblemType::SsoNotConfigured => "sso-not-configured",
            ProblemType::UnknownProvider => "unknown-provider",
            ProblemType::RedirectUriNotAllowed => "redirect-uri-not-allowed",
            ProblemType::InvalidState => "invalid-state",
            ProblemType::ProviderError => "provider-error",
            ProblemType::CodeExchangeFailed => "code-exchange-failed",
            ProblemType::InvalidIdToken => "invalid-id-token",
            ProblemType::AccountDisabled => "account-disabled",
        }
    }

    /// The `type` member as sent: [`PROBLEM_TYPE_BASE`] plus the slug.
    pub fn uri(self) -> String {
        format!("{PROBLEM_TYPE_BASE}{}", self.as_slug())
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_slug() == slug)
    }

    /// Parses a received `type` member; `None` for anything but one of ours.
    pub fn from_uri(uri: &str) -> Option<Self> {
        uri.strip_prefix(PROBLEM_TYPE_BASE).and_then(Self::from_slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_type_round_trips_through_its_uri() {
        for kind in ProblemType::ALL {
            assert_eq!(ProblemType::from_uri(&kind.uri()), Some(kind), "{kind:?}");
        }
    }

    #[test]
    fn slugs_are_unique_lowercase_and_hyphenated() {
        let slugs: HashSet<&str> = ProblemType::ALL.iter().map(|kind| kind.as_slug()).collect();
        assert_eq!(slugs.len(), ProblemType::ALL.len());
        for slug in slugs {
            assert!(slug.bytes().all(|byte| byte.is_ascii_lowercase() || byte == b'-'), "{slug}");
        }
    }

    #[test]
    fn uris_keep_their_published_form() {
        assert_eq!(ProblemType::RefreshTokenReused.uri(), "urn:auth-platform:problem:refresh-token-reused");
        assert_eq!(ProblemType::UnsupportedGrantType.uri(), "urn:auth-platform:problem:unsupported-grant-type");
    }

    #[test]
    fn foreign_or_unknown_types_do_not_parse() {
        assert_eq!(ProblemType::from_uri("refresh-token-reused"), None);
        assert_eq!(ProblemType::from_uri("https://example.test/refresh-token-reused"), None);
        assert_eq!(ProblemType::from_uri("urn:auth-platform:problem:something-new"), None);
        let problem = Problem {
            kind: ProblemType::RefreshTokenReused.uri(),
            title: "t".into(),
            status: 401,
            detail: "d".into(),
            error: None,
            error_description: None,
        };
        assert_eq!(problem.problem_type(), Some(ProblemType::RefreshTokenReused));
    }

    #[test]
    fn oauth_errors_serialise_as_their_codes_and_parse_back() {
        for error in OAuthError::ALL {
            let json = serde_json::to_string(&error).expect("serialises");
            assert_eq!(json, format!("\"{}\"", error.as_code()));
            assert_eq!(OAuthError::from_code(error.as_code()), Some(error));
        }
        assert_eq!(OAuthError::from_code("invalid-grant"), None);
    }

    #[test]
    fn the_oauth_members_are_left_out_when_absent_and_read_when_present() {
        let plain = r#"{"type":"urn:auth-platform:problem:internal","title":"t","status":500,"detail":"d"}"#;
        let problem: Problem = serde_json::from_str(plain).expect("parses");
        assert_eq!((problem.oauth_error(), problem.error_description.as_deref()), (None, None));
        assert_eq!(serde_json::to_string(&problem).expect("serialises"), plain);
        let oauth = r#"{"type":"urn:auth-platform:problem:unauthorized","title":"t","status":401,"detail":"d","error":"invalid_grant","error_description":"d"}"#;
        let problem: Problem = serde_json::from_str(oauth).expect("parses");
        assert_eq!(problem.oauth_error(), Some(OAuthError::InvalidGrant));
        let newer = r#"{"type":"x","title":"t","status":400,"detail":"d","error":"some_new_code"}"#;
        let problem: Problem = serde_json::from_str(newer).expect("an unknown code still parses");
        assert_eq!((problem.error.as_deref(), problem.oauth_error()), (Some("some_new_code"), None));
    }
}
