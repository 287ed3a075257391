//! The OAuth endpoints' error answers: standard OAuth 2.0 client libraries recognise a failure only by
//! RFC 6749 §5.2's `error` member, so every 4xx of a route wrapped with [`oauth_error_members`] carries
//! `error` and `error_description` beside the problem's own members.
//!
//! Each service's error mapping names the code of the failures only it knows (`invalid_grant` for wrong
//! credentials or a bad refresh token, `unsupported_grant_type`, `invalid_client`); every other 4xx of
//! such a route (a malformed body, a body over the limit, another media type or method) is the client's
//! malformed request, `invalid_request`. 5xx answers stay plain problems: RFC 6749 defines no code for
//! them at the token endpoint (`temporarily_unavailable` belongs to the authorization endpoint's redirect),
//! and a client library treats any 5xx as a failure anyway.

use crate::problem::HttpProblem;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use auth_proto::problem::OAuthError;

/// Middleware (for `actix_web::middleware::from_fn`) giving every 4xx problem of the wrapped routes an
/// OAuth 2.0 `error`: the one the service chose, or `invalid_request`.
pub async fn oauth_error_members(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let response = next.call(req).await?;
    let missing_code = response
        .response()
        .extensions()
        .get::<HttpProblem>()
        .filter(|problem| problem.status().is_client_error() && problem.oauth_error().is_none())
        .cloned();
    let Some(problem) = missing_code else {
        return Ok(response.map_into_left_body());
    };
    // Only the body changes: the status and the headers the handler set (`Allow`, `Retry-After`,
    // `WWW-Authenticate`) stay as they are.
    let body = serde_json::to_vec(&problem.with_oauth_error(OAuthError::InvalidRequest).body()).unwrap_or_default();
    Ok(response.map_body(|_, _| EitherBody::right(BoxBody::new(body))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::BearerChallenge;
    use actix_web::http::StatusCode;
    use actix_web::http::header::WWW_AUTHENTICATE;
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};
    use serde_json::Value;

    async fn call(path: &str) -> (StatusCode, Option<String>, Value) {
        let app = test::init_service(
            App::new()
                .service(
                    web::scope("/oauth")
                        .wrap(from_fn(oauth_error_members))
                        .route("/malformed", web::post().to(|| async { HttpProblem::bad_request("no").to_response() }))
                        .route(
                            "/grant",
                            web::post().to(|| async {
                                HttpProblem::unauthorized(BearerChallenge::Missing, "wrong password")
                                    .with_oauth_error(OAuthError::InvalidGrant)
                                    .to_response()
                            }),
                        )
                        .route(
                            "/down",
                            web::post().to(|| async { HttpProblem::dependency_unavailable("redis").to_response() }),
                        )
                        .route(
                            "/ok",
                            web::post().to(|| async { HttpResponse::Ok().json(serde_json::json!({"ok": true})) }),
                        ),
                )
                .route("/other", web::post().to(|| async { HttpProblem::bad_request("no").to_response() })),
        )
        .await;
        let response = test::call_service(&app, test::TestRequest::post().uri(path).to_request()).await;
        let status = response.status();
        let challenge =
            response.headers().get(WWW_AUTHENTICATE).and_then(|value| value.to_str().ok()).map(str::to_owned);
        let body: Value = serde_json::from_slice(&test::read_body(response).await).unwrap_or(Value::Null);
        (status, challenge, body)
    }

    #[actix_web::test]
    async fn a_4xx_without_a_code_becomes_invalid_request_with_its_detail() {
        let (status, _, body) = call("/oauth/malformed").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(body["error_description"], "no");
        assert_eq!(body["type"], "urn:auth-platform:problem:bad-request");
    }

    #[actix_web::test]
    async fn the_service_s_own_code_and_headers_are_kept() {
        let (status, challenge, body) = call("/oauth/grant").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(challenge.as_deref(), Some("Bearer"));
        assert_eq!(body["error"], "invalid_grant");
    }

    #[actix_web::test]
    async fn server_errors_successes_and_other_routes_are_left_alone() {
        let (status, _, body) = call("/oauth/down").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.get("error").is_none(), "{body}");
        let (_, _, body) = call("/oauth/ok").await;
        assert_eq!(body, serde_json::json!({"ok": true}));
        let (_, _, body) = call("/other").await;
        assert!(body.get("error").is_none(), "{body}");
    }
}
