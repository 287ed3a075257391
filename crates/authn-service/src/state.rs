//! What every request handler shares: the stores, the hasher, the token client, SSO and the edge settings.
//! Generic over the two stores so that the Redis and in-memory variants are picked once, at start.

use crate::client_ip::TrustedProxies;
use crate::hashing::Hasher;
use crate::lockout::Lockout;
use crate::metrics::AuthnMetrics;
use crate::oidc::Sso;
use crate::rate_limit::RateLimiter;
use auth_client::TokenClient;
use redis_kit::RedisPool;

#[derive(Debug)]
pub struct AppState<U, F> {
    pub users: U,
    pub lockout: Lockout<F>,
    pub hasher: Hasher,
    pub tokens: TokenClient,
    pub trusted_proxies: TrustedProxies,
    pub allow_registration: bool,
    /// `RATE_LIMIT_PER_MINUTE` on `/register` and `/oauth/login`.
    pub rate_limit: RateLimiter,
    /// Single sign-on: the OpenID Connect providers (none when SSO is off).
    pub sso: Sso,
    /// The pool behind the Redis stores, for `/readyz`; `None` with the in-memory stores.
    pub redis: Option<RedisPool>,
    pub metrics: AuthnMetrics,
}
