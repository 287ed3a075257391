//! The server-side record of a login in progress, keyed by the `state` sent to the provider.
//!
//! `/oauth/login` stores a [`FlowState`] (which provider, the PKCE verifier, the nonce, the optional
//! front-end URL) under a fresh random `state`; `/oauth/callback` takes it back exactly once. Records
//! expire after [`FLOW_STATE_TTL`]. The `state` in the URL is opaque: a tampered one is simply unknown.
//! In Redis (`prod`) a record is `authn:oidc:state:{state}` with a TTL, taken with `GETDEL`, so two
//! callbacks racing with the same state cannot both get it; in memory (`dev`) a mutex does the same.

use crate::error::Error;
use auth_proto::redact::Redacted;
use redis_kit::RedisPool;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a login may take between `/oauth/login` and `/oauth/callback`.
pub const FLOW_STATE_TTL: Duration = Duration::from_secs(600);
pub const FLOW_STATE_KEY_PREFIX: &str = "authn:oidc:state:";
/// Our states are 43 base64url characters; anything unlike one is not looked up.
const MAX_STATE_CHARS: usize = 128;

/// A login in progress. `Debug` leaves the PKCE verifier and the nonce out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowState {
    pub provider: String,
    pub pkce_verifier: String,
    pub nonce: String,
    /// Where the result goes (front-end redirect mode); `None` answers JSON.
    pub frontend_redirect: Option<String>,
    /// SHA-256 of the browser's state cookie ([`crate::oidc::browser_binding`]). Empty in a record
    /// written before the binding existed, which then matches no cookie (the login starts again).
    #[serde(default)]
    pub browser_binding: String,
}

impl fmt::Debug for FlowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowState")
            .field("provider", &self.provider)
            .field("pkce_verifier", &Redacted)
            .field("nonce", &Redacted)
            .field("frontend_redirect", &self.frontend_redirect)
            .field("browser_binding", &Redacted)
            .finish()
    }
}

/// A `state` parameter that could be one of ours: 1–128 base64url characters. It is the key to a login in
/// progress, so `Debug` does not print it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StateKey(String);

impl fmt::Debug for StateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StateKey").field(&Redacted).finish()
    }
}

impl StateKey {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if raw.is_empty() || raw.len() > MAX_STATE_CHARS || !raw.chars().all(base64url) {
            return Err(Error::InvalidState);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn redis_key(&self) -> String {
        format!("{FLOW_STATE_KEY_PREFIX}{}", self.0)
    }
}

/// Where logins in progress are kept.
pub trait FlowStateStore: Send + Sync + 'static {
    /// Stores a record for [`FLOW_STATE_TTL`].
    fn put(&self, state: &StateKey, record: &FlowState) -> impl Future<Output = Result<(), Error>> + Send;

    /// Removes and returns the record: a second call with the same state finds nothing.
    fn take(&self, state: &StateKey) -> impl Future<Output = Result<Option<FlowState>, Error>> + Send;
}

#[derive(Debug, Clone)]
pub struct RedisFlowStateStore {
    pool: RedisPool,
    ttl: Duration,
}

impl RedisFlowStateStore {
    pub fn new(pool: RedisPool) -> Self {
        Self { pool, ttl: FLOW_STATE_TTL }
    }

    /// A store whose records live `ttl` (tests of expiry).
    pub fn with_ttl(pool: RedisPool, ttl: Duration) -> Self {
        Self { pool, ttl }
    }
}

impl FlowStateStore for RedisFlowStateStore {
    async fn put(&self, state: &StateKey, record: &FlowState) -> Result<(), Error> {
        let key = state.redis_key();
        let value = serde_json::to_string(record).map_err(|error| Error::CorruptRecord(error.to_string()))?;
        let millis = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.pool
            .run("put_sso_state", |mut connection| async move {
                redis::cmd("SET").arg(key).arg(value).arg("PX").arg(millis).query_async::<()>(&mut connection).await
            })
            .await?;
        Ok(())
    }

    async fn take(&self, state: &StateKey) -> Result<Option<FlowState>, Error> {
        let key = state.redis_key();
        let value: Option<String> = self
            .pool
            .run("take_sso_state", |mut connection| async move {
                redis::cmd("GETDEL").arg(key).query_async(&mut connection).await
            })
            .await?;
        value
            .map(|value| serde_json::from_str(&value).map_err(|_| Error::CorruptRecord("login state".to_owned())))
            .transpose()
    }
}

#[derive(Debug, Clone)]
pub struct MemoryFlowStateStore {
    records: Arc<Mutex<HashMap<StateKey, (FlowState, Instant)>>>,
    ttl: Duration,
}

impl Default for MemoryFlowStateStore {
    fn default() -> Self {
        Self::with_ttl(FLOW_STATE_TTL)
    }
}

impl MemoryFlowStateStore {
    pub fn with_ttl(ttl: Duration) -> Self {
        Self { records: Arc::default(), ttl }
    }
}

impl FlowStateStore for MemoryFlowStateStore {
    async fn put(&self, state: &StateKey, record: &FlowState) -> Result<(), Error> {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        // Expired records are dropped on every insert, so abandoned logins do not pile up.
        records.retain(|_, (_, expires)| *expires > Instant::now());
        records.insert(state.clone(), (record.clone(), Instant::now() + self.ttl));
        Ok(())
    }

    async fn take(&self, state: &StateKey) -> Result<Option<FlowState>, Error> {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(records.remove(state).filter(|(_, expires)| *expires > Instant::now()).map(|(record, _)| record))
    }
}

/// The store the settings picked (Redis with `REDIS_URL`, memory without), behind one type so that the
/// app state needs no third type parameter.
#[derive(Debug, Clone)]
pub enum FlowStates {
    Redis(RedisFlowStateStore),
    Memory(MemoryFlowStateStore),
}

impl FlowStateStore for FlowStates {
    async fn put(&self, state: &StateKey, record: &FlowState) -> Result<(), Error> {
        match self {
            FlowStates::Redis(store) => store.put(state, record).await,
            FlowStates::Memory(store) => store.put(state, record).await,
        }
    }

    async fn take(&self, state: &StateKey) -> Result<Option<FlowState>, Error> {
        match self {
            FlowStates::Redis(store) => store.take(state).await,
            FlowStates::Memory(store) => store.take(state).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_base64url_states_of_sane_length_are_looked_up() {
        assert!(StateKey::parse("dGhpcyBpcyBhIHN0YXRl-_0").is_ok());
        assert!(StateKey::parse(&"a".repeat(128)).is_ok());
        for raw in ["", "a b", "a+b", "a/b", "abc=", "état", "a\nb"] {
            assert!(matches!(StateKey::parse(raw), Err(Error::InvalidState)), "{raw:?}");
        }
        assert!(StateKey::parse(&"a".repeat(129)).is_err());
    }

    #[test]
    fn debug_prints_neither_the_state_nor_the_verifier_nor_the_nonce() {
        let record = FlowState {
            provider: "corp".to_owned(),
            pkce_verifier: "the-pkce-verifier".to_owned(),
            nonce: "the-nonce".to_owned(),
            frontend_redirect: None,
            browser_binding: "the-binding-hash".to_owned(),
        };
        let debug = format!("{record:?} {:?}", StateKey::parse("the-state").expect("state"));
        for secret in ["the-pkce-verifier", "the-nonce", "the-state", "the-binding-hash"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("corp"), "{debug}");
    }
}
