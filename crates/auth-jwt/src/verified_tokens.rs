//! Access tokens verified moments ago, so that a client presenting the same token again (every request
//! behind the gateway does; a resource server introspects the same token on every call) skips the
//! signature check. Only the signature and the fixed claims are remembered: the time window is re-checked
//! on every hit, entries die with a change of the key set (a retired key stops verifying at once), and
//! revocation and session liveness are never cached, they are checked in the store on every request.
//!
//! The cache is quick_cache's: sharded, so that the workers do not queue on one lock, hashed with
//! foldhash rather than SipHash (the key is the whole token, a few hundred bytes), and when full it evicts
//! the entries least worth keeping (S3-FIFO) rather than starting over.

use crate::verify::CLOCK_SKEW_SECONDS;
use auth_proto::claims::AccessClaims;
use quick_cache::sync::Cache;
use std::sync::Arc;

/// Entries kept at most (a few hundred bytes each).
pub const DEFAULT_CAPACITY: usize = 10_000;

#[derive(Debug, Clone)]
struct Entry {
    claims: Arc<AccessClaims>,
    key_generation: u64,
}

#[derive(Debug)]
pub struct VerifiedTokens {
    entries: Cache<Box<str>, Entry>,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

fn within_time_window(claims: &AccessClaims, now: i64) -> bool {
    let skew = CLOCK_SKEW_SECONDS as i64;
    claims.exp + skew > now && claims.nbf - skew <= now
}

impl VerifiedTokens {
    pub fn with_capacity(capacity: usize) -> Self {
        Self { entries: Cache::new(capacity.max(1)) }
    }

    /// The claims of `token` if it was verified under the current key set (`key_generation`, which the
    /// owner bumps whenever its keys change) and is still within its validity window.
    pub fn get(&self, token: &str, key_generation: u64, now: i64) -> Option<Arc<AccessClaims>> {
        let entry = self.entries.get(token)?;
        (entry.key_generation == key_generation && within_time_window(&entry.claims, now)).then_some(entry.claims)
    }

    /// Remembers `token`'s claims, verified under the key set of `key_generation`: read *before* the
    /// verification, so that a change of keys meanwhile leaves an entry that is merely never hit, whereas
    /// the later generation could vouch for a retired key.
    pub fn insert(&self, token: &str, claims: Arc<AccessClaims>, key_generation: u64) {
        self.entries.insert(token.into(), Entry { claims, key_generation });
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(nbf: i64, exp: i64) -> Arc<AccessClaims> {
        Arc::new(AccessClaims {
            iss: "i".into(),
            aud: "a".into(),
            sub: "u".into(),
            sid: "s".into(),
            jti: "j".into(),
            iat: nbf,
            nbf,
            exp,
            amr: vec!["pwd".into()],
            preferred_username: "alice".into(),
        })
    }

    #[test]
    fn a_hit_needs_the_same_token_key_generation_and_time_window() {
        let cache = VerifiedTokens::default();
        cache.insert("token", claims(1_000, 2_000), 1);
        assert!(cache.get("token", 1, 1_500).is_some());
        assert!(cache.get("other", 1, 1_500).is_none());
        assert!(cache.get("token", 2, 1_500).is_none(), "the key set changed");
        assert!(cache.get("token", 1, 2_000 + 31).is_none(), "expired beyond the skew");
        assert!(cache.get("token", 1, 2_000 + 29).is_some(), "within the skew");
        assert!(cache.get("token", 1, 1_000 - 31).is_none(), "not yet valid");
    }

    #[test]
    fn the_cache_stays_within_its_capacity() {
        let cache = VerifiedTokens::with_capacity(3);
        for n in 0..10 {
            cache.insert(&format!("token-{n}"), claims(0, 10_000), 1);
            assert!(cache.len() <= 3);
        }
        cache.insert("live", claims(0, 10_000), 1);
        assert!(cache.get("live", 1, 5).is_some(), "a full cache evicts older entries, not the newest");
    }
}
