//! The account commands an operator runs (`authn-service users ...`): each one works on the Redis store
//! directly, prints text for a person or, with `--json`, one JSON document for a script.
//!
//! Ending a user's sessions (`disable`, `delete`) goes through the token service's internal API, as the
//! running service does: only the session service touches session data.

use crate::cli::{UsersArgs, UsersCommand, read_password_line};
use crate::domain::{Password, Username};
use crate::error::Error;
use crate::hashing::Hasher;
use crate::lockout::redis_store::RedisFailureStore;
use crate::lockout::{FailureStore, FailureSubject};
use crate::registration::{NewAccount, create_account};
use crate::settings::AdminSettings;
use crate::users::redis_store::RedisUserStore;
use crate::users::{User, UserStore};
use auth_client::{PeerTimeouts, TokenClient};
use redis_kit::{RedisPool, RedisTimeouts};
use serde_json::json;
use service_kit::admin_output::{table, timestamp};
use service_kit::server::StartError;
use service_kit::settings::Environment;
use std::net::IpAddr;
use std::process::ExitCode;

/// Exit code of `users disable|delete` when the account was disabled but its sessions could not be
/// ended (`delete` then deletes nothing, so that running it again finds the account).
pub const EXIT_SESSIONS_NOT_ENDED: u8 = 2;

struct Admin {
    settings: AdminSettings,
    users: RedisUserStore,
    pool: RedisPool,
    json: bool,
}

pub async fn administer_users(args: UsersArgs) -> Result<ExitCode, Error> {
    let settings = AdminSettings::from_environment(&Environment::process())?;
    let Some(redis_url) = &settings.redis_url else {
        return Err(Error::AdminNeedsRedis);
    };
    let pool = RedisPool::new(redis_url, RedisTimeouts::default())
        .map_err(|error| StartError::dependency("the Redis pool", error))?;
    let admin = Admin { users: RedisUserStore::new(pool.clone()), pool, settings, json: args.json };
    match args.command {
        UsersCommand::Create { username } => admin.create(&username).await,
        UsersCommand::List { cursor, limit } => admin.list(cursor, usize::from(limit)).await,
        UsersCommand::Show { username } => admin.show(&username).await,
        UsersCommand::Enable { username } => admin.enable(&username).await,
        UsersCommand::Disable { username } => admin.disable(&username).await,
        UsersCommand::Unlock { username, address } => admin.unlock(&username, address).await,
        UsersCommand::SetPassword { username } => admin.set_password(&username).await,
        UsersCommand::Delete { username } => admin.delete(&username).await,
    }
}

impl Admin {
    fn print(&self, document: serde_json::Value, text: impl FnOnce() -> String) {
        if self.json {
            println!("{document}");
        } else {
            println!("{}", text());
        }
    }

    async fn find(&self, username: &str) -> Result<User, Error> {
        let username = Username::parse(username)?;
        self.users.find_by_username(&username).await?.ok_or(Error::UnknownUser)
    }

    async fn create(&self, username: &str) -> Result<ExitCode, Error> {
        let password = read_password_line().await?;
        let account = NewAccount::parse(username, password, None)?;
        let hasher = Hasher::new(&self.settings.hashing).await?;
        let user = create_account(&self.users, &hasher, account).await?;
        self.print(json!({ "id": user.id.to_string(), "username": user.username.as_str() }), || user.id.to_string());
        Ok(ExitCode::SUCCESS)
    }

    async fn list(&self, cursor: u64, limit: usize) -> Result<ExitCode, Error> {
        let page = self.users.list_page(cursor, limit).await?;
        let next = page.next_cursor;
        self.print(
            json!({ "users": page.users.iter().map(user_json).collect::<Vec<_>>(), "next_cursor": next }),
            || {
                let mut rows = vec![["USERNAME", "ID", "STATUS", "LOGIN", "EMAIL", "CREATED"].map(str::to_owned)];
                rows.extend(page.users.iter().map(|user| {
                    [
                        user.username.to_string(),
                        user.id.to_string(),
                        status(user).to_owned(),
                        login_kind(user).to_owned(),
                        user.email.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string),
                        timestamp(user.created_at),
                    ]
                }));
                let mut text = table(&rows);
                match next {
                    Some(next) => text.push_str(&format!("\nmore: users list --cursor {next}")),
                    None => text.push_str("\n(end of list)"),
                }
                text
            },
        );
        Ok(ExitCode::SUCCESS)
    }

    async fn show(&self, username: &str) -> Result<ExitCode, Error> {
        let user = self.find(username).await?;
        self.print(user_json(&user), || {
            let rows = [
                ["username", user.username.as_str()].map(str::to_owned),
                ["id".to_owned(), user.id.to_string()],
                ["status".to_owned(), status(&user).to_owned()],
                ["login".to_owned(), login_kind(&user).to_owned()],
                ["email".to_owned(), user.email.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string)],
                ["email verified".to_owned(), if user.email_verified { "yes" } else { "no" }.to_owned()],
                ["display name".to_owned(), user.display_name.clone().unwrap_or_else(|| "-".to_owned())],
                ["created".to_owned(), timestamp(user.created_at)],
            ];
            table(&rows)
        });
        Ok(ExitCode::SUCCESS)
    }

    async fn enable(&self, username: &str) -> Result<ExitCode, Error> {
        let user = self.find(username).await?;
        if !self.users.set_disabled(&user.id, false).await? {
            return Err(Error::UnknownUser);
        }
        self.print(json!({ "username": user.username.as_str(), "id": user.id.to_string(), "disabled": false }), || {
            format!("enabled {} ({})", user.username, user.id)
        });
        Ok(ExitCode::SUCCESS)
    }

    async fn disable(&self, username: &str) -> Result<ExitCode, Error> {
        let user = self.find(username).await?;
        if !self.users.set_disabled(&user.id, true).await? {
            return Err(Error::UnknownUser);
        }
        // The account is disabled from here on, whatever happens to its sessions: a new login is refused
        // even if the token service cannot be reached to end the current ones.
        match self.end_sessions(&user).await {
            Ok(ended) => {
                self.print(
                    json!({ "username": user.username.as_str(), "id": user.id.to_string(), "disabled": true, "sessions_ended": ended }),
                    || format!("disabled {} ({}); ended {ended} sessions", user.username, user.id),
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(error) => {
                eprintln!(
                    "disabled {} ({}), but its sessions were not ended: {error}; \
                     run the command again when the token service is up",
                    user.username, user.id
                );
                Ok(ExitCode::from(EXIT_SESSIONS_NOT_ENDED))
            }
        }
    }

    async fn unlock(&self, username: &str, address: Option<IpAddr>) -> Result<ExitCode, Error> {
        // A username without an account may be locked too (guesses at it are counted alike).
        let username = Username::parse(username)?;
        let failures = RedisFailureStore::new(self.pool.clone());
        failures.clear(&FailureSubject::Username(username.clone())).await?;
        if let Some(address) = address {
            failures.clear(&FailureSubject::Address(address)).await?;
        }
        self.print(
            json!({ "username": username.as_str(), "address": address.map(|a| a.to_string()), "unlocked": true }),
            || match address {
                Some(address) => format!("cleared the login failures of {username} and of {address}"),
                None => format!("cleared the login failures of {username}"),
            },
        );
        Ok(ExitCode::SUCCESS)
    }

    async fn set_password(&self, username: &str) -> Result<ExitCode, Error> {
        let user = self.find(username).await?;
        let password = Password::parse_new(read_password_line().await?)?;
        let hasher = Hasher::new(&self.settings.hashing).await?;
        let hash = hasher.hash(&password).await?;
        if !self.users.set_password_hash(&user.id, &hash).await? {
            return Err(Error::UnknownUser);
        }
        self.print(
            json!({ "username": user.username.as_str(), "id": user.id.to_string(), "password_set": true }),
            || format!("set the password of {} ({})", user.username, user.id),
        );
        Ok(ExitCode::SUCCESS)
    }

    async fn delete(&self, username: &str) -> Result<ExitCode, Error> {
        let user = self.find(username).await?;
        // Disabled first, so that no login opens a session between ending them and deleting the record;
        // and the record stays until its sessions are ended, so a failed run can be repeated.
        if !self.users.set_disabled(&user.id, true).await? {
            return Err(Error::UnknownUser);
        }
        let ended = match self.end_sessions(&user).await {
            Ok(ended) => ended,
            Err(error) => {
                eprintln!(
                    "disabled {} ({}) but did not delete it: its sessions were not ended: {error}; \
                     run the command again when the token service is up",
                    user.username, user.id
                );
                return Ok(ExitCode::from(EXIT_SESSIONS_NOT_ENDED));
            }
        };
        let unlinked = self.users.delete(&user).await?.ok_or(Error::UnknownUser)?;
        self.print(
            json!({
                "username": user.username.as_str(), "id": user.id.to_string(), "deleted": true,
                "sessions_ended": ended, "identities_unlinked": unlinked,
            }),
            || format!("deleted {} ({}); ended {ended} sessions", user.username, user.id),
        );
        Ok(ExitCode::SUCCESS)
    }

    async fn end_sessions(&self, user: &User) -> Result<u64, auth_client::ClientError> {
        let tokens = TokenClient::new(
            self.settings.token_service_url.as_str(),
            self.settings.internal_api_token.expose(),
            PeerTimeouts::default(),
        )?;
        Ok(tokens.end_user_sessions(user.id.as_uuid()).await?.invalidated)
    }
}

fn user_json(user: &User) -> serde_json::Value {
    json!({
        "id": user.id.to_string(),
        "username": user.username.as_str(),
        "disabled": user.disabled,
        "has_password": user.password_hash.is_some(),
        "email": user.email.as_ref().map(ToString::to_string),
        "email_verified": user.email_verified,
        "display_name": user.display_name,
        "created_at": user.created_at,
    })
}

fn status(user: &User) -> &'static str {
    if user.disabled { "disabled" } else { "enabled" }
}

/// How the account logs in: with a password, or only by single sign-on.
fn login_kind(user: &User) -> &'static str {
    if user.password_hash.is_some() { "password" } else { "sso-only" }
}
