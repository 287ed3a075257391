//! `GET /healthz` (the process serves) and `GET /readyz` (Redis, when configured, answers PING and the
//! token service answers its `/healthz`); the two checks run concurrently. The Redis check names the
//! topology (and with Sentinel the master in use) in its `detail`.

use crate::lockout::FailureStore;
use crate::state::AppState;
use crate::users::UserStore;
use actix_web::{HttpResponse, web};
use auth_proto::problem::Problem;
use auth_proto::public::HealthResponse;
use service_kit::health::{check, check_with_detail, readiness_response};

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Redis (when configured) and the token service answer", body = HealthResponse),
        (status = 503, description = "Names the dependency that does not answer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz<U: UserStore, F: FailureStore>(state: web::Data<AppState<U, F>>) -> HttpResponse {
    let redis = async {
        match &state.redis {
            Some(pool) => Some(check_with_detail("redis", pool.ping().await.is_ok(), pool.topology().to_string())),
            None => None,
        }
    };
    let token_service = async { check("token service", state.tokens.is_serving().await) };
    let (redis, token_service) = tokio::join!(redis, token_service);
    readiness_response(redis.into_iter().chain([token_service]).collect())
}
