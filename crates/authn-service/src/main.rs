//! The `authn-service` binary: serves with no arguments, or runs an admin command (`users …`).
//! A bad setting or a failed start prints one `authn-service: …` line and exits 1.

use authn_service::cli::{self, Cli};
use authn_service::error::Error;
use authn_service::settings::Settings;
use authn_service::startup::Application;
use clap::Parser;
use service_kit::settings::load_dotenv;
use std::process::ExitCode;
use telemetry::LogFormat;

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
    let format = if settings.common.app_env.is_dev() { LogFormat::Human } else { LogFormat::Json };
    telemetry::init("authn-service", &settings.common.log_filter, format);
    settings.warn_about_embedded_defaults();
    let application = Application::build(settings).await?;
    tracing::info!(address = %application.local_addr(), "authn-service listening");
    application.run_until_stopped().await
}
