//! Graceful shutdown, the way a load balancer needs it.
//!
//! On SIGTERM (or Ctrl-C) a service first turns `/readyz` to 503 while still serving everything else,
//! for [`ShutdownPolicy::drain`], so Kubernetes, a gateway or a load balancer stops sending it new
//! traffic; then it stops accepting connections and lets in-flight requests finish for up to
//! [`ShutdownPolicy::timeout`]. A second signal during the drain skips the rest of it.
//! actix-web's own signal handling is turned off (`disable_signals`) so that this module owns the order.

use crate::problem::HttpProblem;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web;
use auth_proto::problem::ProblemType;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How a service stops (`SHUTDOWN_DRAIN_SECONDS`, `SHUTDOWN_TIMEOUT_SECONDS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownPolicy {
    /// How long `/readyz` answers 503 before the listener closes.
    pub drain: Duration,
    /// How long in-flight requests may run after the listener closed.
    pub timeout: Duration,
}

impl Default for ShutdownPolicy {
    /// `dev`'s: no drain, and the default time for in-flight requests.
    fn default() -> Self {
        Self { drain: Duration::ZERO, timeout: Duration::from_secs(crate::settings::DEFAULT_SHUTDOWN_TIMEOUT_SECONDS) }
    }
}

impl ShutdownPolicy {
    /// For actix-web's `HttpServer::shutdown_timeout`, which takes whole seconds.
    pub fn timeout_seconds(&self) -> u64 {
        self.timeout.as_secs()
    }
}

/// Whether the service is on its way out; shared by the signal task and the readiness gate.
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    draining: Arc<AtomicBool>,
}

impl Lifecycle {
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }
}

/// Middleware: while draining, `/readyz` answers 503 without running its dependency checks; every other
/// route is served as usual. Needs the [`Lifecycle`] as `web::Data` app data.
pub async fn readiness_gate(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let draining = request.path() == "/readyz"
        && request.app_data::<web::Data<Lifecycle>>().is_some_and(|lifecycle| lifecycle.is_draining());
    if draining {
        let problem = HttpProblem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemType::ShuttingDown,
            "Shutting down",
            "not ready: shutting down",
        );
        return Ok(request.into_response(problem.to_response()));
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// A started actix server whose stop this module controls.
pub struct GracefulServer {
    server: Server,
    lifecycle: Lifecycle,
    policy: ShutdownPolicy,
}

impl std::fmt::Debug for GracefulServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GracefulServer").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl GracefulServer {
    /// `server` must have been built with `disable_signals()` and `shutdown_timeout(policy.timeout_seconds())`,
    /// and `lifecycle` be the one the app's [`readiness_gate`] reads.
    pub fn new(server: Server, lifecycle: Lifecycle, policy: ShutdownPolicy) -> Self {
        Self { server, lifecycle, policy }
    }

    /// Serves until a signal, then drains and stops as the module docs say.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let lifecycle = self.lifecycle;
        let policy = self.policy;
        let stopper = tokio::spawn(async move {
            if let Err(error) = shutdown_signal().await {
                tracing::error!(%error, "cannot listen for shutdown signals; stop the process with SIGKILL");
                return;
            }
            lifecycle.start_draining();
            tracing::info!(
                drain_seconds = policy.drain.as_secs(),
                timeout_seconds = policy.timeout.as_secs(),
                "shutdown requested: /readyz answers 503 while draining"
            );
            tokio::select! {
                () = tokio::time::sleep(policy.drain) => {}
                _ = shutdown_signal() => tracing::info!("second shutdown signal: ending the drain early"),
            }
            tracing::info!("no longer accepting connections; finishing in-flight requests");
            handle.stop(true).await;
        });
        let served = self.server.await;
        stopper.abort();
        tracing::info!("stopped");
        served
    }
}

/// The next SIGTERM or SIGINT.
async fn shutdown_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test};

    #[actix_web::test]
    async fn readyz_turns_503_when_draining_while_other_routes_still_serve() {
        let lifecycle = Lifecycle::default();
        let app = test::init_service(
            App::new()
                .wrap(from_fn(readiness_gate))
                .app_data(web::Data::new(lifecycle.clone()))
                .route("/readyz", web::get().to(HttpResponse::Ok))
                .route("/healthz", web::get().to(HttpResponse::Ok)),
        )
        .await;
        let ready = test::call_service(&app, test::TestRequest::get().uri("/readyz").to_request()).await;
        assert_eq!(ready.status(), StatusCode::OK);

        lifecycle.start_draining();
        let draining = test::call_service(&app, test::TestRequest::get().uri("/readyz").to_request()).await;
        assert_eq!(draining.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(draining.headers().get("content-type").unwrap(), "application/problem+json");
        let health = test::call_service(&app, test::TestRequest::get().uri("/healthz").to_request()).await;
        assert_eq!(health.status(), StatusCode::OK);
    }
}
