//! Building and running the HTTP server: the store chosen by the settings, the verification keys, and
//! every route.
//!
//! [`Application::build`] binds its own listener (port 0 picks a free port, for tests) and reports the
//! address; [`Application::run_until_stopped`] serves until SIGINT/SIGTERM. With `REDIS_URL` set,
//! sessions live in Redis; without it (dev only, enforced by the settings) they live in memory. The
//! shared stack and operations routes come from `service_kit::server`.

use crate::error::Error;
use crate::jwks_cache::KeyCache;
use crate::metrics::SessionMetrics;
use crate::routes::{health, internal, invalidate, list, status, verify};
use crate::settings::{KeySource, Settings};
use crate::state::AppState;
use crate::store::SessionStore;
use crate::store::memory_store::MemorySessionStore;
use crate::store::redis_store::RedisSessionStore;
use actix_web::middleware::from_fn;
use actix_web::web;
use auth_jwt::verified_tokens::VerifiedTokens;
use auth_jwt::verify::TokenVerifier;
use redis_kit::{RedisMetrics, RedisPool, RedisTimeouts};
use secrecy::ExposeSecret;
use service_kit::internal_auth::require_internal_token;
use service_kit::server::{HttpService, ServiceName, StartError};
use std::net::SocketAddr;
use std::sync::Arc;

/// The binary's name, in logs and messages.
pub const SERVICE: ServiceName = ServiceName { binary: "session-service", metrics_namespace: "session" };

/// A bound, ready-to-run session server.
#[derive(Debug)]
pub struct Application {
    service: HttpService,
}

impl Application {
    /// Binds `settings.common.listen_addr` and prepares the server; nothing is served until
    /// [`Application::run_until_stopped`]. Neither Redis nor the JWKS is contacted here: the service
    /// starts (and reports not ready) while they are down.
    pub async fn build(settings: Settings) -> Result<Self, Error> {
        let registry = prometheus::Registry::new();
        let metrics = SessionMetrics::register(&registry).map_err(StartError::from)?;
        let keys = Arc::new(
            match &settings.key_source {
                KeySource::SharedSecret(secret, _) => KeyCache::from_secret(secret.expose_secret().as_bytes())
                    .map_err(|error| StartError::dependency("the HS256 key", error))?,
                KeySource::Jwks { url } => KeyCache::remote(url.as_str(), settings.algorithm)
                    .map_err(|error| StartError::dependency("the JWKS client", error))?,
            }
            .with_fetch_metrics(metrics.jwks_fetches()),
        );
        keys.spawn_periodic_refresh();
        let secret_file = match &settings.key_source {
            KeySource::SharedSecret(_, file) => file.clone(),
            KeySource::Jwks { .. } => None,
        };
        crate::secret_reload::spawn_on_sighup(Arc::clone(&keys), secret_file)
            .map_err(|error| StartError::dependency("the SIGHUP secret reload", error))?;
        let verifier = TokenVerifier::new(settings.algorithm, &settings.issuer, &settings.audience);
        let service = match &settings.redis_url {
            Some(url) => {
                let pool = RedisPool::new(url, RedisTimeouts::default())
                    .map_err(|error| StartError::dependency("the Redis pool", error))?
                    .with_metrics(RedisMetrics::register(&registry).map_err(StartError::from)?);
                let state = AppState {
                    store: RedisSessionStore::new(pool.clone(), settings.max_sessions_per_user),
                    keys,
                    verifier,
                    verified: VerifiedTokens::default(),
                    metrics,
                    redis: Some(pool),
                };
                serve(&settings, state, &registry)?
            }
            None => {
                let state = AppState {
                    store: MemorySessionStore::new(settings.max_sessions_per_user),
                    keys,
                    verifier,
                    verified: VerifiedTokens::default(),
                    metrics,
                    redis: None,
                };
                serve(&settings, state, &registry)?
            }
        };
        Ok(Self { service })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.service.local_addr()
    }

    /// Serves until SIGTERM/SIGINT, then drains: see `service_kit::shutdown`.
    pub async fn run_until_stopped(self) -> Result<(), Error> {
        self.service.run_until_stopped().await.map_err(Error::Serve)
    }
}

/// Every route of the service, over the store the settings picked.
fn serve<S: SessionStore>(
    settings: &Settings,
    state: AppState<S>,
    registry: &prometheus::Registry,
) -> Result<HttpService, StartError> {
    let state = web::Data::new(state);
    let internal_token = web::Data::new(settings.common.internal_api_token.clone());
    HttpService::start(SERVICE, &settings.common, registry, crate::openapi::rendered(), move |config| {
        config
            .app_data(state.clone())
            .app_data(internal_token.clone())
            .route("/readyz", web::get().to(health::readyz::<S>))
            .route("/session/status", web::get().to(status::status::<S>))
            .route("/session/list", web::get().to(list::list::<S>))
            .route("/session/invalidate", web::post().to(invalidate::invalidate::<S>))
            .route("/session/verify", web::to(verify::verify::<S>))
            .route("/session/verify/{tail:.*}", web::to(verify::verify::<S>))
            .service(
                web::scope("/internal")
                    .wrap(from_fn(require_internal_token))
                    .route("/sessions", web::post().to(internal::create::<S>))
                    .route("/sessions/rotate", web::post().to(internal::rotate::<S>))
                    .route("/sessions/check", web::post().to(internal::check::<S>))
                    .route("/sessions/lookup", web::post().to(internal::lookup::<S>))
                    .route("/sessions/end", web::post().to(internal::end_by_refresh::<S>))
                    .route("/revocations", web::post().to(internal::revoke_access::<S>))
                    .route("/users/{user_id}/sessions/invalidate", web::post().to(internal::end_user_sessions::<S>)),
            );
    })
}
