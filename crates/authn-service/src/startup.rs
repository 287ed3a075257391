//! Building and running the HTTP server: the stores chosen by the settings, the hasher, the token
//! client, single sign-on, and every route.
//!
//! [`Application::build`] binds its own listener (port 0 picks a free port, for tests) and reports the
//! address; [`Application::run_until_stopped`] serves until SIGINT/SIGTERM. With `REDIS_URL` set, users,
//! login counters and SSO logins in progress live in Redis; without it (dev only, enforced by the
//! settings) they live in memory. Redis is not contacted here: the service starts (and reports not
//! ready) while Redis is down; the one-time rename of the first release's account keys
//! ([`migrate_layout`]) runs in the background, retrying until Redis answers. The shared stack and operations routes come from `service_kit::server`.

use crate::error::Error;
use crate::hashing::Hasher;
use crate::lockout::memory_store::MemoryFailureStore;
use crate::lockout::redis_store::RedisFailureStore;
use crate::lockout::{FailureStore, Lockout};
use crate::metrics::AuthnMetrics;
use crate::oidc::Sso;
use crate::oidc::flow_state::{FlowStates, MemoryFlowStateStore, RedisFlowStateStore};
use crate::rate_limit::RateLimiter;
use crate::routes::{health, login, oauth, register};
use crate::settings::Settings;
use crate::state::AppState;
use crate::users::UserStore;
use crate::users::memory_store::MemoryUserStore;
use crate::users::redis_store::{RedisUserStore, migrate_layout};
use actix_web::middleware::from_fn;
use actix_web::web;
use auth_client::{PeerMetrics, PeerTimeouts, TokenClient};
use redis_kit::{RedisMetrics, RedisPool, RedisTimeouts};
use service_kit::http_app::post_only;
use service_kit::oauth_errors::oauth_error_members;
use service_kit::server::{HttpService, ServiceName, StartError};
use std::net::SocketAddr;
use std::time::Duration;

/// The binary's name, in logs and messages.
pub const SERVICE: ServiceName = ServiceName { binary: "authn-service", metrics_namespace: "authn" };

/// A bound, ready-to-run authn server.
#[derive(Debug)]
pub struct Application {
    service: HttpService,
}

impl Application {
    /// Binds `settings.common.listen_addr` and prepares the server; nothing is served until
    /// [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> Result<Self, Error> {
        let registry = prometheus::Registry::new();
        let metrics = AuthnMetrics::register(&registry).map_err(StartError::from)?;
        let hasher = Hasher::new(&settings.hashing).await?.with_metrics(metrics.hashing());
        let tokens = TokenClient::new(
            settings.token_service_url.as_str(),
            settings.common.internal_api_token.expose(),
            PeerTimeouts::default(),
        )?
        .with_metrics(PeerMetrics::register(&registry).map_err(StartError::from)?);
        let service = match &settings.redis_url {
            Some(url) => {
                let pool = RedisPool::new(url, RedisTimeouts::default())
                    .map_err(|error| StartError::dependency("the Redis pool", error))?
                    .with_metrics(RedisMetrics::register(&registry).map_err(StartError::from)?);
                tokio::spawn(migrate_in_background(pool.clone()));
                let state = AppState {
                    users: RedisUserStore::new(pool.clone()),
                    lockout: Lockout::new(RedisFailureStore::new(pool.clone()), settings.lockout),
                    hasher,
                    tokens,
                    trusted_proxies: settings.trusted_proxies.clone(),
                    allow_registration: settings.allow_registration,
                    rate_limit: RateLimiter::redis(pool.clone(), settings.rate_limit_per_minute),
                    sso: Sso::new(&settings.oidc, FlowStates::Redis(RedisFlowStateStore::new(pool.clone())))?,
                    redis: Some(pool),
                    metrics,
                };
                serve(&settings, state, &registry)?
            }
            None => {
                let state = AppState {
                    users: MemoryUserStore::default(),
                    lockout: Lockout::new(MemoryFailureStore::default(), settings.lockout),
                    hasher,
                    tokens,
                    trusted_proxies: settings.trusted_proxies.clone(),
                    allow_registration: settings.allow_registration,
                    rate_limit: RateLimiter::memory(settings.rate_limit_per_minute),
                    sso: Sso::new(&settings.oidc, FlowStates::Memory(MemoryFlowStateStore::default()))?,
                    redis: None,
                    metrics,
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

/// Renames the first release's account keys once Redis answers (see [`migrate_layout`]).
async fn migrate_in_background(pool: RedisPool) {
    loop {
        match migrate_layout(&pool).await {
            Ok(0) => return,
            Ok(renamed) => {
                tracing::info!(renamed, "account keys renamed to the Cluster-ready layout");
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "account keys not migrated yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Every route of the service, over the stores the settings picked.
fn serve<U: UserStore, F: FailureStore>(
    settings: &Settings,
    state: AppState<U, F>,
    registry: &prometheus::Registry,
) -> Result<HttpService, StartError> {
    let state = web::Data::new(state);
    HttpService::start(SERVICE, &settings.common, registry, crate::openapi::rendered(), move |config| {
        config
            .app_data(state.clone())
            .route("/readyz", web::get().to(health::readyz::<U, F>))
            .service(
                web::resource("/register")
                    .route(web::post().to(register::register::<U, F>))
                    .default_service(web::to(post_only)),
            )
            .service(
                web::resource("/login")
                    .wrap(from_fn(oauth_error_members))
                    .route(web::post().to(login::login::<U, F>))
                    .default_service(web::to(post_only)),
            )
            .route("/oauth/login", web::get().to(oauth::login::<U, F>))
            .service(
                web::resource("/oauth/callback")
                    .wrap(from_fn(oauth_error_members))
                    .route(web::get().to(oauth::callback::<U, F>)),
            );
    })
}
