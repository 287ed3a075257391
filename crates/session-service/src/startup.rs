//! Builds the session service: picks the store, loads the verification keys, binds the listener and
//! registers every route. Tests start it on port 0 exactly as `main` does.

use crate::jwks_cache::KeyCache;
use crate::metrics::SessionMetrics;
use crate::openapi;
use crate::routes::{health, internal, invalidate, list, status, verify};
use crate::settings::{KeySource, Settings};
use crate::state::AppState;
use crate::store::SessionStore;
use crate::store::memory_store::MemorySessionStore;
use crate::store::redis_store::RedisSessionStore;
use crate::verified_tokens::VerifiedTokens;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use actix_web_prom::PrometheusMetrics;
use anyhow::Context;
use auth_jwt::verify::TokenVerifier;
use redis_kit::{RedisMetrics, RedisPool, RedisTimeouts};
use secrecy::ExposeSecret;
use service_kit::health::healthz;
use service_kit::http_app::{no_store, not_found};
use service_kit::internal_auth::require_internal_token;
use service_kit::metrics::http_metrics;
use service_kit::settings::InternalApiToken;
use service_kit::shutdown::{GracefulServer, Lifecycle, readiness_gate};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

pub struct Application {
    local_addr: SocketAddr,
    server: GracefulServer,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("local_addr", &self.local_addr).finish_non_exhaustive()
    }
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let keys = Arc::new(match &settings.key_source {
            KeySource::SharedSecret(secret) => {
                KeyCache::from_secret(secret.expose_secret().as_bytes()).context("SECRET_KEY is not a usable key")?
            }
            KeySource::Jwks { url } => KeyCache::remote(url, settings.algorithm)?,
        });
        keys.spawn_periodic_refresh();
        let verifier = TokenVerifier::new(settings.algorithm, &settings.issuer, &settings.audience);
        let registry = prometheus::Registry::new();
        let metrics = SessionMetrics::register(&registry)?;
        match &settings.redis_url {
            Some(url) => {
                let pool = RedisPool::new(url, RedisTimeouts::default())
                    .context("REDIS_URL is not a Redis URL")?
                    .with_metrics(RedisMetrics::register(&registry)?);
                let store = RedisSessionStore::new(pool);
                let state = AppState { store, keys, verifier, verified: VerifiedTokens::default(), metrics };
                Self::start(&settings, state, &registry)
            }
            None => {
                let store = MemorySessionStore::new();
                let state = AppState { store, keys, verifier, verified: VerifiedTokens::default(), metrics };
                Self::start(&settings, state, &registry)
            }
        }
    }

    fn start<S: SessionStore>(
        settings: &Settings,
        state: AppState<S>,
        registry: &prometheus::Registry,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.common.listen_addr)
            .with_context(|| format!("cannot listen on {}", settings.common.listen_addr))?;
        let local_addr = listener.local_addr()?;
        let state = web::Data::new(state);
        let internal_token = web::Data::new(settings.common.internal_api_token.clone());
        let lifecycle = Lifecycle::default();
        let lifecycle_data = web::Data::new(lifecycle.clone());
        let metrics = http_metrics("session", registry)?;
        let server = HttpServer::new(move || {
            app::<S>(state.clone(), internal_token.clone(), metrics.clone()).app_data(lifecycle_data.clone())
        })
        .disable_signals()
        .shutdown_timeout(settings.common.shutdown.timeout_seconds())
        .listen(listener)?
        .run();
        tracing::info!(%local_addr, "session-service listening");
        Ok(Self { local_addr, server: GracefulServer::new(server, lifecycle, settings.common.shutdown) })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// Serves until SIGTERM/SIGINT, then drains: see `service_kit::shutdown`.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.run_until_stopped().await
    }
}

fn app<S: SessionStore>(
    state: web::Data<AppState<S>>,
    internal_token: web::Data<InternalApiToken>,
    metrics: PrometheusMetrics,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(from_fn(readiness_gate))
        .wrap(from_fn(no_store))
        .wrap(metrics)
        .wrap(tracing_actix_web::TracingLogger::default())
        .app_data(state)
        .app_data(internal_token)
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(health::readyz::<S>))
        .route("/openapi.json", web::get().to(openapi::openapi_json))
        .configure(service_kit::api_doc::docs_page)
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
        )
        .default_service(web::to(not_found))
}
