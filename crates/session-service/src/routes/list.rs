//! `GET /session/list`: every live session of the caller's user, marking the caller's own.

use crate::authenticate::authenticate;
use crate::domain::clock::rfc3339;
use crate::error::Error;
use crate::state::AppState;
use crate::store::SessionStore;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_proto::clock::now;
use auth_proto::problem::Problem;
use auth_proto::public::{SessionList, SessionSummary};

#[utoipa::path(get, path = "/session/list", tag = "session", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every live session of the caller's user", body = SessionList),
        (status = 401, description = "No valid access token, or its session has ended", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The session store is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", name = "session list", skip_all)]
pub async fn list<S: SessionStore>(req: HttpRequest, state: web::Data<AppState<S>>) -> Result<HttpResponse, Error> {
    let authenticated = authenticate(&req, &state).await?;
    let sessions = state.store.list(&authenticated.user_id, now()).await?;
    let sessions = sessions
        .into_iter()
        .map(|session| SessionSummary {
            current: session.session_id == authenticated.session_id.as_str(),
            session_id: session.session_id,
            created_at: rfc3339(session.created_at),
            expires_at: rfc3339(session.expires_at),
            last_seen_at: rfc3339(session.last_seen_at),
            user_agent: session.user_agent,
            ip: session.ip,
        })
        .collect();
    Ok(HttpResponse::Ok().json(SessionList { sessions }))
}
