//! `POST /internal/users/{user_id}/sessions/invalidate` (authn only): a disabled account loses every session.

use crate::error::Error;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use auth_proto::internal::EndedSessions;
use auth_proto::problem::Problem;

#[utoipa::path(post, path = "/internal/users/{user_id}/sessions/invalidate", tag = "internal", security(("internal" = [])),
    params(("user_id" = String, Path, description = "The user's id (a UUID)")),
    responses(
        (status = 200, description = "Every session of the user ended", body = EndedSessions),
        (status = 400, description = "The user id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong internal API token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The session service is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", name = "end user sessions", skip(state))]
pub async fn end_user_sessions(state: web::Data<AppState>, user_id: web::Path<String>) -> Result<HttpResponse, Error> {
    let user_id = super::parse_user_id(&user_id)?;
    let ended = state.sessions.end_user_sessions(user_id).await?;
    Ok(HttpResponse::Ok().json(ended))
}
