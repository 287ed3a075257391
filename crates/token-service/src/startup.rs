//! Builds the token service: the key ring and minter, the session-service client, the listener and every
//! route. Tests start it on port 0 exactly as `main` does.

use crate::metrics::TokenMetrics;
use crate::minting::Minter;
use crate::openapi;
use crate::routes::{health, introspect, jwks, mint, refresh, revoke, users};
use crate::settings::Settings;
use crate::state::AppState;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use auth_client::{PeerMetrics, PeerTimeouts, SessionClient};
use auth_jwt::verify::TokenVerifier;
use service_kit::health::healthz;
use service_kit::http_app::{no_store, not_found};
use service_kit::internal_auth::require_internal_token;
use service_kit::metrics::http_metrics;
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
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let registry = prometheus::Registry::new();
        let sessions = SessionClient::new(
            &settings.session_service_url,
            settings.common.internal_api_token.expose(),
            PeerTimeouts::default(),
        )
        .context("SESSION_SERVICE_URL is not usable")?
        .with_metrics(PeerMetrics::register(&registry)?);
        let access_ttl = i64::try_from(settings.access_ttl.as_secs()).context("ACCESS_TOKEN_EXPIRE_MINUTES")?;
        let state = web::Data::new(AppState {
            minter: Minter::new(
                Arc::clone(&settings.keys),
                settings.issuer.clone(),
                settings.audience.clone(),
                access_ttl,
            ),
            verifier: TokenVerifier::new(settings.keys.algorithm(), &settings.issuer, &settings.audience),
            keys: Arc::clone(&settings.keys),
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            sessions,
            refresh_ttl_seconds: i64::try_from(settings.refresh_ttl.as_secs())
                .context("REFRESH_TOKEN_EXPIRE_MINUTES")?,
            reuse_grace_seconds: i64::try_from(settings.reuse_grace.as_secs())
                .context("REFRESH_REUSE_GRACE_SECONDS")?,
            metrics: TokenMetrics::register(&registry)?,
        });
        let lifecycle = Lifecycle::default();
        let lifecycle_data = web::Data::new(lifecycle.clone());
        let internal_token = web::Data::new(settings.common.internal_api_token.clone());
        let listener = TcpListener::bind(settings.common.listen_addr)
            .with_context(|| format!("cannot listen on {}", settings.common.listen_addr))?;
        let local_addr = listener.local_addr()?;
        let metrics = http_metrics("token", &registry)?;
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(readiness_gate))
                .wrap(from_fn(no_store))
                .wrap(metrics.clone())
                .wrap(tracing_actix_web::TracingLogger::default())
                .app_data(state.clone())
                .app_data(internal_token.clone())
                .app_data(lifecycle_data.clone())
                .route("/healthz", web::get().to(healthz))
                .route("/readyz", web::get().to(health::readyz))
                .route("/openapi.json", web::get().to(openapi::openapi_json))
                .configure(service_kit::api_doc::docs_page)
                .route("/.well-known/jwks.json", web::get().to(jwks::jwks))
                .route("/token/refresh", web::post().to(refresh::refresh))
                .route("/token/revoke", web::post().to(revoke::revoke))
                .service(
                    web::resource("/token/introspect")
                        .wrap(from_fn(require_internal_token))
                        .route(web::post().to(introspect::introspect)),
                )
                .service(
                    web::scope("/internal")
                        .wrap(from_fn(require_internal_token))
                        .route("/tokens", web::post().to(mint::mint))
                        .route("/users/{user_id}/sessions/invalidate", web::post().to(users::end_user_sessions)),
                )
                .default_service(web::to(not_found))
        })
        .disable_signals()
        .shutdown_timeout(settings.common.shutdown.timeout_seconds())
        .listen(listener)?
        .run();
        tracing::info!(%local_addr, "token-service listening");
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
