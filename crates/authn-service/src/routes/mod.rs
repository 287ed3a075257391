//! HTTP handlers: each reads the request, calls one flow, and shapes the answer. Rules live in the
//! flows (`registration`, `password_login`, `oidc`) and the domain types; errors map to HTTP in `error`.

pub mod health;
pub mod login;
pub mod oauth;
pub mod register;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::ALLOW;
use auth_proto::problem::ProblemType;
use service_kit::problem::HttpProblem;

/// The default service of a resource that only answers POST: 405 with `Allow`, as RFC 9110 asks.
pub async fn post_only() -> HttpResponse {
    let mut response = HttpProblem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ProblemType::MethodNotAllowed,
        "Method not allowed",
        "use POST",
    )
    .to_response();
    response.headers_mut().insert(ALLOW, actix_web::http::header::HeaderValue::from_static("POST"));
    response
}
