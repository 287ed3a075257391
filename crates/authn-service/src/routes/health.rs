//! `GET /readyz`: ready when Redis (when configured) answers PING. The token service's `/healthz` is
//! reported beside it but never makes the answer a 503: password checks, registration and everything but
//! minting still work without it, and logins answer 503 on their own while it is away. The two checks
//! run concurrently. The Redis check names the topology (and with Sentinel the master in use) in its
//! `detail`.

use crate::lockout::FailureStore;
use crate::state::AppState;
use crate::users::UserStore;
use actix_web::{HttpResponse, web};
use auth_proto::problem::Problem;
use auth_proto::public::HealthResponse;
use service_kit::health::{check_with_detail, peer_check, readiness_with_peers};

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Redis (when configured) answers; the token service's state is reported under `peers`", body = HealthResponse),
        (status = 503, description = "Names the dependency of authn's own that does not answer (Redis)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz<U: UserStore, F: FailureStore>(state: web::Data<AppState<U, F>>) -> HttpResponse {
    let redis = async {
        match &state.redis {
            Some(pool) => Some(check_with_detail("redis", pool.ping().await.is_ok(), pool.topology().to_string())),
            None => None,
        }
    };
    let token_service = peer_check("token service", state.tokens.is_serving());
    let (redis, token_service) = tokio::join!(redis, token_service);
    readiness_with_peers(redis.into_iter().collect(), vec![token_service])
}
