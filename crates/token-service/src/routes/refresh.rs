//! `POST /token/refresh`: rotate the refresh token and mint a new access token for the same session.
//! Reuse of a rotated token ends the session (the session service decides, atomically); within the
//! optional grace window the same successor comes back instead.

use crate::domain::refresh_token::RefreshToken;
use crate::error::Error;
use crate::metrics::RefreshOutcome;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use auth_proto::clock::now;
use auth_proto::internal::{RotateOutcome, RotateRequest};
use auth_proto::problem::Problem;
use auth_proto::public::RefreshRequest;
use auth_proto::public::TokenResponse;
use service_kit::body::GrantBody;

#[utoipa::path(post, path = "/token/refresh", tag = "token", request_body(content((RefreshRequest = "application/json"), (RefreshRequest = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "New access and refresh tokens for the same session", body = TokenResponse),
        (status = 400, description = "Malformed body (error invalid_request), or a grant_type other than refresh_token (error unsupported_grant_type, checked first)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token; reuse ends the session (error invalid_grant)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB (error invalid_request)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The session service is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", name = "refresh tokens", skip_all)]
pub async fn refresh(state: web::Data<AppState>, body: GrantBody<RefreshRequest>) -> Result<HttpResponse, Error> {
    // The grant type first (RFC 6749: it decides what else the request needs); a body that does not
    // parse is no refresh attempt and goes uncounted, as before the handler ran.
    let result = match (body.grant_type.as_deref(), body.body) {
        (Some(grant), _) if grant != "refresh_token" => Err(Error::UnsupportedGrantType),
        (_, Err(malformed)) => return Err(malformed.into()),
        (_, Ok(request)) => rotate(&state, request).await,
    };
    state.metrics.record_refresh(&result);
    let (response, _) = result?;
    Ok(HttpResponse::Ok().json(response))
}

/// Rotates the presented refresh token and mints the session's next tokens.
async fn rotate(state: &AppState, request: RefreshRequest) -> Result<(TokenResponse, RefreshOutcome), Error> {
    let presented = RefreshToken::parse(&request.refresh_token).ok_or(Error::RefreshRefused { reused: false })?;
    let successor = presented.successor()?;
    let rotation = RotateRequest {
        user_id: presented.user_id().hyphenated().to_string(),
        session_id: presented.session_id().hyphenated().to_string(),
        presented_hash: presented.hash(),
        successor_hash: successor.hash(),
        sealed_successor: (state.reuse_grace_seconds > 0).then(|| presented.seal(&successor)).transpose()?,
        ttl_seconds: state.refresh_ttl_seconds,
        max_lifetime_seconds: state.max_lifetime_seconds,
        grace_seconds: state.reuse_grace_seconds,
    };
    let rotated = state.sessions.rotate(&rotation).await.map_err(Error::from_rotation_failure)?;
    let (refresh_token, outcome) = match (rotated.outcome, rotated.sealed_successor) {
        (RotateOutcome::Rotated, _) => (successor, RefreshOutcome::Rotated),
        (RotateOutcome::Grace, Some(sealed)) => (
            presented.unseal(&sealed).map_err(|_| Error::RefreshRefused { reused: false })?,
            RefreshOutcome::GraceReplay,
        ),
        (RotateOutcome::Grace, None) => return Err(Error::RefreshRefused { reused: false }),
    };
    let response = state.minter.token_response(&rotated.session, refresh_token, now())?;
    Ok((response, outcome))
}
