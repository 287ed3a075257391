//! What every handler shares: the store, the verification keys, the verifier and its cache.

use crate::jwks_cache::KeyCache;
use crate::metrics::SessionMetrics;
use crate::verified_tokens::VerifiedTokens;
use auth_jwt::verify::TokenVerifier;
use std::sync::Arc;

#[derive(Debug)]
pub struct AppState<S> {
    pub store: S,
    pub keys: Arc<KeyCache>,
    pub verifier: TokenVerifier,
    pub verified: VerifiedTokens,
    pub metrics: SessionMetrics,
}
