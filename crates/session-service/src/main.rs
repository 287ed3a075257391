//! The session service binary: reads settings, starts logging, serves until stopped;
//! `session-service healthcheck` probes a running service's `/readyz` (for container health checks).

use session_service::settings::{DEFAULT_LISTEN, Settings};
use session_service::startup::Application;
use std::process::ExitCode;

#[actix_web::main]
async fn main() -> ExitCode {
    service_kit::settings::load_dotenv();
    match std::env::args().nth(1).as_deref() {
        None => serve().await,
        Some("healthcheck") => service_kit::healthcheck::probe_readiness("session-service", DEFAULT_LISTEN).await,
        Some(_) => {
            eprintln!("usage: session-service [healthcheck]");
            ExitCode::from(2)
        }
    }
}

async fn serve() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("session-service: {error}");
            return ExitCode::FAILURE;
        }
    };
    let telemetry = settings.init_telemetry();
    let outcome = match Application::build(settings).await {
        Ok(application) => match application.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!(%error, "session-service stopped with an error");
                ExitCode::FAILURE
            }
        },
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "session-service failed to start");
            eprintln!("session-service: {error:#}");
            ExitCode::FAILURE
        }
    };
    // Flushing the last spans blocks on the exporter's thread: keep it off the async workers.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    outcome
}
