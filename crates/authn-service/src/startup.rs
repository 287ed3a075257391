//! Building and running the HTTP server: the listener, the stores chosen by the settings, and every route.
//!
//! [`Application::build`] binds its own listener (port 0 picks a free port, for tests) and reports the
//! address; [`Application::run_until_stopped`] serves until SIGINT/SIGTERM. With `REDIS_URL` set, users,
//! login counters and SSO logins in progress live in Redis; without it (dev only, enforced by the
//! settings) they live in memory.

use crate::app_state::AppState;
use crate::error::Error;
use crate::hashing::Hasher;
use crate::lockout::memory_store::MemoryFailureStore;
use crate::lockout::redis_store::RedisFailureStore;
use crate::lockout::{FailureStore, Lockout};
use crate::metrics::AuthnMetrics;
use crate::oidc::Sso;
use crate::oidc::flow_state::{FlowStates, MemoryFlowStateStore, RedisFlowStateStore};
use crate::routes::{health, login, oauth, post_only, register};
use crate::settings::Settings;
use crate::users::UserStore;
use crate::users::memory_store::MemoryUserStore;
use crate::users::redis_store::RedisUserStore;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use auth_client::{PeerMetrics, PeerTimeouts, TokenClient};
use redis_kit::{RedisMetrics, RedisPool, RedisTimeouts};
use secrecy::ExposeSecret;
use service_kit::metrics::MetricsError;
use service_kit::settings::SettingsError;
use service_kit::shutdown::{GracefulServer, Lifecycle, ShutdownPolicy, readiness_gate};
use std::fmt;
use std::net::{SocketAddr, TcpListener};
use tracing_actix_web::TracingLogger;

/// A bound, ready-to-run authn server.
pub struct Application {
    local_addr: SocketAddr,
    server: GracefulServer,
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Application").field("local_addr", &self.local_addr).finish_non_exhaustive()
    }
}

impl Application {
    /// Binds `settings.common.listen_addr` and prepares the server; nothing is served until
    /// [`Application::run_until_stopped`]. Redis is not contacted here: the service starts (and reports
    /// not ready) while Redis is down.
    pub async fn build(settings: Settings) -> Result<Self, Error> {
        let addr = settings.common.listen_addr;
        let listener = TcpListener::bind(addr).map_err(|source| Error::Bind { addr, source })?;
        let local_addr = listener.local_addr().map_err(|source| Error::Bind { addr, source })?;
        let registry = prometheus::Registry::new();
        let metrics = AuthnMetrics::register(&registry).map_err(MetricsError::from)?;
        let hasher = Hasher::new(&settings.hashing).await?.with_metrics(metrics.hashing());
        let tokens = TokenClient::new(
            &settings.token_service_url,
            settings.common.internal_api_token.expose(),
            PeerTimeouts::default(),
        )?
        .with_metrics(PeerMetrics::register(&registry).map_err(MetricsError::from)?);
        let shutdown = settings.common.shutdown;
        let server = match &settings.redis_url {
            Some(url) => {
                let pool = RedisPool::new(url.expose_secret(), RedisTimeouts::default())
                    .map_err(|_| SettingsError::new("REDIS_URL", "is malformed"))?
                    .with_metrics(RedisMetrics::register(&registry).map_err(MetricsError::from)?);
                let state = AppState {
                    users: RedisUserStore::new(pool.clone()),
                    lockout: Lockout::new(RedisFailureStore::new(pool.clone()), settings.lockout),
                    hasher,
                    tokens,
                    trusted_proxies: settings.trusted_proxies.clone(),
                    allow_registration: settings.allow_registration,
                    sso: Sso::new(&settings.oidc, FlowStates::Redis(RedisFlowStateStore::new(pool.clone())))?,
                    redis: Some(pool),
                    metrics,
                };
                serve(listener, local_addr, state, &registry, shutdown)?
            }
            None => {
                let state = AppState {
                    users: MemoryUserStore::default(),
                    lockout: Lockout::new(MemoryFailureStore::default(), settings.lockout),
                    hasher,
                    tokens,
                    trusted_proxies: settings.trusted_proxies.clone(),
                    allow_registration: settings.allow_registration,
                    sso: Sso::new(&settings.oidc, FlowStates::Memory(MemoryFlowStateStore::default()))?,
                    redis: None,
                    metrics,
                };
                serve(listener, local_addr, state, &registry, shutdown)?
            }
        };
        Ok(Self { local_addr, server })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// Serves until SIGTERM/SIGINT, then drains: see `service_kit::shutdown`.
    pub async fn run_until_stopped(self) -> Result<(), Error> {
        self.server.run_until_stopped().await.map_err(Error::Server)
    }
}

/// Every route of the service, over the stores the settings picked.
fn serve<U: UserStore, F: FailureStore>(
    listener: TcpListener,
    addr: SocketAddr,
    state: AppState<U, F>,
    registry: &prometheus::Registry,
    shutdown: ShutdownPolicy,
) -> Result<GracefulServer, Error> {
    let state = web::Data::new(state);
    let metrics = service_kit::metrics::http_metrics("authn", registry)?;
    let lifecycle = Lifecycle::default();
    let lifecycle_data = web::Data::new(lifecycle.clone());
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(readiness_gate))
            .wrap(from_fn(service_kit::http_app::no_store))
            .wrap(metrics.clone())
            .wrap(TracingLogger::default())
            .app_data(state.clone())
            .app_data(lifecycle_data.clone())
            .service(
                web::resource("/register")
                    .route(web::post().to(register::register::<U, F>))
                    .default_service(web::to(post_only)),
            )
            .service(
                web::resource("/login").route(web::post().to(login::login::<U, F>)).default_service(web::to(post_only)),
            )
            .route("/oauth/login", web::get().to(oauth::login::<U, F>))
            .route("/oauth/callback", web::get().to(oauth::callback::<U, F>))
            .route("/healthz", web::get().to(service_kit::health::healthz))
            .route("/readyz", web::get().to(health::readyz::<U, F>))
            .route("/openapi.json", web::get().to(crate::openapi::openapi_json))
            .configure(service_kit::api_doc::docs_page)
            .default_service(web::to(service_kit::http_app::not_found))
    })
    .disable_signals()
    .shutdown_timeout(shutdown.timeout_seconds())
    .listen(listener)
    .map_err(|source| Error::Bind { addr, source })?
    .run();
    Ok(GracefulServer::new(server, lifecycle, shutdown))
}
