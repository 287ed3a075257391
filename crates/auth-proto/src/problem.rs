//! RFC 9457 problem details, the body of every 4xx and 5xx answer, and the closed list of problem `type`s
//! the platform answers with. The services render a [`ProblemType`] and a caller recognises one from a
//! peer's answer with [`Problem::problem_type`], so neither side spells a slug by hand.

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
}

impl Problem {
    /// The problem type of a received answer; `None` for a type this build does not know.
    pub fn problem_type(&self) -> Option<ProblemType> {
        ProblemType::from_uri(&self.kind)
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
        let problem =
            Problem { kind: ProblemType::RefreshTokenReused.uri(), title: "t".into(), status: 401, detail: "d".into() };
        assert_eq!(problem.problem_type(), Some(ProblemType::RefreshTokenReused));
    }
}
