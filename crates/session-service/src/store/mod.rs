//! Session storage behind one trait, with a Redis implementation (production) and an in-memory one
//! (`dev` and unit tests). Both keep the same rules:
//!
//! - a session lives until `expires_at`; every rotation moves `expires_at` to now + the refresh lifetime
//!   (a sliding session), but never past `created_at` + the maximum lifetime the caller gives, and
//!   nothing is kept past it;
//! - a refresh-token family is the session: the current token's hash is current, earlier ones are
//!   rotated (the last [`ROTATED_KEPT`] of them are remembered); presenting a rotated hash ends the
//!   session, except within the grace window while its successor is still current, when the same sealed
//!   successor is handed back; a hash the session never had is merely unknown (it ends nothing);
//! - a refresh token is found through its session: the caller names the user and session it belongs to
//!   (the token service carries both in the token), so no lookup by hash alone is ever needed;
//! - a user holds at most [`MaxSessions`] live sessions: opening one more ends the least recently used
//!   (created, refreshed or seen by `touch` longest ago), atomically, so concurrent opens never leave more;
//! - rotation and reuse detection are atomic (one Lua script in Redis, one lock in memory);
//! - the hot-path check (`touch`) is one round trip: session alive, owned by the user, jti not revoked.

pub mod keys;
pub mod memory_store;
pub mod redis_store;

use crate::domain::jti::Jti;
pub use crate::domain::max_sessions::MaxSessions;
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

/// How many rotated refresh-token hashes a session remembers for reuse detection. A token older than
/// that many rotations is refused as unknown rather than ending the session; the bound keeps a client
/// that refreshes in a loop from growing its session without limit.
pub const ROTATED_KEPT: usize = 100;

/// Where a refresh token's session lives: the user and session the token service reads from the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRef {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub hash: RefreshHash,
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

/// A refresh to perform: the presented token (its session and hash) and its would-be successor.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub presented: RefreshRef,
    pub successor: RefreshHash,
    /// Kept only with a grace window, to be handed back to a retry within it.
    pub sealed_successor: Option<String>,
    pub now: i64,
    pub ttl_seconds: i64,
    /// No rotation moves `expires_at` past `created_at` plus this.
    pub max_lifetime_seconds: i64,
    pub grace_seconds: i64,
}

impl Rotation {
    /// The session's new end: the refresh lifetime from now, capped by its maximum lifetime.
    pub fn expires_at(&self, created_at: i64) -> i64 {
        (self.now + self.ttl_seconds).min(created_at.saturating_add(self.max_lifetime_seconds))
    }
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
    /// Opens the session; at the user's cap, first ends their least recently used session(s).
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

    /// The live session whose current refresh token this is.
    fn find_by_refresh(
        &self,
        refresh: &RefreshRef,
        now: i64,
    ) -> impl Future<Output = Result<Option<SessionRecord>, StoreError>> + Send;

    /// Ends the session of a refresh token, current or rotated; returns how many ended (0 or 1).
    fn end_by_refresh(&self, refresh: &RefreshRef) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Refuses the access token `jti` of `user_id` until `expires_at`.
    fn revoke_access(
        &self,
        user_id: &UserId,
        jti: &Jti,
        expires_at: i64,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Revocations outlive the token by the verification skew, so a token within its skew stays refused.
pub(crate) const REVOCATION_MARGIN_SECONDS: i64 = auth_jwt::verify::CLOCK_SKEW_SECONDS as i64;
