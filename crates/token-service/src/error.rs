//! The token service's one error type and its mapping to problem+json, in one place. Causes are logged
//! here and never sent to the client.
//!
//! The RFC 6749 §5.2 `error` codes of the refresh grant are chosen here too; the OAuth routes (wrapped
//! with `service_kit::oauth_errors`) render them and give any other 4xx `invalid_request`.

use crate::domain::refresh_token::RefreshTokenError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use auth_client::ClientError;
use auth_jwt::keys::KeyError;
use auth_proto::problem::{OAuthError, Problem, ProblemType};
use service_kit::problem::{BearerChallenge, HttpProblem};
use service_kit::server::StartError;
use service_kit::settings::SettingsError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
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
    #[error("unexpected answer: {0}")]
    UnexpectedAnswer(&'static str),
    #[error("refresh token handling failed: {0}")]
    RefreshToken(#[from] RefreshTokenError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

impl Error {
    /// Maps a session-service refusal of a rotation onto the refresh outcome it means.
    pub fn from_rotation_failure(error: ClientError) -> Self {
        match &error {
            ClientError::Refused { status: 401, problem, .. } => Error::RefreshRefused {
                reused: problem.as_deref().and_then(Problem::problem_type) == Some(ProblemType::RefreshTokenReused),
            },
            _ => Error::SessionService(error),
        }
    }

    fn problem(&self) -> HttpProblem {
        match self {
            Error::Edge(problem) => problem.clone(),
            Error::BadRequest(detail) => HttpProblem::bad_request(detail.clone()),
            Error::UnsupportedGrantType => HttpProblem::new(
                StatusCode::BAD_REQUEST,
                ProblemType::UnsupportedGrantType,
                "Unsupported grant type",
                "grant_type must be refresh_token",
            )
            .with_oauth_error(OAuthError::UnsupportedGrantType),
            Error::RefreshRefused { reused } => HttpProblem::new(
                StatusCode::UNAUTHORIZED,
                if *reused { ProblemType::RefreshTokenReused } else { ProblemType::InvalidRefreshToken },
                "Invalid refresh token",
                if *reused {
                    "this refresh token was already used; its session has been ended"
                } else {
                    "the refresh token is unknown, expired or revoked"
                },
            )
            .with_challenge(BearerChallenge::InvalidToken)
            .with_oauth_error(OAuthError::InvalidGrant),
            Error::SessionService(ClientError::Unavailable { .. }) => {
                HttpProblem::dependency_unavailable("the session service")
            }
            Error::SessionService(_)
            | Error::Signing(_)
            | Error::RefreshToken(_)
            | Error::UnexpectedAnswer(_)
            | Error::Settings(_)
            | Error::Start(_)
            | Error::Serve(_) => HttpProblem::internal(),
        }
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        self.problem().status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Error::SessionService(ClientError::Unavailable { .. }) => {
                tracing::warn!(error = %self, "session service unavailable")
            }
            Error::SessionService(_) | Error::Signing(_) | Error::RefreshToken(_) => {
                tracing::error!(error = %self, "request failed")
            }
            Error::RefreshRefused { reused: true } => tracing::warn!("refresh token reuse: session ended"),
            _ => {}
        }
        self.problem().to_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, kind: Option<ProblemType>) -> ClientError {
        let problem = kind
            .map(|kind| Problem {
                kind: kind.uri(),
                title: "refused".to_owned(),
                status,
                detail: "refused".to_owned(),
                error: None,
                error_description: None,
            })
            .map(Box::new);
        ClientError::Refused { peer: "session service", status, problem }
    }

    #[test]
    fn only_session_s_reuse_problem_means_reuse() {
        let reused = Error::from_rotation_failure(refused(401, Some(ProblemType::RefreshTokenReused)));
        assert!(matches!(reused, Error::RefreshRefused { reused: true }));
        for kind in [Some(ProblemType::InvalidRefreshToken), Some(ProblemType::Unauthorized), None] {
            let refusal = Error::from_rotation_failure(refused(401, kind));
            assert!(matches!(refusal, Error::RefreshRefused { reused: false }), "{kind:?}");
        }
        let other = Error::from_rotation_failure(refused(400, Some(ProblemType::BadRequest)));
        assert!(matches!(other, Error::SessionService(_)));
    }

    #[test]
    fn the_refresh_grant_s_failures_carry_their_oauth_codes() {
        for reused in [false, true] {
            assert_eq!(Error::RefreshRefused { reused }.problem().oauth_error(), Some(OAuthError::InvalidGrant));
        }
        assert_eq!(Error::UnsupportedGrantType.problem().oauth_error(), Some(OAuthError::UnsupportedGrantType));
        let down = Error::SessionService(ClientError::Unavailable { peer: "session service", reason: "x".to_owned() });
        assert_eq!(down.problem().oauth_error(), None, "a 503 stays a plain problem");
    }
}
