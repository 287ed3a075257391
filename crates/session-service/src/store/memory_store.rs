//! Sessions in process memory, for `APP_ENV=dev` without Redis and for unit tests. Same rules as the
//! Redis store (see the module docs of `store`), in the same shape: a map of sessions per user, ordered
//! for the cap by a use counter (Redis uses its clock in microseconds to the same effect). One mutex makes
//! each operation atomic. Expired entries are ignored on read and swept on every
//! session creation.

use super::{
    LiveSession, MaxSessions, NewSession, REVOCATION_MARGIN_SECONDS, ROTATED_KEPT, RefreshRef, Rotation,
    RotationResult, SessionStore, StoreError,
};
use crate::domain::jti::Jti;
use crate::domain::session_id::SessionId;
use crate::domain::user_id::UserId;
use auth_proto::internal::SessionRecord;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// The token rotated last, kept with a grace window so that a retry gets the same successor back.
#[derive(Debug, Clone)]
struct Previous {
    hash: String,
    rotated_at: i64,
    sealed_successor: String,
}

#[derive(Debug, Clone)]
struct StoredSession {
    record: SessionRecord,
    current: String,
    previous: Option<Previous>,
    /// The last `ROTATED_KEPT` rotated hashes, oldest first.
    rotated: VecDeque<String>,
    /// When the session was last used, in [`State::uses`]: the least recently used has the smallest.
    last_used: u64,
}

impl StoredSession {
    fn is_live(&self, now: i64) -> bool {
        self.record.expires_at > now
    }

    fn knows(&self, hash: &str) -> bool {
        self.current == hash || self.rotated.iter().any(|rotated| rotated == hash)
    }
}

/// One user's sessions by id.
type UserSessions = HashMap<String, StoredSession>;

#[derive(Debug, Default)]
struct State {
    users: HashMap<String, UserSessions>,
    /// (user id, jti) → refused until.
    revoked: HashMap<(String, String), i64>,
    /// Counts every use of any session: opening, rotating, a touch that records activity.
    uses: u64,
}

impl State {
    fn next_use(&mut self) -> u64 {
        self.uses += 1;
        self.uses
    }

    fn sessions(&mut self, user_id: &UserId) -> Option<&mut UserSessions> {
        self.users.get_mut(user_id.as_str())
    }

    fn sweep(&mut self, now: i64) {
        for sessions in self.users.values_mut() {
            sessions.retain(|_, session| session.is_live(now));
        }
        self.users.retain(|_, sessions| !sessions.is_empty());
        self.revoked.retain(|_, until| *until > now);
    }
}

#[derive(Debug, Clone)]
pub struct MemorySessionStore {
    state: Arc<Mutex<State>>,
    max_sessions: MaxSessions,
}

impl Default for MemorySessionStore {
    fn default() -> Self {
        Self::new(MaxSessions::DEFAULT)
    }
}

impl MemorySessionStore {
    pub fn new(max_sessions: MaxSessions) -> Self {
        Self { state: Arc::default(), max_sessions }
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
        let last_used = state.next_use();
        let sessions = state.users.entry(session.user_id.as_str().to_owned()).or_default();
        let max = self.max_sessions.get() as usize;
        while sessions.len() >= max {
            let least_recent = sessions
                .values()
                .min_by_key(|session| session.last_used)
                .map(|oldest| oldest.record.session_id.clone());
            match least_recent {
                Some(session_id) => sessions.remove(&session_id),
                None => break,
            };
        }
        sessions.insert(
            record.session_id.clone(),
            StoredSession {
                record: record.clone(),
                current: session.refresh_hash.as_str().to_owned(),
                previous: None,
                rotated: VecDeque::new(),
                last_used,
            },
        );
        Ok(record)
    }

    async fn rotate(&self, rotation: Rotation) -> Result<RotationResult, StoreError> {
        let now = rotation.now;
        let presented = &rotation.presented;
        let mut state = self.lock();
        let used = state.next_use();
        let Some(sessions) = state.sessions(&presented.user_id) else { return Ok(RotationResult::Unknown) };
        let Some(session) = sessions.get_mut(presented.session_id.as_str()).filter(|session| session.is_live(now))
        else {
            return Ok(RotationResult::Unknown);
        };
        let hash = presented.hash.as_str();
        if session.current == hash {
            let expires_at = rotation.expires_at(session.record.created_at);
            if expires_at <= now {
                sessions.remove(presented.session_id.as_str());
                return Ok(RotationResult::Unknown);
            }
            session.record.expires_at = expires_at;
            session.record.last_seen_at = now;
            session.last_used = used;
            session.rotated.push_back(hash.to_owned());
            while session.rotated.len() > ROTATED_KEPT {
                session.rotated.pop_front();
            }
            session.previous = rotation
                .sealed_successor
                .filter(|_| rotation.grace_seconds > 0)
                .map(|sealed| Previous { hash: hash.to_owned(), rotated_at: now, sealed_successor: sealed });
            session.current = rotation.successor.as_str().to_owned();
            return Ok(RotationResult::Rotated(session.record.clone()));
        }
        if let Some(previous) = &session.previous
            && rotation.grace_seconds > 0
            && previous.hash == hash
            && now - previous.rotated_at <= rotation.grace_seconds
        {
            return Ok(RotationResult::Grace {
                session: session.record.clone(),
                sealed_successor: previous.sealed_successor.clone(),
            });
        }
        if session.rotated.iter().any(|rotated| rotated == hash) {
            sessions.remove(presented.session_id.as_str());
            return Ok(RotationResult::Reused);
        }
        Ok(RotationResult::Unknown)
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
        let revocation = (user_id.as_str().to_owned(), jti.as_str().to_owned());
        if state.revoked.get(&revocation).is_some_and(|until| *until > now) {
            return Ok(None);
        }
        let used = state.next_use();
        let Some(session) = state
            .sessions(user_id)
            .and_then(|sessions| sessions.get_mut(session_id.as_str()))
            .filter(|session| session.is_live(now))
        else {
            return Ok(None);
        };
        if record_activity && session.record.last_seen_at < now {
            session.record.last_seen_at = now;
            session.last_used = used;
        }
        Ok(Some(LiveSession {
            created_at: session.record.created_at,
            expires_at: session.record.expires_at,
            last_seen_at: session.record.last_seen_at,
        }))
    }

    async fn list(&self, user_id: &UserId, now: i64) -> Result<Vec<SessionRecord>, StoreError> {
        let mut state = self.lock();
        let mut sessions: Vec<SessionRecord> = state
            .sessions(user_id)
            .map(|sessions| {
                sessions.values().filter(|session| session.is_live(now)).map(|session| session.record.clone()).collect()
            })
            .unwrap_or_default();
        sessions.sort_by_key(|session| session.created_at);
        Ok(sessions)
    }

    async fn end(&self, user_id: &UserId, session_id: &SessionId) -> Result<bool, StoreError> {
        let now = auth_proto::clock::now();
        let mut state = self.lock();
        let removed = state.sessions(user_id).and_then(|sessions| sessions.remove(session_id.as_str()));
        Ok(removed.is_some_and(|session| session.is_live(now)))
    }

    async fn end_all(&self, user_id: &UserId) -> Result<u64, StoreError> {
        let now = auth_proto::clock::now();
        let removed = self.lock().users.remove(user_id.as_str()).unwrap_or_default();
        Ok(removed.values().filter(|session| session.is_live(now)).count() as u64)
    }

    async fn find_by_refresh(&self, refresh: &RefreshRef, now: i64) -> Result<Option<SessionRecord>, StoreError> {
        let mut state = self.lock();
        Ok(state
            .sessions(&refresh.user_id)
            .and_then(|sessions| sessions.get(refresh.session_id.as_str()))
            .filter(|session| session.is_live(now) && session.current == refresh.hash.as_str())
            .map(|session| session.record.clone()))
    }

    async fn end_by_refresh(&self, refresh: &RefreshRef) -> Result<u64, StoreError> {
        let now = auth_proto::clock::now();
        let mut state = self.lock();
        let Some(sessions) = state.sessions(&refresh.user_id) else { return Ok(0) };
        if !sessions.get(refresh.session_id.as_str()).is_some_and(|session| session.knows(refresh.hash.as_str())) {
            return Ok(0);
        }
        let removed = sessions.remove(refresh.session_id.as_str());
        Ok(u64::from(removed.is_some_and(|session| session.is_live(now))))
    }

    async fn revoke_access(&self, user_id: &UserId, jti: &Jti, expires_at: i64, now: i64) -> Result<(), StoreError> {
        let until = expires_at.saturating_add(REVOCATION_MARGIN_SECONDS);
        if until > now {
            self.lock().revoked.insert((user_id.as_str().to_owned(), jti.as_str().to_owned()), until);
        }
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
