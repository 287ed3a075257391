//! What every handler shares: the store, the verification keys, the verifier and its cache.

use crate::jwks_cache::KeyCache;
use crate::metrics::SessionMetrics;
use auth_jwt::verified_tokens::VerifiedTokens;
use auth_jwt::verify::TokenVerifier;
use redis_kit::RedisPool;
use std::sync::Arc;

#[derive(Debug)]
pub struct AppState<S> {
    pub store: S,
    pub keys: Arc<KeyCache>,
    pub verifier: TokenVerifier,
    pub verified: VerifiedTokens,
    pub metrics: SessionMetrics,
    /// The pool behind a Redis store, for the topology `/readyz` reports; `None` with the memory store.
    pub redis: Option<RedisPool>,
}
