//! The guard of every `/internal/` scope: `Authorization: Bearer INTERNAL_API_TOKEN`, compared in
//! constant time. Wrap the scope with [`require_internal_token`]; the token is app data.

use crate::bearer::parse_bearer;
use crate::problem::{BearerChallenge, HttpProblem};
use crate::settings::InternalApiToken;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::web;

/// Middleware (for `actix_web::middleware::from_fn`) refusing calls without the internal token.
pub async fn require_internal_token(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let allowed = match (req.app_data::<web::Data<InternalApiToken>>(), req.headers().get(AUTHORIZATION)) {
        (Some(expected), Some(header)) => {
            parse_bearer(header.as_bytes()).is_ok_and(|token| expected.matches(token.as_bytes()))
        }
        _ => false,
    };
    if allowed {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    let problem =
        HttpProblem::unauthorized(BearerChallenge::InvalidToken, "internal routes need the internal API token");
    Ok(req.into_response(problem.to_response()).map_into_right_body())
}
