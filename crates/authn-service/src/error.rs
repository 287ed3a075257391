//! The one error type of the crate, and its mapping to HTTP (RFC 9457 problem+json).
//!
//! Every fallible step returns [`Error`]; [`Error`]'s `ResponseError` impl below is the only place that
//! decides a status code and what the client is told. Internal causes (Redis, the token service, argon2)
//! are logged there and never sent: the client gets a generic detail.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use auth_client::ClientError;
use redis_kit::RedisError;
use service_kit::problem::{BearerChallenge, HttpProblem};
use service_kit::settings::SettingsError;
use std::net::SocketAddr;

/// What can go wrong in the authn service, from bad input to a dead dependency.
#[derive(Debug, thiserror::Error)]
pub enum Error {
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

    /// Every hashing permit stayed taken for the whole wait: the service is saturated.
    #[error("password hashing is saturated")]
    HashingBusy,

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

    /// A task on the blocking pool panicked or was cancelled.
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

    #[error("could not listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },

    #[error("the HTTP server failed: {0}")]
    Server(std::io::Error),

    #[error(transparent)]
    Metrics(#[from] service_kit::metrics::MetricsError),
}

impl Error {
    /// The answer the client sees; causes stay in the log.
    fn problem(&self) -> HttpProblem {
        match self {
            Error::InvalidInput { .. } => HttpProblem::bad_request(self.to_string()),
            Error::UnsupportedGrantType => HttpProblem::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Unsupported grant type",
                "grant_type must be password",
            ),
            Error::RegistrationClosed => HttpProblem::new(
                StatusCode::FORBIDDEN,
                "registration-closed",
                "Registration closed",
                "registration is closed on this server",
            ),
            Error::UsernameTaken => {
                HttpProblem::new(StatusCode::CONFLICT, "username-taken", "Username taken", "the username is taken")
            }
            Error::UnknownUser => HttpProblem::not_found("no such user"),
            Error::InvalidCredentials => {
                HttpProblem::unauthorized(BearerChallenge::Missing, "invalid username or password")
            }
            Error::LockedOut { retry_after_seconds } => HttpProblem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "login-locked",
                "Too many failed logins",
                "too many failed logins; retry later",
            )
            .with_retry_after(*retry_after_seconds),
            Error::HashingBusy => HttpProblem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "Service busy",
                "the server is busy; retry shortly",
            )
            .with_retry_after(service_kit::problem::DEPENDENCY_RETRY_AFTER_SECONDS),
            Error::Redis(_) => HttpProblem::dependency_unavailable("redis"),
            Error::TokenService(ClientError::Unavailable { peer, .. }) => HttpProblem::dependency_unavailable(peer),
            Error::TokenService(_)
            | Error::CorruptRecord(_)
            | Error::Hashing(_)
            | Error::BlockingTask(_)
            | Error::Settings(_)
            | Error::AdminNeedsRedis
            | Error::Stdin(_)
            | Error::Bind { .. }
            | Error::Server(_)
            | Error::Metrics(_) => HttpProblem::internal(),
        }
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
    fn lockout_carries_the_seconds_left() {
        let response = Error::LockedOut { retry_after_seconds: 42 }.error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers().get(RETRY_AFTER).expect("retry-after"), "42");
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
    fn internal_causes_are_not_sent() {
        let problem = Error::CorruptRecord("authn:user:123 has no username".to_owned()).problem();
        assert_eq!(problem.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!problem.detail().contains("authn:user"));
    }
}
