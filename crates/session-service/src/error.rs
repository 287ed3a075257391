//! The session service's one error type, and its mapping to problem+json: the only place that decides
//! which status and words a client sees. Internal causes are logged here, never sent.

use crate::store::StoreError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use auth_proto::problem::ProblemType;
use service_kit::problem::{BearerChallenge, HttpProblem};
use service_kit::server::StartError;
use service_kit::settings::SettingsError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Refused at the HTTP edge (bearer parsing, body limits) with a problem already chosen.
    #[error("{0}")]
    Edge(#[from] HttpProblem),
    #[error("the access token is refused: {0}")]
    InvalidToken(&'static str),
    #[error("no such session")]
    SessionNotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("the refresh token is refused")]
    RefreshRefused { reused: bool },
    #[error("session store unavailable: {0}")]
    Store(#[from] StoreError),
    #[error("signing keys unavailable: {0}")]
    KeysUnavailable(String),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(
        "the sessions commands work on Redis: set REDIS_URL (the dev in-memory store lives inside the running service)"
    )]
    AdminNeedsRedis,
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

impl Error {
    fn problem(&self) -> HttpProblem {
        match self {
            Error::Edge(problem) => problem.clone(),
            Error::InvalidToken(reason) => HttpProblem::new(
                StatusCode::UNAUTHORIZED,
                ProblemType::InvalidToken,
                "Invalid token",
                format!("the access token is not valid: {reason}"),
            )
            .with_challenge(BearerChallenge::InvalidToken),
            Error::SessionNotFound => HttpProblem::not_found("no such session of this user"),
            Error::BadRequest(detail) => HttpProblem::bad_request(detail.clone()),
            Error::RefreshRefused { reused: true } => HttpProblem::new(
                StatusCode::UNAUTHORIZED,
                ProblemType::RefreshTokenReused,
                "Refresh token reused",
                "this refresh token was already used; its session has been ended",
            )
            .with_challenge(BearerChallenge::InvalidToken),
            Error::RefreshRefused { reused: false } => HttpProblem::new(
                StatusCode::UNAUTHORIZED,
                ProblemType::InvalidRefreshToken,
                "Invalid refresh token",
                "the refresh token is unknown, expired or revoked",
            )
            .with_challenge(BearerChallenge::InvalidToken),
            Error::Store(_) => HttpProblem::dependency_unavailable("the session store"),
            Error::KeysUnavailable(_) => HttpProblem::dependency_unavailable("the token service's JWKS"),
            Error::Settings(_) | Error::Start(_) | Error::Serve(_) | Error::AdminNeedsRedis => HttpProblem::internal(),
        }
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        self.problem().status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Error::Store(cause) => tracing::warn!(error = %cause, "session store failed"),
            Error::KeysUnavailable(cause) => tracing::warn!(error = %cause, "signing keys unavailable"),
            _ => {}
        }
        self.problem().to_response()
    }
}
