//! The command line: no arguments (or `serve`) serves; `sessions list|end USER_ID` administers a user's
//! sessions (see [`crate::admin`]); `healthcheck` probes a running service.

use crate::admin::{SessionsArgs, administer_sessions};
use crate::error::Error;
use crate::settings::{DEFAULT_LISTEN_ADDR, Settings};
use crate::startup::{Application, SERVICE};
use clap::{Parser, Subcommand};
use service_kit::settings::Environment;
use std::process::ExitCode;

/// The auth platform's session service.
#[derive(Debug, Parser)]
#[command(name = "session-service", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// List or end a user's sessions in the configured store (REDIS_URL).
    Sessions(SessionsArgs),
    /// Exit 0 when the service on LISTEN_ADDR answers /readyz with 200 (for container health checks).
    Healthcheck,
}

/// Runs the command; its own output goes to stdout, problems to stderr.
pub async fn execute(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await.map(|()| ExitCode::SUCCESS),
        Command::Healthcheck => {
            Ok(service_kit::healthcheck::probe_readiness(SERVICE.binary, DEFAULT_LISTEN_ADDR).await)
        }
        Command::Sessions(args) => administer_sessions(args).await,
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
    fn no_arguments_serve() {
        assert!(Cli::try_parse_from(["session-service"]).expect("parses").command.is_none());
        let serve = Cli::try_parse_from(["session-service", "serve"]).expect("parses");
        assert!(matches!(serve.command, Some(Command::Serve)));
        let probe = Cli::try_parse_from(["session-service", "healthcheck"]).expect("parses");
        assert!(matches!(probe.command, Some(Command::Healthcheck)));
        assert!(Cli::try_parse_from(["session-service", "bogus"]).is_err());
        let user = "0b5b3e4c-6c1f-4a57-9d0e-3f1c2a7b8d90";
        let list = Cli::try_parse_from(["session-service", "sessions", "list", user, "--json"]).expect("parses");
        assert!(matches!(list.command, Some(Command::Sessions(SessionsArgs { json: true, .. }))));
        let end = Cli::try_parse_from(["session-service", "sessions", "end", user, "--session", user]).expect("parses");
        assert!(matches!(end.command, Some(Command::Sessions(_))));
        assert!(Cli::try_parse_from(["session-service", "sessions", "list", "not-a-uuid"]).is_err());
        assert!(Cli::try_parse_from(["session-service", "sessions", "list", &user.to_uppercase()]).is_err());
    }
}
