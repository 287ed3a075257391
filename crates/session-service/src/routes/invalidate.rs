//! `POST /session/invalidate` (logout): the current session, one named session of the same user, or all.

use crate::authenticate::authenticate;
use crate::domain::session_id::SessionId;
use crate::error::Error;
use crate::state::AppState;
use crate::store::SessionStore;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_proto::problem::Problem;
use auth_proto::public::{InvalidateRequest, InvalidateResponse};
use service_kit::body::ApiBody;

/// Which sessions a request ends; the only shapes the body may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Current,
    One(SessionId),
    All,
}

impl Target {
    pub fn from_request(request: InvalidateRequest) -> Result<Self, Error> {
        match (request.session_id, request.all.unwrap_or(false)) {
            (Some(_), true) => Err(Error::BadRequest("give either session_id or all, not both".into())),
            (None, true) => Ok(Target::All),
            (Some(id), false) => SessionId::parse(&id).map(Target::One).ok_or(Error::SessionNotFound),
            (None, false) => Ok(Target::Current),
        }
    }
}

#[utoipa::path(post, path = "/session/invalidate", tag = "session", security(("bearer" = [])),
    request_body(content = InvalidateRequest, description = "Empty or `{}`: the current session; `session_id`: that session of the same user; `all`: every session"),
    responses(
        (status = 200, description = "How many sessions ended", body = InvalidateResponse),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token, or its session has ended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session of this user", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The session store is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", name = "session invalidate", skip_all)]
pub async fn invalidate<S: SessionStore>(
    req: HttpRequest,
    state: web::Data<AppState<S>>,
    body: ApiBody<InvalidateRequest>,
) -> Result<HttpResponse, Error> {
    let target = Target::from_request(body.0)?;
    let authenticated = authenticate(&req, &state).await?;
    let user_id = &authenticated.user_id;
    let invalidated = match &target {
        Target::Current => u64::from(state.store.end(user_id, &authenticated.session_id).await?),
        Target::One(session_id) => {
            if !state.store.end(user_id, session_id).await? {
                return Err(Error::SessionNotFound);
            }
            1
        }
        Target::All => state.store.end_all(user_id).await?,
    };
    state.metrics.record_invalidation(&target, invalidated);
    tracing::info!(invalidated, "sessions invalidated");
    Ok(HttpResponse::Ok().json(InvalidateResponse { invalidated }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(session_id: Option<&str>, all: Option<bool>) -> InvalidateRequest {
        InvalidateRequest { session_id: session_id.map(str::to_owned), all }
    }

    #[test]
    fn the_body_picks_one_target() {
        assert_eq!(Target::from_request(request(None, None)).unwrap(), Target::Current);
        assert_eq!(Target::from_request(request(None, Some(false))).unwrap(), Target::Current);
        assert_eq!(Target::from_request(request(None, Some(true))).unwrap(), Target::All);
        let id = SessionId::generate();
        assert_eq!(Target::from_request(request(Some(id.as_str()), None)).unwrap(), Target::One(id));
        assert!(matches!(Target::from_request(request(Some("x"), Some(true))), Err(Error::BadRequest(_))));
        assert!(matches!(Target::from_request(request(Some("x"), None)), Err(Error::SessionNotFound)));
    }
}
