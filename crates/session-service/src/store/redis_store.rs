//! Sessions in Redis, one hash and one index per user, every key under `session:{user_id}` (the layout is
//! in [`super::keys`]). Every operation is one Lua script naming all its keys in `KEYS`, all in one hash
//! slot, so it is atomic, one round trip, and runs unchanged on a single node, Sentinel or Redis Cluster.
//! The exceptions: the hot path's check (`touch`), two plain reads of one user's keys, with the script
//! only when it records activity; and the `DEL` that follows the scripts that end sessions they could not
//! name up front (the cap's evictions, logout-all), for those sessions' rotated-hash lists.
//! The scripts that walk a user's sessions (create at the cap, list, logout-all) walk at most the cap.

use super::keys::UserKeys;
use super::{
    LiveSession, MaxSessions, NewSession, REVOCATION_MARGIN_SECONDS, ROTATED_KEPT, RefreshRef, Rotation,
    RotationResult, SessionStore, StoreError,
};
use crate::domain::jti::Jti;
use crate::domain::session_id::SessionId;
use crate::domain::user_id::UserId;
use auth_proto::internal::SessionRecord;
use redis::{FromRedisValue, Script, ScriptInvocation};
use redis_kit::RedisPool;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, LazyLock};

/// Every script's source, by name: the scripts below, and the layout test that reads them all.
const SOURCES: [(&str, &str); 9] = [
    ("create", include_str!("lua/create.lua")),
    ("rotate", include_str!("lua/rotate.lua")),
    ("touch", include_str!("lua/touch.lua")),
    ("list", include_str!("lua/list.lua")),
    ("end", include_str!("lua/end.lua")),
    ("end_all", include_str!("lua/end_all.lua")),
    ("find_by_refresh", include_str!("lua/find_by_refresh.lua")),
    ("end_by_refresh", include_str!("lua/end_by_refresh.lua")),
    ("revoke", include_str!("lua/revoke.lua")),
];

static CREATE: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[0].1));
static ROTATE: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[1].1));
static TOUCH: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[2].1));
static LIST: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[3].1));
static END: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[4].1));
static END_ALL: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[5].1));
static FIND_BY_REFRESH: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[6].1));
static END_BY_REFRESH: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[7].1));
static REVOKE: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[8].1));

/// The part of a session that never changes, stored as one JSON field.
#[derive(Debug, Serialize, Deserialize)]
struct SessionInfo {
    username: String,
    amr: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RedisSessionStore {
    pool: RedisPool,
    prefix: Arc<str>,
    max_sessions: MaxSessions,
}

impl RedisSessionStore {
    pub const DEFAULT_PREFIX: &'static str = "session:";

    pub fn new(pool: RedisPool, max_sessions: MaxSessions) -> Self {
        Self { pool, prefix: Arc::from(Self::DEFAULT_PREFIX), max_sessions }
    }

    /// The keys of `user_id`, for the store and for tests that look at the layout.
    pub fn keys(&self, user_id: &UserId) -> UserKeys {
        UserKeys::new(&self.prefix, user_id)
    }

    async fn run<T: FromRedisValue + Send + 'static>(
        &self,
        operation: &'static str,
        invocation: ScriptInvocation<'static>,
    ) -> Result<T, StoreError> {
        Ok(self
            .pool
            .run(operation, |mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?)
    }

    /// Deletes the rotated-hash lists of sessions a script ended without naming them up front (the cap's
    /// evictions, logout-all). Only tidying: the sessions are gone, nothing reads those lists again, and
    /// each expires with its session anyway, so a failure here is logged, not the caller's.
    async fn delete_rotated_lists(&self, keys: &UserKeys, session_ids: &[String]) {
        let lists: Vec<String> =
            session_ids.iter().filter_map(|id| SessionId::parse(id)).map(|id| keys.rotated(&id)).collect();
        if lists.is_empty() {
            return;
        }
        let mut delete = redis::cmd("DEL");
        delete.arg(&lists);
        let deleted: Result<i64, _> = self
            .pool
            .run("delete_rotated_lists", |mut connection| async move { delete.query_async(&mut connection).await })
            .await;
        if let Err(error) = deleted {
            tracing::warn!(%error, "ended sessions' rotated-hash lists not deleted; they expire with the sessions");
        }
    }

    /// Every write goes through here: opening, rotating, ending sessions and revoking tokens complete
    /// when this returns, so a durability step (waiting for a replica) belongs here and nowhere else.
    async fn write<T: FromRedisValue + Send + 'static>(
        &self,
        operation: &'static str,
        keys: &UserKeys,
        invocation: ScriptInvocation<'static>,
    ) -> Result<T, StoreError> {
        Ok(self
            .pool
            .run_durable(operation, &keys.sessions(), |mut connection| async move {
                invocation.invoke_async(&mut connection).await
            })
            .await?)
    }
}

/// A session record from its ids, its JSON info and its `created_at expires_at last_seen_at` field.
fn record_from(session_id: &str, user_id: &UserId, info: &str, times: &str) -> Result<SessionRecord, StoreError> {
    let info: SessionInfo =
        serde_json::from_str(info).map_err(|_| StoreError::Corrupt("a session's info is not JSON".into()))?;
    let live = times_from(times)?;
    Ok(SessionRecord {
        session_id: session_id.to_owned(),
        user_id: user_id.as_str().to_owned(),
        username: info.username,
        amr: info.amr,
        created_at: live.created_at,
        expires_at: live.expires_at,
        last_seen_at: live.last_seen_at,
        user_agent: info.user_agent,
        ip: info.ip,
    })
}

fn times_from(times: &str) -> Result<LiveSession, StoreError> {
    let mut numbers = times.split(' ').map(str::parse::<i64>);
    match (numbers.next(), numbers.next(), numbers.next(), numbers.next()) {
        (Some(Ok(created_at)), Some(Ok(expires_at)), Some(Ok(last_seen_at)), None) => {
            Ok(LiveSession { created_at, expires_at, last_seen_at })
        }
        _ => Err(StoreError::Corrupt("a session's times are malformed".into())),
    }
}

impl SessionStore for RedisSessionStore {
    async fn create(&self, session: NewSession) -> Result<SessionRecord, StoreError> {
        let keys = self.keys(&session.user_id);
        let info = serde_json::to_string(&SessionInfo {
            username: session.username.clone(),
            amr: session.amr.clone(),
            user_agent: session.user_agent.clone(),
            ip: session.ip.clone(),
        })
        .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        let mut invocation = CREATE.prepare_invoke();
        invocation
            .key(keys.sessions())
            .key(keys.index())
            .arg(session.session_id.as_str())
            .arg(info)
            .arg(session.now)
            .arg(session.expires_at)
            .arg(session.refresh_hash.as_str())
            .arg(self.max_sessions.get());
        let ended: Vec<String> = self.write("create_session", &keys, invocation).await?;
        if !ended.is_empty() {
            tracing::info!(
                ended = ended.len(),
                "least recently used sessions ended to stay within MAX_SESSIONS_PER_USER"
            );
            self.delete_rotated_lists(&keys, &ended).await;
        }
        Ok(session.record())
    }

    async fn rotate(&self, rotation: Rotation) -> Result<RotationResult, StoreError> {
        let presented = &rotation.presented;
        let keys = self.keys(&presented.user_id);
        let mut invocation = ROTATE.prepare_invoke();
        invocation
            .key(keys.sessions())
            .key(keys.index())
            .key(keys.rotated(&presented.session_id))
            .arg(presented.session_id.as_str())
            .arg(presented.hash.as_str())
            .arg(rotation.successor.as_str())
            .arg(rotation.sealed_successor.as_deref().unwrap_or_default())
            .arg(rotation.now)
            .arg(rotation.ttl_seconds)
            .arg(rotation.max_lifetime_seconds)
            .arg(rotation.grace_seconds)
            .arg(ROTATED_KEPT);
        let answer: Vec<String> = self.write("rotate_refresh", &keys, invocation).await?;
        let record =
            |info: &str, times: &str| record_from(presented.session_id.as_str(), &presented.user_id, info, times);
        match answer.as_slice() {
            [outcome, info, times] if outcome == "rotated" => Ok(RotationResult::Rotated(record(info, times)?)),
            [outcome, info, times, sealed] if outcome == "grace" => {
                Ok(RotationResult::Grace { session: record(info, times)?, sealed_successor: sealed.clone() })
            }
            [outcome] if outcome == "unknown" => Ok(RotationResult::Unknown),
            [outcome] if outcome == "reused" => Ok(RotationResult::Reused),
            _ => Err(StoreError::Corrupt("unexpected rotation answer".into())),
        }
    }

    async fn touch(
        &self,
        session_id: &SessionId,
        user_id: &UserId,
        jti: &Jti,
        now: i64,
        record_activity: bool,
    ) -> Result<Option<LiveSession>, StoreError> {
        let keys = self.keys(user_id);
        // Every request behind the gateway lands here, and records activity at most once a second: the
        // check is two plain reads in one round trip, cheaper for Redis than a script (under `make bench`,
        // 7 µs of Redis CPU per verify with the script). Not atomic, and needs not be: a revocation or an
        // ending between the two reads is one that came just after the check.
        let mut check = redis::pipe();
        check.exists(keys.revoked(jti)).hget(keys.sessions(), format!("{}:t", session_id.as_str()));
        let (revoked, times): (bool, Option<String>) = self
            .pool
            .run("read_session", |mut connection| async move { check.query_async(&mut connection).await })
            .await?;
        let session = match (revoked, times) {
            (false, Some(times)) => times_from(&times)?,
            _ => return Ok(None),
        };
        if session.expires_at <= now {
            return Ok(None);
        }
        if !record_activity || session.last_seen_at >= now {
            return Ok(Some(session));
        }
        // The script checks again and records the activity atomically, so that it never writes into a
        // session that ended meanwhile.
        let mut invocation = TOUCH.prepare_invoke();
        invocation.key(keys.sessions()).key(keys.revoked(jti)).key(keys.index()).arg(session_id.as_str()).arg(now);
        // Only `last_seen_at` and the session's place in the LRU order change here: losing that to a
        // failover costs nothing, so the hot path never waits for a replica.
        let answer: Option<Vec<i64>> = self.run("touch_session", invocation).await?;
        match answer.as_deref() {
            None => Ok(None),
            Some([created_at, expires_at, last_seen_at]) => {
                Ok(Some(LiveSession { created_at: *created_at, expires_at: *expires_at, last_seen_at: *last_seen_at }))
            }
            Some(_) => Err(StoreError::Corrupt("unexpected touch answer".into())),
        }
    }

    async fn list(&self, user_id: &UserId, now: i64) -> Result<Vec<SessionRecord>, StoreError> {
        let keys = self.keys(user_id);
        let mut invocation = LIST.prepare_invoke();
        invocation.key(keys.sessions()).key(keys.index()).arg(now);
        let flat: Vec<String> = self.run("list_sessions", invocation).await?;
        let mut sessions = flat
            .chunks(3)
            .map(|chunk| match chunk {
                [session_id, info, times] => record_from(session_id, user_id, info, times),
                _ => Err(StoreError::Corrupt("unexpected list answer".into())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        sessions.sort_by_key(|session| session.created_at);
        Ok(sessions)
    }

    async fn end(&self, user_id: &UserId, session_id: &SessionId) -> Result<bool, StoreError> {
        let keys = self.keys(user_id);
        let mut invocation = END.prepare_invoke();
        invocation
            .key(keys.sessions())
            .key(keys.index())
            .key(keys.rotated(session_id))
            .arg(session_id.as_str())
            .arg(auth_proto::clock::now());
        let ended: i64 = self.write("end_session", &keys, invocation).await?;
        Ok(ended == 1)
    }

    async fn end_all(&self, user_id: &UserId) -> Result<u64, StoreError> {
        let keys = self.keys(user_id);
        let mut invocation = END_ALL.prepare_invoke();
        invocation.key(keys.sessions()).key(keys.index()).arg(auth_proto::clock::now());
        let ended: Vec<String> = self.write("end_all_sessions", &keys, invocation).await?;
        self.delete_rotated_lists(&keys, &ended).await;
        Ok(ended.len() as u64)
    }

    async fn find_by_refresh(&self, refresh: &RefreshRef, now: i64) -> Result<Option<SessionRecord>, StoreError> {
        let keys = self.keys(&refresh.user_id);
        let mut invocation = FIND_BY_REFRESH.prepare_invoke();
        invocation.key(keys.sessions()).arg(refresh.session_id.as_str()).arg(refresh.hash.as_str()).arg(now);
        let fields: Option<Vec<String>> = self.run("find_by_refresh", invocation).await?;
        match fields.as_deref() {
            None => Ok(None),
            Some([info, times]) => record_from(refresh.session_id.as_str(), &refresh.user_id, info, times).map(Some),
            Some(_) => Err(StoreError::Corrupt("unexpected lookup answer".into())),
        }
    }

    async fn end_by_refresh(&self, refresh: &RefreshRef) -> Result<u64, StoreError> {
        let keys = self.keys(&refresh.user_id);
        let mut invocation = END_BY_REFRESH.prepare_invoke();
        invocation
            .key(keys.sessions())
            .key(keys.index())
            .key(keys.rotated(&refresh.session_id))
            .arg(refresh.session_id.as_str())
            .arg(refresh.hash.as_str())
            .arg(auth_proto::clock::now());
        self.write("end_by_refresh", &keys, invocation).await
    }

    async fn revoke_access(&self, user_id: &UserId, jti: &Jti, expires_at: i64, now: i64) -> Result<(), StoreError> {
        let until = expires_at.saturating_add(REVOCATION_MARGIN_SECONDS);
        if until <= now {
            return Ok(());
        }
        let keys = self.keys(user_id);
        let mut invocation = REVOKE.prepare_invoke();
        invocation.key(keys.revoked(jti)).arg(until);
        let _: i64 = self.write("revoke_access", &keys, invocation).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.pool.ping().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_only_in_their_one_shape() {
        assert_eq!(times_from("1 2 3").unwrap(), LiveSession { created_at: 1, expires_at: 2, last_seen_at: 3 });
        for bad in ["", "1 2", "1 2 3 4", "1 x 3", "1  2 3"] {
            assert!(times_from(bad).is_err(), "{bad}");
        }
    }

    /// Redis Cluster needs every key a script touches to be passed in `KEYS` (a key built inside Lua may
    /// live on another node). A one-node cluster only catches declared keys in different slots, so this
    /// reads the scripts: every command's key is `KEYS[n]`, or a local bound to `KEYS[n]` once at the top.
    #[test]
    fn every_key_a_script_touches_comes_from_keys() {
        let aliases = [("h", "KEYS[1]"), ("idx", "KEYS[2]"), ("rotated", "KEYS[3]")];
        for (name, source) in SOURCES {
            let is_key = |arg: &str| {
                // `key` is the loop variable of `for _, key in ipairs({h, idx})`.
                let looped = arg == "key" && source.contains("for _, key in ipairs({h, idx}) do");
                arg.starts_with("KEYS[") || aliases.iter().any(|(alias, _)| *alias == arg) || looped
            };
            for call in source.split("redis.call(").skip(1) {
                let args: Vec<&str> = call.split(')').next().unwrap_or_default().split(',').map(str::trim).collect();
                let command = args.first().copied().unwrap_or_default();
                // Commands whose every argument is a key; the others take one key first.
                let keys = if ["'DEL'", "'EXISTS'"].contains(&command) { args.get(1..) } else { args.get(1..2) };
                for key in keys.unwrap_or_default() {
                    assert!(is_key(key), "{name}: {command} on {key}");
                }
            }
            for line in source.lines().filter(|line| line.starts_with("local h") || line.starts_with("local idx")) {
                let (names, values) = line.trim_start_matches("local ").split_once(" = ").unwrap_or_default();
                for (bound, value) in names.split(", ").zip(values.split(", ")) {
                    if let Some((_, expected)) = aliases.iter().find(|(alias, _)| *alias == bound) {
                        assert_eq!(value, *expected, "{name}: {line}");
                    }
                }
            }
            assert!(
                !["KEYS[1] ..", "KEYS[2] ..", "KEYS[3] .."].iter().any(|built| source.contains(built)),
                "{name} builds a key"
            );
        }
    }
}
