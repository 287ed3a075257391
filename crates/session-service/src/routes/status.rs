//! `GET /session/status`: the caller's session, if its access token is valid and the session live.

use crate::authenticate::authenticate;
use crate::domain::clock::rfc3339;
use crate::error::Error;
use crate::state::AppState;
use crate::store::SessionStore;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_proto::problem::Problem;
use auth_proto::public::SessionStatus;

#[utoipa::path(get, path = "/session/status", tag = "session", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's live session", body = SessionStatus),
        (status = 401, description = "No valid access token, or its session has ended", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The session store is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", name = "session status", skip_all)]
pub async fn status<S: SessionStore>(req: HttpRequest, state: web::Data<AppState<S>>) -> Result<HttpResponse, Error> {
    let authenticated = authenticate(&req, &state).await?;
    Ok(HttpResponse::Ok().json(SessionStatus {
        active: true,
        session_id: authenticated.claims.sid.clone(),
        user_id: authenticated.claims.sub.clone(),
        created_at: rfc3339(authenticated.session.created_at),
        expires_at: rfc3339(authenticated.session.expires_at),
        last_seen_at: rfc3339(authenticated.session.last_seen_at),
    }))
}
