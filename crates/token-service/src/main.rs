//! The token service binary: `token-service` serves; `token-service keys generate --algorithm ALG` prints
//! a new private key PEM; `token-service healthcheck` probes a running service's `/readyz` (for container
//! health checks).

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use token_service::settings::Settings;
use token_service::startup::Application;

#[derive(Parser)]
#[command(name = "token-service", about = "Mints, refreshes, revokes and introspects access tokens", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Exit 0 when the service on LISTEN_ADDR answers /readyz with 200 (for container health checks).
    Healthcheck,
    /// Signing-key administration.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a new PKCS#8 private key PEM for JWT_PRIVATE_KEY_FILE.
    Generate {
        #[arg(long, default_value = "EdDSA")]
        algorithm: String,
    },
}

#[actix_web::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Some(Command::Keys { command: KeysCommand::Generate { algorithm } }) => generate_key(&algorithm),
        Some(Command::Healthcheck) => {
            service_kit::settings::load_dotenv();
            service_kit::healthcheck::probe_readiness("token-service", token_service::settings::DEFAULT_LISTEN).await
        }
        None => serve().await,
    }
}

fn generate_key(algorithm: &str) -> ExitCode {
    let pem = algorithm
        .parse()
        .map_err(|error| format!("{error}"))
        .and_then(|algorithm| auth_jwt::keys::generate_private_key_pem(algorithm).map_err(|error| error.to_string()));
    match pem {
        Ok(pem) => {
            print!("{pem}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("token-service: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> ExitCode {
    service_kit::settings::load_dotenv();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("token-service: {error}");
            return ExitCode::FAILURE;
        }
    };
    let telemetry = settings.init_telemetry();
    let outcome = match Application::build(settings) {
        Ok(application) => match application.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!(%error, "token-service stopped with an error");
                ExitCode::FAILURE
            }
        },
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "token-service failed to start");
            eprintln!("token-service: {error:#}");
            ExitCode::FAILURE
        }
    };
    // Flushing the last spans blocks on the exporter's thread: keep it off the async workers.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    outcome
}
