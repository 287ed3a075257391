//! `session-service sessions list|end USER_ID`: an operator's view of one user's sessions, run beside
//! the live service on the same store (`REDIS_URL`). Session data belongs to this service alone (the
//! contract: only the session service talks to Redis about sessions), so these commands live on its
//! binary and use its store, not the internal API. The user is named by id (the access tokens' `sub`;
//! `authn-service users show NAME` prints it): usernames are the authentication service's.
//!
//! Text for a person by default; `--json` prints one JSON document for a script.

use crate::domain::session_id::SessionId;
use crate::domain::user_id::UserId;
use crate::error::Error;
use crate::settings::Settings;
use crate::store::SessionStore;
use crate::store::redis_store::RedisSessionStore;
use auth_proto::clock;
use auth_proto::internal::SessionRecord;
use redis_kit::{RedisPool, RedisTimeouts};
use serde_json::json;
use service_kit::admin_output::{table, timestamp};
use service_kit::server::StartError;
use service_kit::settings::Environment;
use std::process::ExitCode;

/// `sessions` and its options, as the command line gave them.
#[derive(Debug, clap::Args)]
pub struct SessionsArgs {
    /// Print JSON (one document per command) instead of text, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: SessionsCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SessionsCommand {
    /// List a user's live sessions, oldest first.
    List {
        /// The user's id (a UUID, the access tokens' `sub`).
        #[arg(value_parser = parse_user_id)]
        user_id: UserId,
    },
    /// End a user's sessions (all of them, or the one given with --session): their refresh tokens stop
    /// working at once and their access tokens at the next session check.
    End {
        #[arg(value_parser = parse_user_id)]
        user_id: UserId,
        /// End only this session (a UUID, the tokens' `sid`).
        #[arg(long, value_parser = parse_session_id)]
        session: Option<SessionId>,
    },
}

fn parse_user_id(value: &str) -> Result<UserId, String> {
    UserId::parse(value).ok_or_else(|| "not a user id (a lower-case hyphenated UUID)".to_owned())
}

fn parse_session_id(value: &str) -> Result<SessionId, String> {
    SessionId::parse(value).ok_or_else(|| "not a session id (a lower-case hyphenated UUID)".to_owned())
}

pub async fn administer_sessions(args: SessionsArgs) -> Result<ExitCode, Error> {
    let settings = Settings::from_environment(&Environment::process())?;
    let Some(redis_url) = &settings.redis_url else {
        return Err(Error::AdminNeedsRedis);
    };
    let pool = RedisPool::new(redis_url, RedisTimeouts::default())
        .map_err(|error| StartError::dependency("the Redis pool", error))?;
    let store = RedisSessionStore::new(pool, settings.max_sessions_per_user);
    match args.command {
        SessionsCommand::List { user_id } => {
            let sessions = store.list(&user_id, clock::now()).await?;
            if args.json {
                println!("{}", json!({ "user_id": user_id.as_str(), "sessions": sessions }));
            } else {
                println!("{}", sessions_table(&sessions));
            }
            Ok(ExitCode::SUCCESS)
        }
        SessionsCommand::End { user_id, session: Some(session_id) } => {
            if !store.end(&user_id, &session_id).await? {
                return Err(Error::SessionNotFound);
            }
            if args.json {
                println!("{}", json!({ "user_id": user_id.as_str(), "ended": 1 }));
            } else {
                println!("ended session {} of {}", session_id.as_str(), user_id.as_str());
            }
            Ok(ExitCode::SUCCESS)
        }
        SessionsCommand::End { user_id, session: None } => {
            let ended = store.end_all(&user_id).await?;
            if args.json {
                println!("{}", json!({ "user_id": user_id.as_str(), "ended": ended }));
            } else {
                println!("ended {ended} sessions of {}", user_id.as_str());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn sessions_table(sessions: &[SessionRecord]) -> String {
    if sessions.is_empty() {
        return "no live sessions".to_owned();
    }
    let mut rows =
        vec![["SESSION", "USERNAME", "CREATED", "LAST SEEN", "EXPIRES", "IP", "USER AGENT"].map(str::to_owned)];
    rows.extend(sessions.iter().map(|session| {
        [
            session.session_id.clone(),
            session.username.clone(),
            timestamp(session.created_at),
            timestamp(session.last_seen_at),
            timestamp(session.expires_at),
            session.ip.clone().unwrap_or_else(|| "-".to_owned()),
            session.user_agent.clone().unwrap_or_else(|| "-".to_owned()),
        ]
    }));
    table(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_list_says_so_and_rows_are_aligned() {
        assert_eq!(sessions_table(&[]), "no live sessions");
        let record = SessionRecord {
            session_id: "s".to_owned(),
            user_id: "u".to_owned(),
            username: "alice".to_owned(),
            amr: vec!["pwd".to_owned()],
            created_at: 0,
            expires_at: 60,
            last_seen_at: 30,
            user_agent: None,
            ip: Some("192.0.2.1".to_owned()),
        };
        let table = sessions_table(&[record]);
        assert!(table.lines().nth(1).expect("a row").starts_with("s        alice     1970-01-01T00:00:00Z"), "{table}");
    }
}
