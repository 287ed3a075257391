//! `GET /readyz`: ready when a signing key is loaded, which the service cannot start without and a
//! failed key reload never takes away, so it answers 200 as long as it serves. The session service is
//! reported beside it but never makes the answer a 503: JWKS, introspection and revocation of access
//! tokens work without it, and minting and refresh answer 503 on their own while it is away.

use crate::state::AppState;
use actix_web::{HttpResponse, web};
use auth_proto::problem::Problem;
use auth_proto::public::HealthResponse;
use service_kit::health::{check, peer_check, readiness_with_peers};

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "A signing key is loaded; the session service's state is reported under `peers`", body = HealthResponse),
        (status = 503, description = "Names what the service cannot serve without", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    // A key ring cannot exist without its current key, the service does not start without one, and a
    // failed reload keeps the ring it had: while the service serves, its signing key is there. The check
    // is listed so the body says what readiness rests on.
    let signing_key = check("signing key", true);
    let session_service = peer_check("session service", state.sessions.is_serving()).await;
    readiness_with_peers(vec![signing_key], vec![session_service])
}
