//! Pieces every service's `App` is built with, so that all three answer the same way at the edges.

use crate::problem::HttpProblem;
use actix_web::{HttpRequest, HttpResponse};

/// The default service: unknown routes get a 404 problem rather than actix's empty body.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    HttpProblem::not_found(format!("no route for {} {}", req.method(), req.path())).to_response()
}

/// Middleware (for `actix_web::middleware::from_fn`) that sets `Cache-Control: no-store` unless the handler
/// chose a policy: answers carry tokens and session data that no cache may keep. `Pragma: no-cache` goes
/// with it, as RFC 6749 §5.1 asks of token responses, for HTTP/1.0 caches.
pub async fn no_store(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::http::header::{CACHE_CONTROL, HeaderValue, PRAGMA};
    let mut response = next.call(req).await?;
    if !response.headers().contains_key(CACHE_CONTROL) {
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response.headers_mut().insert(PRAGMA, HeaderValue::from_static("no-cache"));
    }
    Ok(response)
}

/// Middleware (for `actix_web::middleware::from_fn`) that sets `X-Content-Type-Options: nosniff` on every
/// answer, so that no browser second-guesses a declared content type (a JSON error rendered as HTML).
/// Wrapped outermost, it also covers the answers other middleware makes (the readiness gate's 503s,
/// `/metrics`). Handlers' and extractors' errors (400, 413, …) reach it as responses: actix turns them
/// into responses before any middleware sees them.
pub async fn nosniff(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::http::header::{HeaderValue, X_CONTENT_TYPE_OPTIONS};
    let mut response = next.call(req).await?;
    response.headers_mut().insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}

/// The default service of a resource that only answers POST: 405 with `Allow`, as RFC 9110 asks.
pub async fn post_only() -> HttpResponse {
    use actix_web::http::StatusCode;
    use actix_web::http::header::{ALLOW, HeaderValue};
    let mut response = HttpProblem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        auth_proto::problem::ProblemType::MethodNotAllowed,
        "Method not allowed",
        "use POST",
    )
    .to_response();
    response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
    response
}
