//! Session storage behind one trait, with a Redis implementation (production) and an in-memory one
//! (`dev` and unit tests). Both keep the same rules:
//!
//! - a session lives until `expires_at`; every rotation moves `expires_at` to now + the refresh lifetime
//!   (a sliding session), and nothing is kept past it;
//! - a refresh-token family is the session: the current token's hash is `current`, every earlier one is
//!   `rotated`; presenting a rotated hash ends the session, except within the grace window while its
//!   successor is still current, when the same sealed successor is handed back;
//! - rotation and reuse detection are atomic (one Lua script in Redis, one lock in memory);
//! - the hot-path check (`touch`) is one round trip: session alive, owned by the user, jti not revoked.

pub mod memory_store;
pub mod redis_store;

use crate::domain::jti::Jti;
use crate::domain::refresh_hash::RefreshHash;
use crate::domain::session_id::SessionId;
use crate::domain::user_id::UserId;
use auth_proto::internal::SessionRecord;
use std::future::Future;

/// Why the store could not answer; always a 503 for the client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Redis(#[from] redis_kit::RedisError),
    #[error("the store answered something unexpected: {0}")]
    Corrupt(String),
}

/// A session to open.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub username: String,
    pub amr: Vec<String>,
    pub refresh_hash: RefreshHash,
    pub now: i64,
    pub expires_at: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl NewSession {
    /// The record of the session as just opened.
    pub fn record(&self) -> SessionRecord {
        SessionRecord {
            session_id: self.session_id.as_str().to_owned(),
            user_id: self.user_id.as_str().to_owned(),
            username: self.username.clone(),
            amr: self.amr.clone(),
            created_at: self.now,
            expires_at: self.expires_at,
            last_seen_at: self.now,
            user_agent: self.user_agent.clone(),
            ip: self.ip.clone(),
        }
    }
}

/// A refresh to perform: the presented token's hash and its would-be successor.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub presented: RefreshHash,
    pub successor: RefreshHash,
    /// Kept only with a grace window, to be handed back to a retry within it.
    pub sealed_successor: Option<String>,
    pub now: i64,
    pub ttl_seconds: i64,
    pub grace_seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotationResult {
    Rotated(SessionRecord),
    /// The presented token was rotated moments ago and its successor is still current.
    Grace {
        session: SessionRecord,
        sealed_successor: String,
    },
    /// No such token (never issued, expired, or its session ended).
    Unknown,
    /// A rotated token came back: treated as theft, the session is now ended.
    Reused,
}

/// What the hot path learns of a live session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveSession {
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen_at: i64,
}

pub trait SessionStore: Clone + Send + Sync + 'static {
    fn create(&self, session: NewSession) -> impl Future<Output = Result<SessionRecord, StoreError>> + Send;

    fn rotate(&self, rotation: Rotation) -> impl Future<Output = Result<RotationResult, StoreError>> + Send;

    /// The session if it is alive, belongs to `user_id` and `jti` is not revoked; with `record_activity`
    /// its `last_seen_at` moves to `now`.
    fn touch(
        &self,
        session_id: &SessionId,
        user_id: &UserId,
        jti: &Jti,
        now: i64,
        record_activity: bool,
    ) -> impl Future<Output = Result<Option<LiveSession>, StoreError>> + Send;

    /// The user's live sessions, oldest first.
    fn list(&self, user_id: &UserId, now: i64) -> impl Future<Output = Result<Vec<SessionRecord>, StoreError>> + Send;

    /// Ends one session if it belongs to `user_id`; false if there is no such session of that user.
    fn end(&self, user_id: &UserId, session_id: &SessionId) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Ends every session of the user; returns how many were live.
    fn end_all(&self, user_id: &UserId) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The live session whose current refresh token has this hash.
    fn find_by_refresh(
        &self,
        hash: &RefreshHash,
        now: i64,
    ) -> impl Future<Output = Result<Option<SessionRecord>, StoreError>> + Send;

    /// Ends the session of a refresh-token hash, current or rotated; returns how many ended (0 or 1).
    fn end_by_refresh(&self, hash: &RefreshHash) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Refuses the access token `jti` until `expires_at`.
    fn revoke_access(
        &self,
        jti: &Jti,
        expires_at: i64,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The amr list is stored as one comma-separated field.
pub(crate) fn join_amr(amr: &[String]) -> String {
    amr.join(",")
}

pub(crate) fn split_amr(amr: &str) -> Vec<String> {
    amr.split(',').filter(|part| !part.is_empty()).map(str::to_owned).collect()
}

/// Revocations outlive the token by the verification skew, so a token within its skew stays refused.
pub(crate) const REVOCATION_MARGIN_SECONDS: i64 = auth_jwt::verify::CLOCK_SKEW_SECONDS as i64;
