//! The command line: no arguments (or `serve`) serves; `users ...` administers accounts (see
//! [`crate::admin`]); `healthcheck` probes a running service.
//!
//! Admin commands work on the configured store (`REDIS_URL`) directly, so they run beside a live
//! service. Without `REDIS_URL` they refuse: the dev in-memory store lives inside the running service.

use crate::admin::administer_users;
use crate::error::Error;
use crate::settings::{DEFAULT_LISTEN_ADDR, Settings};
use crate::startup::{Application, SERVICE};
use clap::{Args, Parser, Subcommand};
use service_kit::settings::Environment;
use std::io::BufRead;
use std::net::IpAddr;
use std::process::ExitCode;

/// The auth platform's authentication service.
#[derive(Debug, Parser)]
#[command(name = "authn-service", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Administer user accounts in the configured store (REDIS_URL).
    Users(UsersArgs),
    /// Exit 0 when the service on LISTEN_ADDR answers /readyz with 200 (for container health checks).
    Healthcheck,
}

#[derive(Debug, Args)]
pub struct UsersArgs {
    /// Print JSON (one document per command) instead of text, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user; the password is the first line of standard input. Prints the new user's id.
    Create { username: String },
    /// List the users a page at a time; the page ends with the cursor of the next one.
    List {
        /// Where to start: 0, or the cursor a previous page printed.
        #[arg(long, default_value_t = 0)]
        cursor: u64,
        /// About how many users a page holds.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=1000))]
        limit: u16,
    },
    /// Show one user.
    Show { username: String },
    /// Enable a disabled user: its logins are accepted again.
    Enable { username: String },
    /// Disable a user (its logins are then refused) and end all its sessions.
    Disable { username: String },
    /// Clear the login failure counter of a username (and of an address), lifting its lockout.
    Unlock {
        username: String,
        /// Also clear this client address's counter.
        #[arg(long)]
        address: Option<IpAddr>,
    },
    /// Set a user's password to the first line of standard input.
    SetPassword { username: String },
    /// Delete a user with its username, email and identity indexes, and end all its sessions.
    Delete { username: String },
}

/// Runs the command; its own output goes to stdout, problems to stderr.
pub async fn execute(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await.map(|()| ExitCode::SUCCESS),
        Command::Healthcheck => {
            Ok(service_kit::healthcheck::probe_readiness(SERVICE.binary, DEFAULT_LISTEN_ADDR).await)
        }
        Command::Users(command) => administer_users(command).await,
    }
}

async fn serve() -> Result<(), Error> {
    let settings = Settings::from_environment(&Environment::process())?;
    let common = settings.common.clone();
    let embedded_defaults = settings.embedded_defaults();
    let run = async move { Application::build(settings).await?.run_until_stopped().await };
    service_kit::process::serve(SERVICE.binary, &common, &embedded_defaults, run).await
}

/// The first line of standard input, without its line ending.
pub(crate) async fn read_password_line() -> Result<String, Error> {
    // Reading a terminal blocks; keep it off the async threads.
    let line = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|error| Error::BlockingTask(error.to_string()))?
    .map_err(Error::Stdin)?;
    Ok(strip_line_ending(line))
}

fn strip_line_ending(mut line: String) -> String {
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    line
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
    fn parses_no_arguments_as_serve_and_the_user_commands() {
        assert!(Cli::try_parse_from(["authn-service"]).expect("parses").command.is_none());
        let create = Cli::try_parse_from(["authn-service", "users", "create", "alice"]).expect("parses");
        assert!(
            matches!(create.command, Some(Command::Users(UsersArgs { command: UsersCommand::Create { username }, .. })) if username == "alice")
        );
        let disable = Cli::try_parse_from(["authn-service", "users", "disable", "alice"]).expect("parses");
        assert!(matches!(
            disable.command,
            Some(Command::Users(UsersArgs { command: UsersCommand::Disable { .. }, .. }))
        ));
        let list = Cli::try_parse_from(["authn-service", "users", "list", "--cursor", "7", "--limit", "3", "--json"])
            .expect("parses");
        assert!(matches!(
            list.command,
            Some(Command::Users(UsersArgs { json: true, command: UsersCommand::List { cursor: 7, limit: 3 } }))
        ));
        let unlock =
            Cli::try_parse_from(["authn-service", "users", "--json", "unlock", "bob", "--address", "192.0.2.7"])
                .expect("parses");
        assert!(matches!(
            unlock.command,
            Some(Command::Users(UsersArgs { json: true, command: UsersCommand::Unlock { address: Some(_), .. } }))
        ));
        assert!(Cli::try_parse_from(["authn-service", "users", "list", "--limit", "0"]).is_err());
        assert!(Cli::try_parse_from(["authn-service", "users", "unlock", "bob", "--address", "x"]).is_err());
        assert!(Cli::try_parse_from(["authn-service", "users", "create"]).is_err());
    }

    #[test]
    fn only_the_line_ending_is_stripped() {
        assert_eq!(strip_line_ending("secret pw\n".to_owned()), "secret pw");
        assert_eq!(strip_line_ending("secret pw\r\n".to_owned()), "secret pw");
        assert_eq!(strip_line_ending(" secret pw ".to_owned()), " secret pw ");
        assert_eq!(strip_line_ending("secret pw\n\n".to_owned()), "secret pw\n");
    }
}
