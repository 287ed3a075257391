//! `POST /internal/tokens` (authn only): open a session for an authenticated user and mint its tokens.

use crate::domain::refresh_token::{RefreshSecret, RefreshToken};
use crate::error::Error;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use auth_proto::clock::now;
use auth_proto::internal::{CreateSessionRequest, MintRequest};
use auth_proto::problem::Problem;
use auth_proto::public::TokenResponse;
use service_kit::body::ApiBody;

#[utoipa::path(post, path = "/internal/tokens", tag = "internal", security(("internal" = [])), request_body = MintRequest,
    responses(
        (status = 200, description = "A new session and its tokens", body = TokenResponse),
        (status = 400, description = "Malformed body, or a user_id that is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong internal API token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The session service is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", name = "mint tokens", skip_all, fields(user_id = %body.0.user_id))]
pub async fn mint(state: web::Data<AppState>, body: ApiBody<MintRequest>) -> Result<HttpResponse, Error> {
    let request = body.0;
    if request.user_id.is_empty() || request.username.is_empty() || request.amr.is_empty() {
        return Err(Error::BadRequest("user_id, username and amr are required".into()));
    }
    // The session service keys sessions by the canonical form of the id; it is parsed here, at token's
    // edge, so that a malformed one is this caller's 400 rather than a refusal from session (a 500 here).
    let user_id = super::parse_user_id(&request.user_id)?;
    // The token names its session, which does not exist yet: the session is opened with the hash of the
    // random part, and the token is put together from the ids it comes back with.
    let secret = RefreshSecret::generate()?;
    let session = state
        .sessions
        .create(&CreateSessionRequest {
            user_id: user_id.hyphenated().to_string(),
            username: request.username,
            amr: request.amr,
            refresh_hash: secret.hash(),
            ttl_seconds: state.refresh_ttl_seconds,
            max_lifetime_seconds: state.max_lifetime_seconds,
            user_agent: request.user_agent,
            ip: request.ip,
        })
        .await?;
    let session_id = uuid::Uuid::parse_str(&session.session_id)
        .map_err(|_| Error::UnexpectedAnswer("the session service named a session that is not a UUID"))?;
    let refresh_token = RefreshToken::new(user_id, session_id, secret);
    let response = state.minter.token_response(&session, refresh_token, now())?;
    Ok(HttpResponse::Ok().json(response))
}
