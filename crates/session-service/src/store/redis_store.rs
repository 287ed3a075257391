//! Sessions in Redis. Layout, under a prefix (default `session:`):
//!
//! - `s:{sid}`: hash of the session (user_id, username, amr, created_at, expires_at, last_seen_at,
//!   user_agent, ip, refresh = hash of the current refresh token), expiring at `expires_at`;
//! - `u:{user_id}`: sorted set of the user's session ids scored by `expires_at`;
//! - `r:{hash}`: hash of one refresh token (sid, state `current`|`rotated`, successor, sealed successor,
//!   rotated_at), expiring with its session;
//! - `j:{jti}`: a revoked access token, expiring when the token would have.
//!
//! Every multi-key change is one Lua script, so it is atomic and one round trip. The scripts build keys
//! from the prefix, so they need a single Redis node (or Sentinel), not Redis Cluster.

use super::{
    LiveSession, NewSession, REVOCATION_MARGIN_SECONDS, Rotation, RotationResult, SessionStore, StoreError, join_amr,
    split_amr,
};
use crate::domain::jti::Jti;
use crate::domain::refresh_hash::RefreshHash;
use crate::domain::session_id::SessionId;
use crate::domain::user_id::UserId;
use auth_proto::internal::SessionRecord;
use redis::Script;
use redis_kit::RedisPool;
use std::sync::{Arc, LazyLock};

static CREATE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/create.lua")));
static ROTATE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/rotate.lua")));
static TOUCH: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/touch.lua")));
static LIST: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/list.lua")));
static END: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/end.lua")));
static END_ALL: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/end_all.lua")));
static FIND_BY_REFRESH: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/find_by_refresh.lua")));
static END_BY_REFRESH: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/end_by_refresh.lua")));

/// Fields per session record in script answers.
const RECORD_FIELDS: usize = 9;

#[derive(Debug, Clone)]
pub struct RedisSessionStore {
    pool: RedisPool,
    prefix: Arc<str>,
}

impl RedisSessionStore {
    pub const DEFAULT_PREFIX: &'static str = "session:";

    pub fn new(pool: RedisPool) -> Self {
        Self::with_prefix(pool, Self::DEFAULT_PREFIX)
    }

    pub fn with_prefix(pool: RedisPool, prefix: &str) -> Self {
        Self { pool, prefix: Arc::from(prefix) }
    }

    fn session_key(&self, session_id: &SessionId) -> String {
        format!("{}s:{session_id}", self.prefix)
    }

    fn user_key(&self, user_id: &UserId) -> String {
        format!("{}u:{user_id}", self.prefix)
    }

    fn refresh_key(&self, hash: &RefreshHash) -> String {
        format!("{}r:{}", self.prefix, hash.as_str())
    }

    fn revoked_key(&self, jti: &Jti) -> String {
        format!("{}j:{jti}", self.prefix)
    }
}

fn record_from(fields: &[String]) -> Result<SessionRecord, StoreError> {
    let [session_id, user_id, username, amr, created_at, expires_at, last_seen_at, user_agent, ip] = fields else {
        return Err(StoreError::Corrupt(format!("a session record has {} fields", fields.len())));
    };
    let number = |value: &str| value.parse::<i64>().map_err(|_| StoreError::Corrupt("a time is not a number".into()));
    let optional = |value: &String| (!value.is_empty()).then(|| value.clone());
    Ok(SessionRecord {
        session_id: session_id.clone(),
        user_id: user_id.clone(),
        username: username.clone(),
        amr: split_amr(amr),
        created_at: number(created_at)?,
        expires_at: number(expires_at)?,
        last_seen_at: number(last_seen_at)?,
        user_agent: optional(user_agent),
        ip: optional(ip),
    })
}

impl SessionStore for RedisSessionStore {
    async fn create(&self, session: NewSession) -> Result<SessionRecord, StoreError> {
        let mut invocation = CREATE.prepare_invoke();
        invocation
            .key(self.session_key(&session.session_id))
            .key(self.user_key(&session.user_id))
            .key(self.refresh_key(&session.refresh_hash))
            .arg(session.session_id.as_str())
            .arg(session.user_id.as_str())
            .arg(&session.username)
            .arg(join_amr(&session.amr))
            .arg(session.now)
            .arg(session.expires_at)
            .arg(session.user_agent.as_deref().unwrap_or_default())
            .arg(session.ip.as_deref().unwrap_or_default())
            .arg(session.refresh_hash.as_str());
        self.pool
            .run(
                "create_session",
                |mut connection| async move { invocation.invoke_async::<i64>(&mut connection).await },
            )
            .await?;
        Ok(session.record())
    }

    async fn rotate(&self, rotation: Rotation) -> Result<RotationResult, StoreError> {
        let mut invocation = ROTATE.prepare_invoke();
        invocation
            .key(self.refresh_key(&rotation.presented))
            .key(self.refresh_key(&rotation.successor))
            .arg(&*self.prefix)
            .arg(rotation.now)
            .arg(rotation.ttl_seconds)
            .arg(rotation.grace_seconds)
            .arg(rotation.successor.as_str())
            .arg(rotation.sealed_successor.as_deref().unwrap_or_default())
            .arg(rotation.presented.as_str());
        let answer: Vec<String> = self
            .pool
            .run("rotate_refresh", |mut connection| async move {
                invocation.invoke_async::<Vec<String>>(&mut connection).await
            })
            .await?;
        match answer.split_first() {
            Some((outcome, rest)) if outcome == "rotated" => Ok(RotationResult::Rotated(record_from(rest)?)),
            Some((outcome, rest)) if outcome == "grace" && rest.len() == RECORD_FIELDS + 1 => {
                Ok(RotationResult::Grace {
                    session: record_from(&rest[..RECORD_FIELDS])?,
                    sealed_successor: rest[RECORD_FIELDS].clone(),
                })
            }
            Some((outcome, _)) if outcome == "unknown" => Ok(RotationResult::Unknown),
            Some((outcome, _)) if outcome == "reused" => Ok(RotationResult::Reused),
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
        let mut invocation = TOUCH.prepare_invoke();
        invocation
            .key(self.session_key(session_id))
            .key(self.revoked_key(jti))
            .arg(user_id.as_str())
            .arg(now)
            .arg(if record_activity { "1" } else { "0" });
        let answer: Option<Vec<i64>> = self
            .pool
            .run("touch_session", |mut connection| async move {
                invocation.invoke_async::<Option<Vec<i64>>>(&mut connection).await
            })
            .await?;
        match answer.as_deref() {
            None => Ok(None),
            Some([created_at, expires_at, last_seen_at]) => {
                Ok(Some(LiveSession { created_at: *created_at, expires_at: *expires_at, last_seen_at: *last_seen_at }))
            }
            Some(_) => Err(StoreError::Corrupt("unexpected touch answer".into())),
        }
    }

    async fn list(&self, user_id: &UserId, now: i64) -> Result<Vec<SessionRecord>, StoreError> {
        let mut invocation = LIST.prepare_invoke();
        invocation.key(self.user_key(user_id)).arg(&*self.prefix).arg(now);
        let flat: Vec<String> = self
            .pool
            .run("list_sessions", |mut connection| async move {
                invocation.invoke_async::<Vec<String>>(&mut connection).await
            })
            .await?;
        let mut sessions = flat.chunks(RECORD_FIELDS).map(record_from).collect::<Result<Vec<_>, _>>()?;
        sessions.sort_by_key(|session| session.created_at);
        Ok(sessions)
    }

    async fn end(&self, user_id: &UserId, session_id: &SessionId) -> Result<bool, StoreError> {
        let mut invocation = END.prepare_invoke();
        invocation
            .key(self.session_key(session_id))
            .key(self.user_key(user_id))
            .arg(&*self.prefix)
            .arg(user_id.as_str())
            .arg(session_id.as_str());
        let ended: i64 = self
            .pool
            .run("end_session", |mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(ended == 1)
    }

    async fn end_all(&self, user_id: &UserId) -> Result<u64, StoreError> {
        let mut invocation = END_ALL.prepare_invoke();
        invocation.key(self.user_key(user_id)).arg(&*self.prefix);
        let ended: u64 = self
            .pool
            .run("end_all_sessions", |mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(ended)
    }

    async fn find_by_refresh(&self, hash: &RefreshHash, now: i64) -> Result<Option<SessionRecord>, StoreError> {
        let mut invocation = FIND_BY_REFRESH.prepare_invoke();
        invocation.key(self.refresh_key(hash)).arg(&*self.prefix).arg(now);
        let fields: Option<Vec<String>> = self
            .pool
            .run("find_by_refresh", |mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        fields.as_deref().map(record_from).transpose()
    }

    async fn end_by_refresh(&self, hash: &RefreshHash) -> Result<u64, StoreError> {
        let mut invocation = END_BY_REFRESH.prepare_invoke();
        invocation.key(self.refresh_key(hash)).arg(&*self.prefix);
        let ended: u64 = self
            .pool
            .run("end_by_refresh", |mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(ended)
    }

    async fn revoke_access(&self, jti: &Jti, expires_at: i64, now: i64) -> Result<(), StoreError> {
        let until = expires_at.saturating_add(REVOCATION_MARGIN_SECONDS);
        if until <= now {
            return Ok(());
        }
        let key = self.revoked_key(jti);
        self.pool
            .run("revoke_access", |mut connection| async move {
                redis::cmd("SET").arg(key).arg(1).arg("EXAT").arg(until).query_async::<()>(&mut connection).await
            })
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.pool.ping().await?)
    }
}
