//! `GET /readyz`: ready when the store answers and a key set is loaded (the token service's JWKS, fetched
//! at start and retried in the background until it comes, or the HS256 secret). Once a key set was
//! loaded the service stays ready through a token-service outage, verifying with the keys it has; the
//! JWKS source's state is reported under `peers` and never makes the answer a 503. The Redis check names
//! the topology (and with Sentinel the master in use) in its `detail`.

use crate::state::AppState;
use crate::store::SessionStore;
use actix_web::{HttpResponse, web};
use auth_proto::problem::Problem;
use auth_proto::public::HealthResponse;
use service_kit::health::{check, check_with_detail, readiness_with_peers};

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Redis answers and a key set is loaded; the token service's JWKS state is reported under `peers`", body = HealthResponse),
        (status = 503, description = "Names the dependency that does not answer: Redis, or the key set never loaded yet", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz<S: SessionStore>(state: web::Data<AppState<S>>) -> HttpResponse {
    let store_ok = state.store.ping().await.is_ok();
    let keys_ok = state.keys.is_loaded() || state.keys.refresh_rate_limited().await.is_ok();
    let redis = match &state.redis {
        Some(pool) => check_with_detail("redis", store_ok, pool.topology().to_string()),
        None => check("redis", store_ok),
    };
    let peers = state.keys.last_fetch_ok().map(|ok| check("token service (jwks)", ok)).into_iter().collect();
    readiness_with_peers(vec![redis, check("jwks", keys_ok)], peers)
}
