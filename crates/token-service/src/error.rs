//! The token service's one error type and its mapping to problem+json, in one place. Causes are logged
//! here and never sent to the client.

use crate::domain::refresh_token::RefreshTokenError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use auth_client::ClientError;
use auth_jwt::keys::KeyError;
use service_kit::problem::{BearerChallenge, HttpProblem};
use service_kit::server::StartError;
use service_kit::settings::SettingsError;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}")]
    Edge(#[from] HttpProblem),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unsupported grant type")]
    UnsupportedGrantType,
    #[error("the refresh token is refused")]
    RefreshRefused { reused: bool },
    #[error("session service call failed: {0}")]
    SessionService(#[from] ClientError),
    #[error("signing failed: {0}")]
    Signing(#[from] KeyError),
    #[error("refresh token handling failed: {0}")]
    RefreshToken(#[from] RefreshTokenError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

impl TokenError {
    /// Maps a session-service refusal of a rotation onto the refresh outcome it means.
    pub fn from_rotation_failure(error: ClientError) -> Self {
        match &error {
            ClientError::Refused { status: 401, problem, .. } => TokenError::RefreshRefused {
                reused: problem.as_ref().is_some_and(|problem| problem.kind.ends_with("refresh-token-reused")),
            },
            _ => TokenError::SessionService(error),
        }
    }

    fn problem(&self) -> HttpProblem {
        match self {
            TokenError::Edge(problem) => problem.clone(),
            TokenError::BadRequest(detail) => HttpProblem::bad_request(detail.clone()),
            TokenError::UnsupportedGrantType => HttpProblem::new(
                StatusCode::BAD_REQUEST,
                "unsupported-grant-type",
                "Unsupported grant type",
                "grant_type must be refresh_token",
            ),
            TokenError::RefreshRefused { reused } => HttpProblem::new(
                StatusCode::UNAUTHORIZED,
                if *reused { "refresh-token-reused" } else { "invalid-refresh-token" },
                "Invalid refresh token",
                if *reused {
                    "this refresh token was already used; its session has been ended"
                } else {
                    "the refresh token is unknown, expired or revoked"
                },
            )
            .with_challenge(BearerChallenge::InvalidToken),
            TokenError::SessionService(ClientError::Unavailable { .. }) => {
                HttpProblem::dependency_unavailable("the session service")
            }
            TokenError::SessionService(_)
            | TokenError::Signing(_)
            | TokenError::RefreshToken(_)
            | TokenError::Settings(_)
            | TokenError::Start(_)
            | TokenError::Serve(_) => HttpProblem::internal(),
        }
    }
}

impl ResponseError for TokenError {
    fn status_code(&self) -> StatusCode {
        self.problem().status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            TokenError::SessionService(ClientError::Unavailable { .. }) => {
                tracing::warn!(error = %self, "session service unavailable")
            }
            TokenError::SessionService(_) | TokenError::Signing(_) | TokenError::RefreshToken(_) => {
                tracing::error!(error = %self, "request failed")
            }
            TokenError::RefreshRefused { reused: true } => tracing::warn!("refresh token reuse: session ended"),
            _ => {}
        }
        self.problem().to_response()
    }
}
