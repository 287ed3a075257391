//! What every handler shares.

use crate::keyring::SharedKeyRing;
use crate::metrics::TokenMetrics;
use crate::minting::Minter;
use auth_client::SessionClient;
use auth_jwt::verified_tokens::VerifiedTokens;
use auth_jwt::verify::TokenVerifier;
use std::sync::Arc;

#[derive(Debug)]
pub struct AppState {
    /// The ring in force; `load()` it once per request.
    pub keys: Arc<SharedKeyRing>,
    pub minter: Minter,
    pub verifier: TokenVerifier,
    /// Access tokens introspected moments ago, so that introspecting one again skips the signature check.
    pub verified: VerifiedTokens,
    pub issuer: String,
    pub audience: String,
    pub sessions: SessionClient,
    pub refresh_ttl_seconds: i64,
    /// `SESSION_MAX_LIFETIME_MINUTES`: the session service caps every session at its creation plus this,
    /// and `refresh_expires_in` comes from the capped `expires_at` it answers with.
    pub max_lifetime_seconds: i64,
    pub reuse_grace_seconds: i64,
    pub metrics: TokenMetrics,
}
