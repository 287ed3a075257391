//! The command line: no arguments (or `serve`) serves; `keys generate --algorithm ALG` prints a new
//! private key PEM; `healthcheck` probes a running service.

use crate::error::Error;
use crate::settings::{DEFAULT_LISTEN_ADDR, Settings};
use crate::startup::{Application, SERVICE};
use auth_jwt::algorithm::SigningAlgorithm;
use clap::{Parser, Subcommand};
use service_kit::settings::Environment;
use std::process::ExitCode;

/// The auth platform's token service: mints, refreshes, revokes and introspects access tokens.
#[derive(Debug, Parser)]
#[command(name = "token-service", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Exit 0 when the service on LISTEN_ADDR answers /readyz with 200 (for container health checks).
    Healthcheck,
    /// Signing-key administration.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new PKCS#8 private key PEM for JWT_PRIVATE_KEY_FILE.
    Generate {
        /// EdDSA, ES256 or RS256.
        #[arg(long, default_value = "EdDSA")]
        algorithm: SigningAlgorithm,
    },
}

/// Runs the command; its own output goes to stdout, problems to stderr.
pub async fn execute(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await.map(|()| ExitCode::SUCCESS),
        Command::Healthcheck => {
            Ok(service_kit::healthcheck::probe_readiness(SERVICE.binary, DEFAULT_LISTEN_ADDR).await)
        }
        Command::Keys(KeysCommand::Generate { algorithm }) => {
            print!("{}", auth_jwt::keys::generate_private_key_pem(algorithm)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve() -> Result<(), Error> {
    let settings = Settings::from_environment(&Environment::process())?;
    let common = settings.common.clone();
    let embedded_defaults = settings.embedded_defaults();
    let run = async move { Application::build(settings).await?.run_until_stopped().await };
    service_kit::process::serve(SERVICE.binary, &common, &embedded_defaults, run).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_serve_and_the_key_commands() {
        assert!(Cli::try_parse_from(["token-service"]).expect("parses").command.is_none());
        assert!(matches!(
            Cli::try_parse_from(["token-service", "serve"]).expect("parses").command,
            Some(Command::Serve)
        ));
        let generate =
            Cli::try_parse_from(["token-service", "keys", "generate", "--algorithm", "ES256"]).expect("parses");
        assert!(matches!(
            generate.command,
            Some(Command::Keys(KeysCommand::Generate { algorithm: SigningAlgorithm::Es256 }))
        ));
        assert!(Cli::try_parse_from(["token-service", "keys", "generate", "--algorithm", "none"]).is_err());
    }
}
