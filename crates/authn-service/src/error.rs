//! The one error type of the crate, and its mapping to HTTP (RFC 9457 problem+json).
//!
//! Every fallible step returns [`Error`]; [`Error`]'s `ResponseError` impl below is the only place that
//! decides a status code and what the client is told. Internal causes (Redis, the token service, argon2)
//! are logged there and never sent: the client gets a generic detail.
//!
//! The OAuth 2.0 `error` codes are chosen here too: RFC 6749 §5.2's for `/login` (the password grant),
//! §4.1.2.1's for `/oauth/callback`, the same in its JSON answers and its front-end redirects. The routes
//! wrapped with `service_kit::oauth_errors` render them, and give any other 4xx `invalid_request`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use auth_client::ClientError;
use auth_proto::problem::{OAuthError, ProblemType};
use redis_kit::RedisError;
use service_kit::problem::{BearerChallenge, HttpProblem};
use service_kit::server::StartError;
use service_kit::settings::SettingsError;

/// What can go wrong in the authn service, from bad input to a dead dependency.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The shared HTTP edge refused the request (a body that does not parse).
    #[error("{0}")]
    Edge(#[from] HttpProblem),

    /// A field of the request breaks the contract's rules (username, password, email).
    #[error("{field} {reason}")]
    InvalidInput { field: &'static str, reason: &'static str },

    /// `/login` with a `grant_type` other than `password`.
    #[error("grant_type must be password")]
    UnsupportedGrantType,

    /// `ALLOW_REGISTRATION` is off.
    #[error("registration is closed")]
    RegistrationClosed,

    /// Usernames are case-insensitive, so `Alice` takes `alice` too.
    #[error("the username is taken")]
    UsernameTaken,

    /// An admin command named a user that does not exist.
    #[error("no such user")]
    UnknownUser,

    /// Unknown user, wrong password or disabled account: one variant so all three answer alike.
    #[error("invalid username or password")]
    InvalidCredentials,

    /// Too many failed logins for the username or the client address within the window.
    #[error("too many failed logins; retry in {retry_after_seconds} s")]
    LockedOut { retry_after_seconds: u64 },

    /// The client address made more than `RATE_LIMIT_PER_MINUTE` requests to `/register` and
    /// `/oauth/login` within the minute.
    #[error("too many requests; retry in {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },

    /// Every hashing permit stayed taken for the whole wait: the service is saturated.
    #[error("password hashing is saturated")]
    HashingBusy,

    /// `/oauth/*` while no OpenID Connect provider is configured.
    #[error("single sign-on is not configured")]
    SsoNotConfigured,

    /// `/oauth/login?provider=` names no configured provider.
    #[error("no identity provider is named {0:?}")]
    UnknownProvider(String),

    /// `/oauth/login?redirect_uri=` is not on `OIDC_FRONTEND_REDIRECT_URLS`.
    #[error("redirect_uri is not an allowed front-end URL")]
    RedirectNotAllowed,

    /// The callback's `state` is unknown, expired, already used or malformed.
    #[error("the login state is unknown, expired or already used")]
    InvalidState,

    /// The callback came without the state cookie of the browser that started the login, or with
    /// another one: whoever holds a callback URL does not complete someone else's login.
    #[error("the login was not started in this browser")]
    StateNotBound,

    /// The provider redirected back with `error=` (e.g. the user denied consent).
    #[error("the identity provider answered {error}")]
    ProviderRefused { error: String },

    /// The token endpoint refused the authorization code (or answered garbage).
    #[error("the authorization code could not be exchanged: {0}")]
    CodeExchangeFailed(String),

    /// The ID token failed a check: signature, issuer, audience, expiry, nonce.
    #[error("the ID token was refused: {0}")]
    InvalidIdToken(String),

    /// SSO proved who the user is, but the account is disabled.
    #[error("the account is disabled")]
    AccountDisabled,

    /// A provider's discovery document, key set or token endpoint could not be reached.
    #[error("identity provider {provider} is unavailable: {reason}")]
    IdentityProviderUnavailable { provider: String, reason: String },

    /// The HTTP client for providers could not be built (TLS setup).
    #[error("the HTTP client could not be built: {0}")]
    HttpClient(String),

    #[error(transparent)]
    Redis(#[from] RedisError),

    #[error(transparent)]
    TokenService(#[from] ClientError),

    /// A stored record does not parse: a bug or a hand-edited Redis key.
    #[error("a stored record is corrupt: {0}")]
    CorruptRecord(String),

    /// argon2 failed for a reason other than a wrong password.
    #[error("password hashing failed: {0}")]
    Hashing(String),

    /// A task on the blocking pool or a hashing thread panicked or was cancelled.
    #[error("a blocking task failed: {0}")]
    BlockingTask(String),

    #[error(transparent)]
    Settings(#[from] SettingsError),

    /// An admin command needs a store outside the service process.
    #[error(
        "REDIS_URL is not set: without it the dev in-memory store lives inside the running service, \
         where this command cannot reach it; set REDIS_URL to the service's Redis"
    )]
    AdminNeedsRedis,

    #[error("could not read the password from standard input: {0}")]
    Stdin(std::io::Error),

    #[error(transparent)]
    Start(#[from] StartError),

    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

impl Error {
    /// The answer the client sees; causes stay in the log.
    fn problem(&self) -> HttpProblem {
        let problem = match self {
            Error::Edge(problem) => problem.clone(),
            Error::InvalidInput { .. } => HttpProblem::bad_request(self.to_string()),
            Error::UnsupportedGrantType => HttpProblem::new(
                StatusCode::BAD_REQUEST,
                ProblemType::UnsupportedGrantType,
                "Unsupported grant type",
                "grant_type must be password",
            ),
            Error::RegistrationClosed => HttpProblem::new(
                StatusCode::FORBIDDEN,
                ProblemType::RegistrationClosed,
                "Registration closed",
                "registration is closed on this server",
            ),
            Error::UsernameTaken => HttpProblem::new(
                StatusCode::CONFLICT,
                ProblemType::UsernameTaken,
                "Username taken",
                "the username is taken",
            ),
            Error::UnknownUser => HttpProblem::not_found("no such user"),
            Error::InvalidCredentials => {
                HttpProblem::unauthorized(BearerChallenge::Missing, "invalid username or password")
            }
            Error::LockedOut { retry_after_seconds } => HttpProblem::new(
                StatusCode::TOO_MANY_REQUESTS,
                ProblemType::LoginLocked,
                "Too many failed logins",
                "too many failed logins; retry later",
            )
            .with_retry_after(*retry_after_seconds),
            Error::RateLimited { retry_after_seconds } => HttpProblem::new(
                StatusCode::TOO_MANY_REQUESTS,
                ProblemType::RateLimited,
                "Too many requests",
                "too many requests from this address; retry later",
            )
            .with_retry_after(*retry_after_seconds),
            Error::HashingBusy => HttpProblem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ProblemType::Busy,
                "Service busy",
                "the server is busy; retry shortly",
            )
            .with_retry_after(service_kit::problem::DEPENDENCY_RETRY_AFTER_SECONDS),
            Error::SsoNotConfigured => HttpProblem::new(
                StatusCode::NOT_FOUND,
                ProblemType::SsoNotConfigured,
                "Single sign-on not configured",
                "single sign-on is not configured on this server",
            ),
            Error::UnknownProvider(_) => HttpProblem::new(
                StatusCode::NOT_FOUND,
                ProblemType::UnknownProvider,
                "Unknown identity provider",
                "no identity provider has that name",
            ),
            Error::RedirectNotAllowed => HttpProblem::new(
                StatusCode::BAD_REQUEST,
                ProblemType::RedirectUriNotAllowed,
                "Redirect URI not allowed",
                "redirect_uri is not one of the configured front-end URLs",
            ),
            Error::InvalidState => HttpProblem::new(
                StatusCode::BAD_REQUEST,
                ProblemType::InvalidState,
                "Invalid login state",
                "the login state is unknown, expired or already used; start the login again",
            ),
            Error::StateNotBound => HttpProblem::new(
                StatusCode::BAD_REQUEST,
                ProblemType::InvalidState,
                "Invalid login state",
                "the login was not started in this browser (its state cookie is missing or does not match); \
                 start the login again",
            ),
            Error::ProviderRefused { error } => HttpProblem::new(
                StatusCode::UNAUTHORIZED,
                ProblemType::ProviderError,
                "Identity provider refused the login",
                format!("the identity provider answered {error}"),
            )
            .with_challenge(BearerChallenge::Missing),
            Error::CodeExchangeFailed(_) => HttpProblem::new(
                StatusCode::UNAUTHORIZED,
                ProblemType::CodeExchangeFailed,
                "Code exchange failed",
                "the identity provider did not accept the authorization code",
            )
            .with_challenge(BearerChallenge::Missing),
            Error::InvalidIdToken(_) => HttpProblem::new(
                StatusCode::UNAUTHORIZED,
                ProblemType::InvalidIdToken,
                "Invalid ID token",
                "the identity provider's ID token did not pass verification",
            )
            .with_challenge(BearerChallenge::Missing),
            Error::AccountDisabled => HttpProblem::new(
                StatusCode::UNAUTHORIZED,
                ProblemType::AccountDisabled,
                "Account disabled",
                "the account is disabled",
            )
            .with_challenge(BearerChallenge::Missing),
            Error::IdentityProviderUnavailable { .. } => HttpProblem::dependency_unavailable("the identity provider"),
            Error::Redis(_) => HttpProblem::dependency_unavailable("redis"),
            Error::TokenService(ClientError::Unavailable { peer, .. }) => HttpProblem::dependency_unavailable(peer),
            Error::TokenService(_)
            | Error::CorruptRecord(_)
            | Error::Hashing(_)
            | Error::BlockingTask(_)
            | Error::Settings(_)
            | Error::HttpClient(_)
            | Error::AdminNeedsRedis
            | Error::Stdin(_)
            | Error::Start(_)
            | Error::Serve(_) => HttpProblem::internal(),
        };
        match self.oauth_error() {
            Some(error) if problem.status().is_client_error() => problem.with_oauth_error(error),
            _ => problem,
        }
    }

    /// The OAuth 2.0 `error` code of the failures that have a code of their own; `None` leaves a 4xx of
    /// an OAuth route at `invalid_request`.
    fn oauth_error(&self) -> Option<OAuthError> {
        match self {
            // The password grant (RFC 6749 §5.2): a locked account is refused like a wrong password.
            Error::InvalidCredentials | Error::LockedOut { .. } => Some(OAuthError::InvalidGrant),
            Error::UnsupportedGrantType => Some(OAuthError::UnsupportedGrantType),
            // The callback (RFC 6749 §4.1.2.1): the provider's own code when it is a standard one.
            Error::ProviderRefused { error } => Some(OAuthError::from_code(error).unwrap_or(OAuthError::AccessDenied)),
            Error::CodeExchangeFailed(_) | Error::InvalidIdToken(_) | Error::AccountDisabled => {
                Some(OAuthError::AccessDenied)
            }
            // Unknown or replayed state and a malformed callback are `invalid_request`, from the route.
            _ => None,
        }
    }

    /// The OAuth 2.0 `error` code and description of a failed SSO login, for the front-end redirect
    /// mode's `#error=…&error_description=…`: the JSON answer's code, or for a 5xx (which carries none)
    /// `temporarily_unavailable` or `server_error`; the description is the problem's detail.
    pub fn redirect_error(&self) -> (OAuthError, String) {
        let problem = self.problem();
        let code = match problem.oauth_error() {
            Some(code) => code,
            None if problem.status() == StatusCode::SERVICE_UNAVAILABLE => OAuthError::TemporarilyUnavailable,
            None if problem.status().is_server_error() => OAuthError::ServerError,
            None => OAuthError::InvalidRequest,
        };
        (code, problem.detail().to_owned())
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        self.problem().status()
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.problem();
        // 5xx answers hide their cause from the client, so it must reach the log; 4xx are the client's.
        // A dependency outage (503) is expected operations noise; anything else is a bug or bad config.
        let status = problem.status();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error = %self, status = status.as_u16(), "request failed: dependency unavailable");
        } else if status.is_server_error() {
            tracing::error!(error = %self, status = status.as_u16(), "request failed");
        }
        problem.to_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};

    #[test]
    fn invalid_credentials_is_a_401_with_a_bearer_challenge() {
        let response = Error::InvalidCredentials.error_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers().get(WWW_AUTHENTICATE).expect("challenge"), "Bearer");
    }

    #[test]
    fn the_password_grant_s_failures_carry_their_oauth_codes() {
        for (error, code) in [
            (Error::InvalidCredentials, OAuthError::InvalidGrant),
            (Error::LockedOut { retry_after_seconds: 9 }, OAuthError::InvalidGrant),
            (Error::UnsupportedGrantType, OAuthError::UnsupportedGrantType),
        ] {
            assert_eq!(error.problem().oauth_error(), Some(code), "{error}");
        }
        let redis = Error::Redis(RedisError::Unavailable("refused".to_owned()));
        assert_eq!(redis.problem().oauth_error(), None);
        assert_eq!(Error::UsernameTaken.problem().oauth_error(), None, "registration is no OAuth endpoint");
    }

    #[test]
    fn lockout_carries_the_seconds_left() {
        let response = Error::LockedOut { retry_after_seconds: 42 }.error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers().get(RETRY_AFTER).expect("retry-after"), "42");
    }

    #[test]
    fn the_rate_limit_is_a_429_with_retry_after() {
        let response = Error::RateLimited { retry_after_seconds: 17 }.error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers().get(RETRY_AFTER).expect("retry-after"), "17");
    }

    #[test]
    fn dependencies_down_are_503_with_retry_after() {
        let redis = Error::Redis(RedisError::Unavailable("refused".to_owned())).error_response();
        assert_eq!(redis.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(redis.headers().contains_key(RETRY_AFTER));
        let token =
            Error::TokenService(ClientError::Unavailable { peer: "token service", reason: "refused".to_owned() });
        let token = token.error_response();
        assert_eq!(token.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(token.headers().contains_key(RETRY_AFTER));
    }

    #[test]
    fn sso_failures_are_400_or_401_and_the_provider_down_is_503() {
        assert_eq!(Error::InvalidState.error_response().status(), StatusCode::BAD_REQUEST);
        let denied = Error::ProviderRefused { error: "access_denied".to_owned() };
        assert!(denied.problem().detail().contains("access_denied"), "the provider's code is carried");
        assert_eq!(denied.redirect_error().0, OAuthError::AccessDenied);
        let unknown_code = Error::ProviderRefused { error: "login_required".to_owned() };
        assert_eq!(unknown_code.redirect_error().0, OAuthError::AccessDenied);
        assert!(unknown_code.problem().detail().contains("login_required"), "the provider's code is in the detail");
        assert_eq!(Error::InvalidState.redirect_error().0, OAuthError::InvalidRequest);
        for error in [denied, Error::CodeExchangeFailed("x".to_owned()), Error::InvalidIdToken("bad kid".to_owned())] {
            let response = error.error_response();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(response.headers().get(WWW_AUTHENTICATE).expect("challenge"), "Bearer");
        }
        assert!(
            !Error::InvalidIdToken("kid abc".to_owned()).problem().detail().contains("abc"),
            "causes stay in the log"
        );
        let down = Error::IdentityProviderUnavailable { provider: "corp".to_owned(), reason: "refused".to_owned() };
        assert_eq!(down.redirect_error().0, OAuthError::TemporarilyUnavailable);
        assert_eq!(down.problem().oauth_error(), None, "a 5xx answer carries no OAuth code");
        let response = down.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key(RETRY_AFTER));
    }

    #[test]
    fn internal_causes_are_not_sent() {
        let problem = Error::CorruptRecord("authn:user:123 has no username".to_owned()).problem();
        assert_eq!(problem.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!problem.detail().contains("authn:user"));
    }
}
