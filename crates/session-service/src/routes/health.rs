//! `GET /readyz`: ready when the store answers and verification keys are loaded; the Redis check names
//! the topology (and with Sentinel the master in use) in its `detail`.

use crate::state::AppState;
use crate::store::SessionStore;
use actix_web::{HttpResponse, web};
use auth_proto::problem::Problem;
use auth_proto::public::HealthResponse;
use service_kit::health::{check, check_with_detail, readiness_response};

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Redis and the JWKS answer", body = HealthResponse),
        (status = 503, description = "Names the dependency that does not answer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz<S: SessionStore>(state: web::Data<AppState<S>>) -> HttpResponse {
    let store_ok = state.store.ping().await.is_ok();
    let keys_ok = state.keys.is_loaded() || state.keys.refresh_rate_limited().await.is_ok();
    let redis = match &state.redis {
        Some(pool) => check_with_detail("redis", store_ok, pool.topology().to_string()),
        None => check("redis", store_ok),
    };
    readiness_response(vec![redis, check("jwks", keys_ok)])
}
