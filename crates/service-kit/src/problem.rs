//! RFC 9457 problem responses. Every service maps its own error enum onto [`HttpProblem`] in one place;
//! this type renders the body and the headers the contract asks for (`Retry-After`, `WWW-Authenticate`),
//! and RFC 6749's `error` and `error_description` members when it carries an [`OAuthError`] (see
//! [`crate::oauth_errors`] for the routes that always carry one).

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use auth_proto::problem::{OAuthError, PROBLEM_CONTENT_TYPE, Problem, ProblemType};
use std::fmt;

/// The `WWW-Authenticate: Bearer` challenge of a 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerChallenge {
    /// No credentials were presented.
    Missing,
    /// A token was presented and refused (RFC 6750 `invalid_token`).
    InvalidToken,
    /// An OAuth client failed to authenticate where a bearer token or HTTP Basic client credentials are
    /// accepted (introspection): `Bearer` first, as on every 401 of the platform, and the `Basic`
    /// challenge RFC 6749 §5.2 asks for.
    ClientCredentials,
}

impl BearerChallenge {
    fn header_values(self) -> &'static [&'static str] {
        match self {
            BearerChallenge::Missing => &["Bearer"],
            BearerChallenge::InvalidToken => &["Bearer error=\"invalid_token\""],
            BearerChallenge::ClientCredentials => &["Bearer", "Basic realm=\"auth-platform\""],
        }
    }
}

/// A problem answer: status, its `type`, a short title and a detail safe for the client.
#[derive(Debug, Clone)]
pub struct HttpProblem {
    status: StatusCode,
    kind: ProblemType,
    title: &'static str,
    detail: String,
    retry_after_seconds: Option<u64>,
    challenge: Option<BearerChallenge>,
    oauth_error: Option<OAuthError>,
}

impl HttpProblem {
    pub fn new(status: StatusCode, kind: ProblemType, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            title,
            detail: detail.into(),
            retry_after_seconds: None,
            challenge: None,
            oauth_error: None,
        }
    }

    /// Adds RFC 6749's `error` (this code) and `error_description` (the detail) to the body.
    pub fn with_oauth_error(mut self, error: OAuthError) -> Self {
        self.oauth_error = Some(error);
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_seconds = Some(seconds.max(1));
        self
    }

    pub fn with_challenge(mut self, challenge: BearerChallenge) -> Self {
        self.challenge = Some(challenge);
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ProblemType::BadRequest, "Bad request", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ProblemType::NotFound, "Not found", detail)
    }

    pub fn unauthorized(challenge: BearerChallenge, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ProblemType::Unauthorized, "Unauthorized", detail).with_challenge(challenge)
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemType::PayloadTooLarge,
            "Payload too large",
            format!("request bodies are limited to {} bytes", crate::body::BODY_LIMIT_BYTES),
        )
    }

    /// A dependency (Redis, a peer service) did not answer in time; the client may retry shortly.
    pub fn dependency_unavailable(dependency: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemType::DependencyUnavailable,
            "Service unavailable",
            format!("{dependency} is unavailable; retry shortly"),
        )
        .with_retry_after(DEPENDENCY_RETRY_AFTER_SECONDS)
    }

    /// Something failed that the client cannot fix; the cause is logged, never sent.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemType::Internal,
            "Internal error",
            "the request could not be completed",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn kind(&self) -> ProblemType {
        self.kind
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn oauth_error(&self) -> Option<OAuthError> {
        self.oauth_error
    }

    /// The body as sent.
    pub fn body(&self) -> Problem {
        Problem {
            kind: self.kind.uri(),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            error: self.oauth_error.map(|error| error.as_code().to_owned()),
            error_description: self.oauth_error.map(|_| self.detail.clone()),
        }
    }

    /// The answer: status, headers and body. The problem also travels in the response's extensions, so
    /// that a middleware ([`crate::oauth_errors`]) can render it again with more members.
    pub fn to_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((CONTENT_TYPE, PROBLEM_CONTENT_TYPE));
        if let Some(seconds) = self.retry_after_seconds {
            response.insert_header((RETRY_AFTER, seconds.to_string()));
        }
        if let Some(challenge) = self.challenge {
            for value in challenge.header_values() {
                response.append_header((WWW_AUTHENTICATE, *value));
            }
        }
        let mut response = match serde_json::to_vec(&self.body()) {
            Ok(bytes) => response.body(bytes),
            Err(_) => response.finish(),
        };
        response.extensions_mut().insert(self.clone());
        response
    }
}

/// How long a client should wait before retrying after a dependency failed.
pub const DEPENDENCY_RETRY_AFTER_SECONDS: u64 = 2;

impl fmt::Display for HttpProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.title, self.detail)
    }
}

impl std::error::Error for HttpProblem {}

impl ResponseError for HttpProblem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.to_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    #[actix_web::test]
    async fn renders_problem_json_with_headers() {
        let problem = HttpProblem::dependency_unavailable("redis");
        let response = problem.to_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(CONTENT_TYPE).unwrap(), PROBLEM_CONTENT_TYPE);
        assert_eq!(response.headers().get(RETRY_AFTER).unwrap(), "2");
        let body: Problem = serde_json::from_slice(&to_bytes(response.into_body()).await.unwrap()).unwrap();
        assert_eq!(body.status, 503);
        assert_eq!(body.kind, "urn:auth-platform:problem:dependency-unavailable");
    }

    #[test]
    fn unauthorized_carries_the_bearer_challenge() {
        let response = HttpProblem::unauthorized(BearerChallenge::InvalidToken, "expired").to_response();
        assert_eq!(response.headers().get(WWW_AUTHENTICATE).unwrap(), "Bearer error=\"invalid_token\"");
    }

    #[actix_web::test]
    async fn an_oauth_error_adds_error_and_error_description_and_nothing_else_changes() {
        let plain = HttpProblem::unauthorized(BearerChallenge::ClientCredentials, "who are you");
        let response = plain.clone().with_oauth_error(OAuthError::InvalidClient).to_response();
        let challenges: Vec<_> = response.headers().get_all(WWW_AUTHENTICATE).map(|value| value.to_owned()).collect();
        assert_eq!(challenges, ["Bearer", "Basic realm=\"auth-platform\""]);
        assert_eq!(
            response.extensions().get::<HttpProblem>().and_then(HttpProblem::oauth_error),
            Some(OAuthError::InvalidClient)
        );
        let body: serde_json::Value = serde_json::from_slice(&to_bytes(response.into_body()).await.unwrap()).unwrap();
        assert_eq!(body["error"], "invalid_client");
        assert_eq!(body["error_description"], "who are you");
        assert_eq!(body["type"], "urn:auth-platform:problem:unauthorized");
        let body: serde_json::Value =
            serde_json::from_slice(&to_bytes(plain.to_response().into_body()).await.unwrap()).unwrap();
        assert!(body.get("error").is_none() && body.get("error_description").is_none(), "{body}");
    }
}
