//! `POST /token/introspect` (RFC 7662), for resource servers holding the internal API token or client
//! credentials from `INTROSPECTION_CREDENTIALS` (checked by `crate::introspection_auth`). Active means: signature and claims valid, session live, jti not revoked; or,
//! for a refresh token, that it is its session's current one.

use super::looks_like_jwt;
use crate::domain::refresh_token::RefreshToken;
use crate::error::Error;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use auth_proto::claims::AccessClaims;
use auth_proto::clock;
use auth_proto::internal::CheckSessionRequest;
use auth_proto::problem::Problem;
use auth_proto::public::{IntrospectResponse, TokenRequest};
use service_kit::body::ApiBody;
use std::sync::Arc;

#[utoipa::path(post, path = "/token/introspect", tag = "token", security(("internal" = []), ("introspection_client" = [])), request_body(content((TokenRequest = "application/json"), (TokenRequest = "application/x-www-form-urlencoded"))),
    description = "RFC 7662, for holders of the internal API token or of client credentials from INTROSPECTION_CREDENTIALS (HTTP Basic, the id and secret form-encoded as RFC 6749 §2.3.1 has it, or as they are).",
    responses(
        (status = 200, description = "Whether the token is active, and its claims when it is", body = IntrospectResponse),
        (status = 400, description = "Malformed body (error invalid_request)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Neither the internal API token nor valid client credentials (error invalid_client; WWW-Authenticate: Bearer and Basic realm=\"auth-platform\")", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The session service is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", name = "introspect token", skip_all)]
pub async fn introspect(state: web::Data<AppState>, body: ApiBody<TokenRequest>) -> Result<HttpResponse, Error> {
    let token = body.0.token;
    let answer = if looks_like_jwt(&token) {
        introspect_access(&state, &token).await?
    } else if let Some(refresh_token) = RefreshToken::parse(&token) {
        introspect_refresh(&state, &refresh_token).await?
    } else {
        IntrospectResponse::default()
    };
    Ok(HttpResponse::Ok().json(answer))
}

async fn introspect_access(state: &AppState, token: &str) -> Result<IntrospectResponse, Error> {
    let Some(claims) = verified_claims(state, token) else {
        return Ok(IntrospectResponse::default());
    };
    let check =
        CheckSessionRequest { session_id: claims.sid.clone(), user_id: claims.sub.clone(), jti: claims.jti.clone() };
    if !state.sessions.check(&check).await?.active {
        return Ok(IntrospectResponse::default());
    }
    Ok(IntrospectResponse {
        active: true,
        sub: Some(claims.sub.clone()),
        sid: Some(claims.sid.clone()),
        jti: Some(claims.jti.clone()),
        exp: Some(claims.exp),
        iat: Some(claims.iat),
        iss: Some(claims.iss.clone()),
        aud: Some(claims.aud.clone()),
        token_type: Some("access_token".to_owned()),
        username: Some(claims.preferred_username.clone()),
    })
}

/// The claims of a valid access token: remembered from an earlier introspection of the same token under
/// the same keys (a resource server asks about the token of every request it serves), or verified now.
fn verified_claims(state: &AppState, token: &str) -> Option<Arc<AccessClaims>> {
    let key_generation = state.keys.generation();
    let now = clock::now();
    if let Some(claims) = state.verified.get(token, key_generation, now) {
        return Some(claims);
    }
    let claims = Arc::new(state.verifier.verify(token, state.keys.load().verification()).ok()?);
    state.verified.insert(token, Arc::clone(&claims), key_generation);
    Some(claims)
}

async fn introspect_refresh(state: &AppState, token: &RefreshToken) -> Result<IntrospectResponse, Error> {
    let session = match state.sessions.lookup_refresh(&token.session_request()).await {
        Ok(session) => session,
        Err(error) if error.is_refused_with(404) => return Ok(IntrospectResponse::default()),
        Err(error) => return Err(error.into()),
    };
    Ok(IntrospectResponse {
        active: true,
        sub: Some(session.user_id),
        sid: Some(session.session_id),
        jti: None,
        exp: Some(session.expires_at),
        iat: Some(session.created_at),
        iss: Some(state.issuer.clone()),
        aud: Some(state.audience.clone()),
        token_type: Some("refresh_token".to_owned()),
        username: Some(session.username),
    })
}
