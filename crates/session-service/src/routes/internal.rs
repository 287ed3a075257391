//! `/internal/` routes, called by the token service only (the internal token is checked by the scope's
//! middleware): open, rotate, check, look up and end sessions, and revoke access tokens.

use crate::domain::canonical_uuid::CanonicalUuid;
use crate::domain::jti::Jti;
use crate::domain::refresh_hash::RefreshHash;
use crate::domain::session_id::SessionId;
use crate::domain::user_id::UserId;
use crate::error::Error;
use crate::state::AppState;
use crate::store::{NewSession, RefreshRef, Rotation, RotationResult, SessionStore};
use actix_web::{HttpResponse, web};
use auth_proto::clock::now;
use auth_proto::internal::SessionRecord;
use auth_proto::internal::{
    CheckSessionRequest, CheckSessionResponse, CreateSessionRequest, EndedSessions, RefreshHashRequest,
    RevokeAccessRequest, RevokeAccessResponse, RotateOutcome, RotateRequest, RotateResponse,
};
use auth_proto::problem::Problem;
use service_kit::body::ApiBody;

/// The longest session the service stores; a guard against a misconfigured caller.
const MAX_TTL_SECONDS: i64 = 366 * 24 * 3600;
const MAX_GRACE_SECONDS: i64 = 300;
const MAX_USERNAME_LENGTH: usize = 128;
const MAX_USER_AGENT_LENGTH: usize = 256;
const MAX_IP_LENGTH: usize = 64;
const MAX_SEALED_LENGTH: usize = 512;

fn refresh_hash(field: &str, value: &str) -> Result<RefreshHash, Error> {
    RefreshHash::parse(value).ok_or_else(|| Error::BadRequest(format!("{field} is not a SHA-256 hash")))
}

/// A refresh token's session and hash, from the fields the token service read out of the token.
fn refresh_ref(user_id: &str, session_id: &str, hash_field: &str, hash: &str) -> Result<RefreshRef, Error> {
    Ok(RefreshRef {
        user_id: id_field("user_id", user_id)?,
        session_id: id_field("session_id", session_id)?,
        hash: refresh_hash(hash_field, hash)?,
    })
}

/// The maximum lifetime a caller asks for: positive, and no longer than the longest session stored.
fn max_lifetime(value: i64) -> Result<i64, Error> {
    let seconds = ttl("max_lifetime_seconds", value, MAX_TTL_SECONDS)?;
    if seconds == 0 {
        return Err(Error::BadRequest("max_lifetime_seconds must be positive".into()));
    }
    Ok(seconds)
}

/// A `UserId`, `SessionId` or `Jti` from the body field `field`: 400 unless a canonical UUID.
fn id_field<K>(field: &str, value: &str) -> Result<CanonicalUuid<K>, Error> {
    CanonicalUuid::parse(value).ok_or_else(|| Error::BadRequest(format!("{field} is not a canonical UUID")))
}

fn bounded(name: &str, value: &str, max: usize) -> Result<(), Error> {
    if value.is_empty() || value.len() > max {
        return Err(Error::BadRequest(format!("{name} must be 1 to {max} bytes")));
    }
    Ok(())
}

fn ttl(name: &str, value: i64, max: i64) -> Result<i64, Error> {
    if !(0..=max).contains(&value) {
        return Err(Error::BadRequest(format!("{name} must be between 0 and {max}")));
    }
    Ok(value)
}

fn truncated(value: Option<String>, max: usize) -> Option<String> {
    value.filter(|value| !value.is_empty()).map(|mut value| {
        if value.len() > max {
            let mut end = max;
            while !value.is_char_boundary(end) {
                end -= 1;
            }
            value.truncate(end);
        }
        value
    })
}

#[utoipa::path(post, path = "/internal/sessions", tag = "internal", security(("internal" = [])), request_body = CreateSessionRequest,
    responses((status = 201, description = "The new session", body = SessionRecord), (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"), (status = 401, description = "Missing or wrong internal API token", body = Problem, content_type = "application/problem+json"), (status = 503, description = "The session store is unavailable", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(level = "debug", name = "create session", skip_all, fields(user_id = %body.0.user_id))]
pub async fn create<S: SessionStore>(
    state: web::Data<AppState<S>>,
    body: ApiBody<CreateSessionRequest>,
) -> Result<HttpResponse, Error> {
    let request = body.0;
    let user_id: UserId = id_field("user_id", &request.user_id)?;
    bounded("username", &request.username, MAX_USERNAME_LENGTH)?;
    let ttl_seconds = ttl("ttl_seconds", request.ttl_seconds, MAX_TTL_SECONDS)?;
    if ttl_seconds == 0 {
        return Err(Error::BadRequest("ttl_seconds must be positive".into()));
    }
    let max_lifetime_seconds = max_lifetime(request.max_lifetime_seconds)?;
    let now = now();
    let session = NewSession {
        session_id: SessionId::generate(),
        refresh_hash: refresh_hash("refresh_hash", &request.refresh_hash)?,
        user_id,
        username: request.username,
        amr: request.amr,
        now,
        expires_at: now + ttl_seconds.min(max_lifetime_seconds),
        user_agent: truncated(request.user_agent, MAX_USER_AGENT_LENGTH),
        ip: truncated(request.ip, MAX_IP_LENGTH),
    };
    let record = state.store.create(session).await?;
    tracing::info!(session_id = %record.session_id, "session opened");
    Ok(HttpResponse::Created().json(record))
}

#[utoipa::path(post, path = "/internal/sessions/rotate", tag = "internal", security(("internal" = [])), request_body = RotateRequest,
    responses((status = 200, description = "Rotated, or the same successor within the grace window", body = RotateResponse), (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"), (status = 401, description = "Missing or wrong internal API token", body = Problem, content_type = "application/problem+json"), (status = 401, description = "Unknown, expired or reused refresh token (reuse ends the session)", body = Problem, content_type = "application/problem+json"), (status = 503, description = "The session store is unavailable", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(level = "debug", name = "rotate refresh token", skip_all)]
pub async fn rotate<S: SessionStore>(
    state: web::Data<AppState<S>>,
    body: ApiBody<RotateRequest>,
) -> Result<HttpResponse, Error> {
    let request = body.0;
    let grace_seconds = ttl("grace_seconds", request.grace_seconds, MAX_GRACE_SECONDS)?;
    // Without a grace window the sealed successor would never be handed out: it is not kept.
    let sealed_successor = match request.sealed_successor {
        Some(sealed) if grace_seconds > 0 && !sealed.is_empty() && sealed.len() <= MAX_SEALED_LENGTH => Some(sealed),
        _ if grace_seconds > 0 => {
            return Err(Error::BadRequest("a grace window needs a sealed_successor of the right size".into()));
        }
        _ => None,
    };
    let rotation = Rotation {
        presented: refresh_ref(&request.user_id, &request.session_id, "presented_hash", &request.presented_hash)?,
        successor: refresh_hash("successor_hash", &request.successor_hash)?,
        sealed_successor,
        now: now(),
        ttl_seconds: ttl("ttl_seconds", request.ttl_seconds, MAX_TTL_SECONDS)?,
        max_lifetime_seconds: max_lifetime(request.max_lifetime_seconds)?,
        grace_seconds,
    };
    let response = match state.store.rotate(rotation).await? {
        RotationResult::Rotated(session) => {
            RotateResponse { outcome: RotateOutcome::Rotated, session, sealed_successor: None }
        }
        RotationResult::Grace { session, sealed_successor } => {
            RotateResponse { outcome: RotateOutcome::Grace, session, sealed_successor: Some(sealed_successor) }
        }
        RotationResult::Unknown => return Err(Error::RefreshRefused { reused: false }),
        RotationResult::Reused => {
            tracing::warn!("refresh token reuse detected; session ended");
            return Err(Error::RefreshRefused { reused: true });
        }
    };
    Ok(HttpResponse::Ok().json(response))
}

#[utoipa::path(post, path = "/internal/sessions/check", tag = "internal", security(("internal" = [])), request_body = CheckSessionRequest,
    responses((status = 200, description = "Whether the session is live and the jti unrevoked", body = CheckSessionResponse), (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"), (status = 401, description = "Missing or wrong internal API token", body = Problem, content_type = "application/problem+json"), (status = 503, description = "The session store is unavailable", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(level = "debug", name = "check session", skip_all)]
pub async fn check<S: SessionStore>(
    state: web::Data<AppState<S>>,
    body: ApiBody<CheckSessionRequest>,
) -> Result<HttpResponse, Error> {
    let request = body.0;
    let session_id: SessionId = id_field("session_id", &request.session_id)?;
    let user_id: UserId = id_field("user_id", &request.user_id)?;
    let jti: Jti = id_field("jti", &request.jti)?;
    let live = state.store.touch(&session_id, &user_id, &jti, now(), false).await?;
    Ok(HttpResponse::Ok().json(CheckSessionResponse { active: live.is_some() }))
}

#[utoipa::path(post, path = "/internal/sessions/lookup", tag = "internal", security(("internal" = [])), request_body = RefreshHashRequest,
    responses((status = 200, description = "The session whose current refresh token has this hash", body = SessionRecord), (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"), (status = 401, description = "Missing or wrong internal API token", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No live session has this current refresh token", body = Problem, content_type = "application/problem+json"), (status = 503, description = "The session store is unavailable", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(level = "debug", name = "look up refresh token", skip_all)]
pub async fn lookup<S: SessionStore>(
    state: web::Data<AppState<S>>,
    body: ApiBody<RefreshHashRequest>,
) -> Result<HttpResponse, Error> {
    let request = body.0;
    let refresh = refresh_ref(&request.user_id, &request.session_id, "refresh_hash", &request.refresh_hash)?;
    let record = state.store.find_by_refresh(&refresh, now()).await?.ok_or(Error::SessionNotFound)?;
    Ok(HttpResponse::Ok().json(record))
}

#[utoipa::path(post, path = "/internal/sessions/end", tag = "internal", security(("internal" = [])), request_body = RefreshHashRequest,
    responses((status = 200, description = "The session of this refresh token (current or rotated) ended", body = EndedSessions), (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"), (status = 401, description = "Missing or wrong internal API token", body = Problem, content_type = "application/problem+json"), (status = 503, description = "The session store is unavailable", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(level = "debug", name = "end session by refresh token", skip_all)]
pub async fn end_by_refresh<S: SessionStore>(
    state: web::Data<AppState<S>>,
    body: ApiBody<RefreshHashRequest>,
) -> Result<HttpResponse, Error> {
    let request = body.0;
    let refresh = refresh_ref(&request.user_id, &request.session_id, "refresh_hash", &request.refresh_hash)?;
    let invalidated = state.store.end_by_refresh(&refresh).await?;
    Ok(HttpResponse::Ok().json(EndedSessions { invalidated }))
}

#[utoipa::path(post, path = "/internal/revocations", tag = "internal", security(("internal" = [])), request_body = RevokeAccessRequest,
    responses((status = 200, description = "The access token is refused until it expires", body = RevokeAccessResponse), (status = 400, description = "Malformed body, a jti that is not a UUID, or an expires_at more than a year ahead", body = Problem, content_type = "application/problem+json"), (status = 401, description = "Missing or wrong internal API token", body = Problem, content_type = "application/problem+json"), (status = 503, description = "The session store is unavailable", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(level = "debug", name = "revoke access token", skip_all, fields(jti = %body.0.jti))]
pub async fn revoke_access<S: SessionStore>(
    state: web::Data<AppState<S>>,
    body: ApiBody<RevokeAccessRequest>,
) -> Result<HttpResponse, Error> {
    let request = body.0;
    let user_id: UserId = id_field("user_id", &request.user_id)?;
    let jti: Jti = id_field("jti", &request.jti)?;
    let now = now();
    // No access token lives longer than a session may: a later expiry is a caller's bug, and one near
    // i64::MAX would overflow the revocation's margin or be refused by Redis (a 503 for bad input).
    // A past expiry is fine: there is nothing left to refuse.
    if request.expires_at > now.saturating_add(MAX_TTL_SECONDS) {
        return Err(Error::BadRequest(format!("expires_at must be at most {MAX_TTL_SECONDS} seconds from now")));
    }
    state.store.revoke_access(&user_id, &jti, request.expires_at, now).await?;
    Ok(HttpResponse::Ok().json(RevokeAccessResponse { revoked: true }))
}

#[utoipa::path(post, path = "/internal/users/{user_id}/sessions/invalidate", tag = "internal", security(("internal" = [])),
    params(("user_id" = String, Path, description = "The user's id (a UUID, the access tokens' `sub`)")),
    responses((status = 200, description = "Every session of the user ended", body = EndedSessions), (status = 400, description = "The user id is not a UUID", body = Problem, content_type = "application/problem+json"), (status = 401, description = "Missing or wrong internal API token", body = Problem, content_type = "application/problem+json"), (status = 503, description = "The session store is unavailable", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(level = "debug", name = "end user sessions", skip(state))]
pub async fn end_user_sessions<S: SessionStore>(
    state: web::Data<AppState<S>>,
    user_id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let user_id: UserId = id_field("user_id", &user_id)?;
    let invalidated = state.store.end_all(&user_id).await?;
    Ok(HttpResponse::Ok().json(EndedSessions { invalidated }))
}
