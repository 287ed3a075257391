//! The hot path of every request behind the gateway: the bearer token is verified locally (cached keys,
//! algorithm pinned; a token verified moments ago skips the signature check), then one store round trip
//! checks that its session is alive, belongs to its subject, and that its jti is not revoked. The ids the
//! token carries are parsed here, once: a token whose `sub`, `sid` or `jti` is malformed is refused (401).

use crate::domain::jti::Jti;
use crate::domain::session_id::SessionId;
use crate::domain::user_id::UserId;
use crate::error::Error;
use crate::state::AppState;
use crate::store::{LiveSession, SessionStore};
use actix_web::HttpRequest;
use auth_jwt::verify::VerifyError;
use auth_proto::claims::AccessClaims;
use auth_proto::clock;
use service_kit::bearer::bearer_token;
use std::sync::Arc;

/// A request whose access token is valid and whose session is live.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub claims: Arc<AccessClaims>,
    /// The token's `sub`.
    pub user_id: UserId,
    /// The token's `sid`.
    pub session_id: SessionId,
    pub session: LiveSession,
}

pub async fn authenticate<S: SessionStore>(req: &HttpRequest, state: &AppState<S>) -> Result<Authenticated, Error> {
    let token = bearer_token(req)?;
    let now = clock::now();
    let key_generation = state.keys.generation();
    let claims = match state.verified.get(token, key_generation, now) {
        Some(claims) => claims,
        None => {
            let claims = Arc::new(verify_token(state, token).await?);
            state.verified.insert(token, Arc::clone(&claims), key_generation);
            claims
        }
    };
    let user_id = UserId::parse(&claims.sub).ok_or(Error::InvalidToken("sub is not a user id"))?;
    let session_id = SessionId::parse(&claims.sid).ok_or(Error::InvalidToken("sid is not a session id"))?;
    let jti = Jti::parse(&claims.jti).ok_or(Error::InvalidToken("jti is not a token id"))?;
    let session = state
        .store
        .touch(&session_id, &user_id, &jti, now, true)
        .await?
        .ok_or(Error::InvalidToken("the session has ended or the token was revoked"))?;
    Ok(Authenticated { claims, user_id, session_id, session })
}

/// Verifies signature and claims; an unknown `kid` re-fetches the JWKS once before giving up.
pub async fn verify_token<S>(state: &AppState<S>, token: &str) -> Result<AccessClaims, Error> {
    match state.verifier.verify(token, &state.keys.current()) {
        Ok(claims) => Ok(claims),
        Err(VerifyError::UnknownKey { .. }) => {
            if let Err(error) = state.keys.refresh_rate_limited().await {
                if !state.keys.is_loaded() {
                    return Err(Error::KeysUnavailable(error.to_string()));
                }
                tracing::warn!(%error, "JWKS re-fetch for an unknown kid failed");
            }
            state.verifier.verify(token, &state.keys.current()).map_err(refusal)
        }
        Err(error) => Err(refusal(error)),
    }
}

fn refusal(error: VerifyError) -> Error {
    Error::InvalidToken(match error {
        VerifyError::Malformed => "malformed",
        VerifyError::UnknownKey { .. } => "unknown signing key",
        VerifyError::Expired => "expired",
        VerifyError::Rejected(reason) => reason,
    })
}
