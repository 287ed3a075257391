//! The guard of every `/internal/` scope: `Authorization: Bearer INTERNAL_API_TOKEN` (or, during a
//! rotation, `INTERNAL_API_TOKEN_PREVIOUS`), compared in constant time. Wrap the scope with
//! [`require_internal_token`]; the [`InternalApiToken`] is app data.

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

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test};
    use secrecy::SecretString;

    #[actix_web::test]
    async fn the_current_and_the_previous_token_pass_and_nothing_else() {
        let current = "c".repeat(40);
        let previous = "p".repeat(40);
        let token = InternalApiToken::new(SecretString::from(current.clone()))
            .with_previous(SecretString::from(previous.clone()));
        let app = test::init_service(App::new().app_data(web::Data::new(token)).service(
            web::scope("/internal").wrap(from_fn(require_internal_token)).route("/x", web::get().to(HttpResponse::Ok)),
        ))
        .await;
        let call = |authorization: Option<String>| {
            let mut request = test::TestRequest::get().uri("/internal/x");
            if let Some(value) = authorization {
                request = request.insert_header((AUTHORIZATION, value));
            }
            request.to_request()
        };
        for accepted in [&current, &previous] {
            let response = test::call_service(&app, call(Some(format!("Bearer {accepted}")))).await;
            assert_eq!(response.status(), 200);
        }
        for refused in [Some(format!("Bearer {}", "x".repeat(40))), Some(format!("Bearer {current}x")), None] {
            let response = test::call_service(&app, call(refused)).await;
            assert_eq!(response.status(), 401);
        }
    }
}
