//! The command line: no arguments (or `serve`) serves; `users create|disable USERNAME` administers
//! accounts; `healthcheck` probes a running service.
//!
//! Admin commands work on the configured store (`REDIS_URL`) directly, so they run beside a live
//! service. Without `REDIS_URL` they refuse: the dev in-memory store lives inside the running service.

use crate::domain::Username;
use crate::error::Error;
use crate::hashing::Hasher;
use crate::registration::{NewAccount, create_account};
use crate::settings::{AdminSettings, DEFAULT_LISTEN_ADDR, Settings};
use crate::startup::{Application, SERVICE};
use crate::users::UserStore;
use crate::users::redis_store::RedisUserStore;
use auth_client::{PeerTimeouts, TokenClient};
use clap::{Parser, Subcommand};
use redis_kit::{RedisPool, RedisTimeouts};
use service_kit::server::StartError;
use service_kit::settings::Environment;
use std::io::BufRead;
use std::process::ExitCode;

/// Exit code of `users disable` when the account was disabled but its sessions could not be ended.
pub const EXIT_SESSIONS_NOT_ENDED: u8 = 2;

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
    #[command(subcommand)]
    Users(UsersCommand),
    /// Exit 0 when the service on LISTEN_ADDR answers /readyz with 200 (for container health checks).
    Healthcheck,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user; the password is the first line of standard input. Prints the new user's id.
    Create { username: String },
    /// Disable a user (its logins are then refused) and end all its sessions.
    Disable { username: String },
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

async fn administer_users(command: UsersCommand) -> Result<ExitCode, Error> {
    let settings = AdminSettings::from_environment(&Environment::process())?;
    let Some(redis_url) = &settings.redis_url else {
        return Err(Error::AdminNeedsRedis);
    };
    let pool = RedisPool::new(redis_url, RedisTimeouts::default())
        .map_err(|error| StartError::dependency("the Redis pool", error))?;
    let users = RedisUserStore::new(pool);
    match command {
        UsersCommand::Create { username } => create_user(&settings, &users, &username).await,
        UsersCommand::Disable { username } => disable_user(&settings, &users, &username).await,
    }
}

async fn create_user(settings: &AdminSettings, users: &RedisUserStore, username: &str) -> Result<ExitCode, Error> {
    let password = read_password_line().await?;
    let account = NewAccount::parse(username, password, None)?;
    let hasher = Hasher::new(&settings.hashing).await?;
    let user = create_account(users, &hasher, account).await?;
    println!("{}", user.id);
    Ok(ExitCode::SUCCESS)
}

async fn disable_user(settings: &AdminSettings, users: &RedisUserStore, username: &str) -> Result<ExitCode, Error> {
    let username = Username::parse(username)?;
    let user = users.find_by_username(&username).await?.ok_or(Error::UnknownUser)?;
    if !users.set_disabled(&user.id, true).await? {
        return Err(Error::UnknownUser);
    }
    // The account is disabled from here on, whatever happens to its sessions: a new login is refused
    // even if the token service cannot be reached to end the current ones.
    let ended = match TokenClient::new(
        settings.token_service_url.as_str(),
        settings.internal_api_token.expose(),
        PeerTimeouts::default(),
    ) {
        Ok(tokens) => tokens.end_user_sessions(user.id.as_uuid()).await,
        Err(error) => Err(error),
    };
    match ended {
        Ok(ended) => {
            println!("disabled {username} ({}); ended {} sessions", user.id, ended.invalidated);
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!(
                "disabled {username} ({}), but its sessions were not ended: {error}; \
                 run the command again when the token service is up",
                user.id
            );
            Ok(ExitCode::from(EXIT_SESSIONS_NOT_ENDED))
        }
    }
}

/// The first line of standard input, without its line ending.
async fn read_password_line() -> Result<String, Error> {
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
            matches!(create.command, Some(Command::Users(UsersCommand::Create { username })) if username == "alice")
        );
        let disable = Cli::try_parse_from(["authn-service", "users", "disable", "alice"]).expect("parses");
        assert!(matches!(disable.command, Some(Command::Users(UsersCommand::Disable { .. }))));
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
