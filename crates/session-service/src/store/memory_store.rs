//! Sessions in process memory, for `APP_ENV=dev` without Redis and for unit tests. Same rules as the
//! Redis store (see the module docs of `store`); one mutex makes each operation atomic. Expired entries are
//! ignored on read and swept on every session creation.

use super::{LiveSession, NewSession, REVOCATION_MARGIN_SECONDS, Rotation, RotationResult, SessionStore, StoreError};
use crate::domain::jti::Jti;
use crate::domain::refresh_hash::RefreshHash;
use crate::domain::session_id::SessionId;
use crate::domain::user_id::UserId;
use auth_proto::internal::SessionRecord;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Clone)]
enum TokenState {
    Current,
    Rotated { successor: String, sealed_successor: Option<String>, rotated_at: i64 },
}

#[derive(Debug, Clone)]
struct RefreshEntry {
    session_id: String,
    state: TokenState,
    expires_at: i64,
}

#[derive(Debug, Clone)]
struct StoredSession {
    record: SessionRecord,
    refresh: String,
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<String, StoredSession>,
    refresh_tokens: HashMap<String, RefreshEntry>,
    revoked: HashMap<String, i64>,
}

impl State {
    fn live_session(&self, session_id: &str, now: i64) -> Option<&StoredSession> {
        self.sessions.get(session_id).filter(|session| session.record.expires_at > now)
    }

    fn remove_session(&mut self, session_id: &str) -> bool {
        match self.sessions.remove(session_id) {
            Some(session) => {
                self.refresh_tokens.remove(&session.refresh);
                true
            }
            None => false,
        }
    }

    fn sweep(&mut self, now: i64) {
        self.sessions.retain(|_, session| session.record.expires_at > now);
        self.refresh_tokens.retain(|_, entry| entry.expires_at > now);
        self.revoked.retain(|_, until| *until > now);
    }
}

#[derive(Debug, Clone, Default)]
pub struct MemorySessionStore {
    state: Arc<Mutex<State>>,
}

impl MemorySessionStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain maps behind, still consistent enough to serve dev.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SessionStore for MemorySessionStore {
    async fn create(&self, session: NewSession) -> Result<SessionRecord, StoreError> {
        let record = session.record();
        let mut state = self.lock();
        state.sweep(session.now);
        state.refresh_tokens.insert(
            session.refresh_hash.as_str().to_owned(),
            RefreshEntry {
                session_id: record.session_id.clone(),
                state: TokenState::Current,
                expires_at: record.expires_at,
            },
        );
        state.sessions.insert(
            record.session_id.clone(),
            StoredSession { record: record.clone(), refresh: session.refresh_hash.as_str().to_owned() },
        );
        Ok(record)
    }

    async fn rotate(&self, rotation: Rotation) -> Result<RotationResult, StoreError> {
        let now = rotation.now;
        let mut state = self.lock();
        let Some(entry) = state.refresh_tokens.get(rotation.presented.as_str()).filter(|e| e.expires_at > now).cloned()
        else {
            return Ok(RotationResult::Unknown);
        };
        let Some(session) = state.live_session(&entry.session_id, now).cloned() else {
            return Ok(RotationResult::Unknown);
        };
        match entry.state {
            TokenState::Current if session.refresh == rotation.presented.as_str() => {
                let expires_at = now + rotation.ttl_seconds;
                let mut record = session.record;
                record.expires_at = expires_at;
                record.last_seen_at = now;
                state.refresh_tokens.insert(
                    rotation.presented.as_str().to_owned(),
                    RefreshEntry {
                        session_id: record.session_id.clone(),
                        state: TokenState::Rotated {
                            successor: rotation.successor.as_str().to_owned(),
                            sealed_successor: rotation.sealed_successor,
                            rotated_at: now,
                        },
                        expires_at,
                    },
                );
                state.refresh_tokens.insert(
                    rotation.successor.as_str().to_owned(),
                    RefreshEntry { session_id: record.session_id.clone(), state: TokenState::Current, expires_at },
                );
                state.sessions.insert(
                    record.session_id.clone(),
                    StoredSession { record: record.clone(), refresh: rotation.successor.as_str().to_owned() },
                );
                Ok(RotationResult::Rotated(record))
            }
            TokenState::Rotated { successor, sealed_successor: Some(sealed_successor), rotated_at }
                if rotation.grace_seconds > 0
                    && now - rotated_at <= rotation.grace_seconds
                    && session.refresh == successor =>
            {
                Ok(RotationResult::Grace { session: session.record, sealed_successor })
            }
            _ => {
                state.remove_session(&entry.session_id);
                Ok(RotationResult::Reused)
            }
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
        let mut state = self.lock();
        if state.revoked.get(jti.as_str()).is_some_and(|until| *until > now) {
            return Ok(None);
        }
        let Some(session) = state.sessions.get_mut(session_id.as_str()) else { return Ok(None) };
        if session.record.user_id != user_id.as_str() || session.record.expires_at <= now {
            return Ok(None);
        }
        if record_activity && session.record.last_seen_at < now {
            session.record.last_seen_at = now;
        }
        Ok(Some(LiveSession {
            created_at: session.record.created_at,
            expires_at: session.record.expires_at,
            last_seen_at: session.record.last_seen_at,
        }))
    }

    async fn list(&self, user_id: &UserId, now: i64) -> Result<Vec<SessionRecord>, StoreError> {
        let state = self.lock();
        let mut sessions: Vec<SessionRecord> = state
            .sessions
            .values()
            .filter(|session| session.record.user_id == user_id.as_str() && session.record.expires_at > now)
            .map(|session| session.record.clone())
            .collect();
        sessions.sort_by_key(|session| session.created_at);
        Ok(sessions)
    }

    async fn end(&self, user_id: &UserId, session_id: &SessionId) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let owned =
            state.sessions.get(session_id.as_str()).is_some_and(|session| session.record.user_id == user_id.as_str());
        Ok(owned && state.remove_session(session_id.as_str()))
    }

    async fn end_all(&self, user_id: &UserId) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let ids: Vec<String> = state
            .sessions
            .values()
            .filter(|session| session.record.user_id == user_id.as_str())
            .map(|session| session.record.session_id.clone())
            .collect();
        Ok(ids.iter().filter(|id| state.remove_session(id)).count() as u64)
    }

    async fn find_by_refresh(&self, hash: &RefreshHash, now: i64) -> Result<Option<SessionRecord>, StoreError> {
        let state = self.lock();
        let Some(entry) = state.refresh_tokens.get(hash.as_str()) else { return Ok(None) };
        if !matches!(entry.state, TokenState::Current) {
            return Ok(None);
        }
        Ok(state.live_session(&entry.session_id, now).map(|session| session.record.clone()))
    }

    async fn end_by_refresh(&self, hash: &RefreshHash) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let Some(entry) = state.refresh_tokens.remove(hash.as_str()) else { return Ok(0) };
        Ok(u64::from(state.remove_session(&entry.session_id)))
    }

    async fn revoke_access(&self, jti: &Jti, expires_at: i64, now: i64) -> Result<(), StoreError> {
        let until = expires_at.saturating_add(REVOCATION_MARGIN_SECONDS);
        if until > now {
            self.lock().revoked.insert(jti.as_str().to_owned(), until);
        }
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
