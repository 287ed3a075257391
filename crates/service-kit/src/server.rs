//! The HTTP server every service runs, built once here so that all three answer alike at the edges.
//!
//! [`HttpService::start`] binds the listener (port 0 picks a free port, for tests) and builds the app
//! with the shared stack, outermost first: `X-Content-Type-Options: nosniff` on every answer, a tracing
//! span per request (whose target never carries a code, state or token: [`crate::request_span`]), the
//! Prometheus HTTP metrics (which also serve `/metrics`), `Cache-Control: no-store` and the shutdown
//! readiness gate. Beside the service's own routes it serves `GET /healthz`, `GET /openapi.json` (the
//! service's document), the `/docs/` page (when `SWAGGER_UI` is on), and a 404 problem for anything else.
//! The service adds its routes, including its own
//! `/readyz`, through a `configure` function.

use crate::api_doc;
use crate::metrics::{MetricsError, http_metrics};
use crate::request_span::RedactingRootSpan;
use crate::settings::CommonSettings;
use crate::shutdown::{GracefulServer, Lifecycle, readiness_gate};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use std::net::{SocketAddr, TcpListener};
use tracing_actix_web::TracingLogger;

/// What stops a service from starting, beyond its settings.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// A client the service needs (a Redis pool, an HTTP client) could not be built.
    #[error("{dependency} could not be set up: {reason}")]
    Dependency { dependency: &'static str, reason: String },
}

impl From<prometheus::Error> for StartError {
    /// A metric that could not be registered (a name registered twice).
    fn from(error: prometheus::Error) -> Self {
        Self::Metrics(MetricsError::from(error))
    }
}

impl StartError {
    pub fn dependency(dependency: &'static str, reason: impl std::fmt::Display) -> Self {
        Self::Dependency { dependency, reason: reason.to_string() }
    }
}

/// Who is serving: the name in logs and the prefix of the HTTP metrics (`authn_http_requests_total`).
#[derive(Debug, Clone, Copy)]
pub struct ServiceName {
    pub binary: &'static str,
    pub metrics_namespace: &'static str,
}

/// A bound server, ready to run.
pub struct HttpService {
    local_addr: SocketAddr,
    server: GracefulServer,
}

impl std::fmt::Debug for HttpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpService").field("local_addr", &self.local_addr).finish_non_exhaustive()
    }
}

impl HttpService {
    /// Binds `common.listen_addr` and builds the app: the shared stack and routes around the service's
    /// own (`routes`, called once per worker). `openapi` is the service's rendered document. Nothing is
    /// served until [`HttpService::run_until_stopped`].
    pub fn start<F>(
        name: ServiceName,
        common: &CommonSettings,
        registry: &prometheus::Registry,
        openapi: &'static str,
        routes: F,
    ) -> Result<Self, StartError>
    where
        F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        let addr = common.listen_addr;
        let bind_error = |source| StartError::Bind { addr, source };
        let listener = TcpListener::bind(addr).map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        let metrics = http_metrics(name.metrics_namespace, registry)?;
        let lifecycle = Lifecycle::default();
        let lifecycle_data = web::Data::new(lifecycle.clone());
        let docs = api_doc::docs_routes(common.swagger_ui);
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(readiness_gate))
                .wrap(from_fn(crate::http_app::no_store))
                .wrap(metrics.clone())
                .wrap(TracingLogger::<RedactingRootSpan>::new())
                .wrap(from_fn(crate::http_app::nosniff))
                .app_data(lifecycle_data.clone())
                .route("/healthz", web::get().to(crate::health::healthz))
                .route("/openapi.json", web::get().to(move || async move { api_doc::openapi_response(openapi) }))
                .configure(routes.clone())
                // After the service's routes: `/docs/{…}` is a regex, and actix tries the resources in
                // order (again for each `match_pattern`, which the metrics and the request span ask for),
                // so before them it ran on every request.
                .configure(docs.clone())
                .default_service(web::to(crate::http_app::not_found))
        })
        .disable_signals()
        .shutdown_timeout(common.shutdown.timeout_seconds())
        .listen(listener)
        .map_err(|source| StartError::Bind { addr: local_addr, source })?
        .run();
        tracing::info!(%local_addr, "{} listening", name.binary);
        Ok(Self { local_addr, server: GracefulServer::new(server, lifecycle, common.shutdown) })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until SIGTERM/SIGINT, then drains: see [`crate::shutdown`].
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.run_until_stopped().await
    }
}
