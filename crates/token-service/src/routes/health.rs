//! `GET /readyz`: ready when the session service serves.

use crate::state::AppState;
use actix_web::{HttpResponse, web};
use auth_proto::problem::Problem;
use auth_proto::public::HealthResponse;
use service_kit::health::{check, readiness_response};

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "The session service serves", body = HealthResponse),
        (status = 503, description = "Names the dependency that does not answer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    readiness_response(vec![check("session service", state.sessions.is_serving().await)])
}
