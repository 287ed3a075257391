//! `GET /readyz`: ready when the store answers and verification keys are loaded.

use crate::state::AppState;
use crate::store::SessionStore;
use actix_web::{HttpResponse, web};
use auth_proto::problem::Problem;
use auth_proto::public::HealthResponse;
use service_kit::health::{check, readiness_response};

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Redis and the JWKS answer", body = HealthResponse),
        (status = 503, description = "Names the dependency that does not answer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz<S: SessionStore>(state: web::Data<AppState<S>>) -> HttpResponse {
    let store_ok = state.store.ping().await.is_ok();
    let keys_ok = state.keys.is_loaded() || state.keys.refresh_rate_limited().await.is_ok();
    readiness_response(vec![check("redis", store_ok), check("jwks", keys_ok)])
}
