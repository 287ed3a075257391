//! Building and running the HTTP server: the key ring and minter, the session-service client, and
//! every route.
//!
//! [`Application::build`] binds its own listener (port 0 picks a free port, for tests) and reports the
//! address; [`Application::run_until_stopped`] serves until SIGINT/SIGTERM, re-reading its key files on
//! each SIGHUP (`key_reload`). The session service is not contacted here: the service starts while it is
//! down. The shared stack and operations routes come
//! from `service_kit::server`.

use crate::error::Error;
use crate::introspection_auth::require_introspection_client;
use crate::key_reload::KeyReloader;
use crate::keyring::SharedKeyRing;
use crate::metrics::TokenMetrics;
use crate::minting::Minter;
use crate::routes::{health, introspect, jwks, mint, refresh, revoke, users};
use crate::settings::Settings;
use crate::state::AppState;
use actix_web::middleware::from_fn;
use actix_web::web;
use auth_client::{PeerMetrics, PeerTimeouts, SessionClient};
use auth_jwt::verified_tokens::VerifiedTokens;
use auth_jwt::verify::TokenVerifier;
use service_kit::http_app::post_only;
use service_kit::internal_auth::require_internal_token;
use service_kit::oauth_errors::oauth_error_members;
use service_kit::server::{HttpService, ServiceName, StartError};
use std::net::SocketAddr;
use std::sync::Arc;

/// The binary's name, in logs and messages.
pub const SERVICE: ServiceName = ServiceName { binary: "token-service", metrics_namespace: "token" };

/// A bound, ready-to-run token server.
#[derive(Debug)]
pub struct Application {
    service: HttpService,
}

impl Application {
    /// Binds `settings.common.listen_addr` and prepares the server; nothing is served until
    /// [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> Result<Self, Error> {
        let registry = prometheus::Registry::new();
        let sessions = SessionClient::new(
            settings.session_service_url.as_str(),
            settings.common.internal_api_token.expose(),
            PeerTimeouts::default(),
        )
        .map_err(|error| StartError::dependency("the session service client", error))?
        .with_metrics(PeerMetrics::register(&registry).map_err(StartError::from)?);
        tracing::info!(algorithm = %settings.keys.algorithm(), kid = %settings.keys.current().kid(), "signing key loaded");
        let keys = Arc::new(SharedKeyRing::new(Arc::clone(&settings.keys)));
        KeyReloader::new(Arc::clone(&keys), settings.key_files.clone())
            .spawn_on_sighup()
            .map_err(|error| StartError::dependency("the SIGHUP key reload", error))?;
        let state = web::Data::new(AppState {
            minter: Minter::new(
                Arc::clone(&keys),
                settings.issuer.clone(),
                settings.audience.clone(),
                whole_seconds(settings.access_ttl),
            ),
            verifier: TokenVerifier::new(settings.keys.algorithm(), &settings.issuer, &settings.audience),
            verified: VerifiedTokens::default(),
            keys,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            sessions,
            refresh_ttl_seconds: whole_seconds(settings.refresh_ttl),
            max_lifetime_seconds: whole_seconds(settings.max_lifetime),
            reuse_grace_seconds: whole_seconds(settings.reuse_grace),
            metrics: TokenMetrics::register(&registry).map_err(StartError::from)?,
        });
        let internal_token = web::Data::new(settings.common.internal_api_token.clone());
        let introspection_clients = web::Data::new(settings.introspection_clients.clone());
        let service =
            HttpService::start(SERVICE, &settings.common, &registry, crate::openapi::rendered(), move |config| {
                config
                    .app_data(state.clone())
                    .app_data(internal_token.clone())
                    .app_data(introspection_clients.clone())
                    .route("/readyz", web::get().to(health::readyz))
                    .route("/.well-known/jwks.json", web::get().to(jwks::jwks))
                    // The OAuth endpoints: every 4xx carries RFC 6749's `error` (`service_kit::oauth_errors`).
                    .service(
                        web::resource("/token/refresh")
                            .wrap(from_fn(oauth_error_members))
                            .route(web::post().to(refresh::refresh))
                            .default_service(web::to(post_only)),
                    )
                    .service(
                        web::resource("/token/revoke")
                            .wrap(from_fn(oauth_error_members))
                            .route(web::post().to(revoke::revoke))
                            .default_service(web::to(post_only)),
                    )
                    .service(
                        web::resource("/token/introspect")
                            .wrap(from_fn(require_introspection_client))
                            .wrap(from_fn(oauth_error_members))
                            .route(web::post().to(introspect::introspect))
                            .default_service(web::to(post_only)),
                    )
                    .service(
                        web::scope("/internal")
                            .wrap(from_fn(require_internal_token))
                            .route("/tokens", web::post().to(mint::mint))
                            .route("/users/{user_id}/sessions/invalidate", web::post().to(users::end_user_sessions)),
                    );
            })?;
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

/// Lifetimes are bounded by the settings (at most a year), so they always fit.
fn whole_seconds(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}
