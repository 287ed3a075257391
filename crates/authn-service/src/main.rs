//! The `authn-service` binary: serves with no arguments, runs an admin command (`users …`), or probes a
//! running service's `/readyz` (`healthcheck`, for container health checks).
//! A bad setting or a failed start prints one `authn-service: …` line and exits 1.

use authn_service::cli::{self, Cli};
use authn_service::error::Error;
use authn_service::settings::Settings;
use authn_service::startup::Application;
use clap::Parser;
use service_kit::settings::load_dotenv;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    load_dotenv();
    let outcome = match Cli::parse().command {
        None => serve().await.map(|()| ExitCode::SUCCESS),
        Some(command) => cli::execute(command).await,
    };
    outcome.unwrap_or_else(|error| {
        eprintln!("authn-service: {error}");
        ExitCode::FAILURE
    })
}

async fn serve() -> Result<(), Error> {
    let settings = Settings::from_env()?;
    let telemetry = telemetry::init(settings.common.telemetry("authn-service"));
    settings.warn_about_embedded_defaults();
    let served = match Application::build(settings).await {
        Ok(application) => {
            tracing::info!(address = %application.local_addr(), "authn-service listening");
            application.run_until_stopped().await
        }
        Err(error) => Err(error),
    };
    // Flushing the last spans blocks on the exporter's thread: keep it off the async workers.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    served
}
