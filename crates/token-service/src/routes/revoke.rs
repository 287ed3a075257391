//! `POST /token/revoke` (RFC 7009). An access token is refused everywhere until it would have expired; a
//! refresh token ends its session. Any well-formed request gets 200, even for an unknown token, so the
//! answer reveals nothing about which tokens exist. Possession of the token is the authority to revoke it.

use super::looks_like_jwt;
use crate::domain::refresh_token::RefreshToken;
use crate::error::Error;
use crate::metrics::RevokedKind;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use auth_proto::internal::RevokeAccessRequest;
use auth_proto::problem::Problem;
use auth_proto::public::{RevokeResponse, TokenRequest};
use service_kit::body::ApiBody;

#[utoipa::path(post, path = "/token/revoke", tag = "token", request_body(content((TokenRequest = "application/json"), (TokenRequest = "application/x-www-form-urlencoded"))),
    description = "RFC 7009. An access token is refused until it expires; a refresh token ends its session.",
    responses(
        (status = 200, description = "Revoked, or nothing to revoke", body = RevokeResponse),
        (status = 400, description = "Malformed body or no token (error invalid_request)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB (error invalid_request)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The session service is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", name = "revoke token", skip_all)]
pub async fn revoke(state: web::Data<AppState>, body: ApiBody<TokenRequest>) -> Result<HttpResponse, Error> {
    let token = body.0.token;
    if token.is_empty() {
        return Err(Error::BadRequest("token is required".into()));
    }
    let revoked = if looks_like_jwt(&token) {
        // Only tokens this service signed and that are still valid need recording; anything else is inert.
        match state.verifier.verify(&token, state.keys.load().verification()) {
            Ok(claims) => {
                let request = RevokeAccessRequest { user_id: claims.sub, jti: claims.jti, expires_at: claims.exp };
                state.sessions.revoke_access(&request).await?;
                tracing::info!(session_id = %claims.sid, "access token revoked");
                RevokedKind::AccessToken
            }
            Err(_) => RevokedKind::Unknown,
        }
    } else if let Some(refresh_token) = RefreshToken::parse(&token) {
        let ended = state.sessions.end_by_refresh(&refresh_token.session_request()).await?;
        tracing::info!(ended = ended.invalidated, "refresh token revoked");
        if ended.invalidated > 0 { RevokedKind::RefreshToken } else { RevokedKind::Unknown }
    } else {
        RevokedKind::Unknown
    };
    state.metrics.record_revocation(revoked);
    Ok(HttpResponse::Ok().json(RevokeResponse {}))
}
