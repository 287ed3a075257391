//! What every handler shares: the store, the verification keys and the verifier.

use crate::jwks_cache::KeyCache;
use auth_jwt::verify::TokenVerifier;
use std::sync::Arc;

#[derive(Debug)]
pub struct AppState<S> {
    pub store: S,
    pub keys: Arc<KeyCache>,
    pub verifier: TokenVerifier,
}
