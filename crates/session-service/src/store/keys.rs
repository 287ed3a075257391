//! The Redis key layout, in one place. Every key of one user shares the hash tag `{user_id}`, so every
//! script touches one Redis Cluster hash slot (and names every key it touches in `KEYS`), while different
//! users spread over the cluster. Under the prefix (`session:`):
//!
//! | key | type | holds |
//! |---|---|---|
//! | `session:{U}:s` | hash | every session of user `U`, five fields each (below) |
//! | `session:{U}:u` | sorted set | `U`'s session ids, scored by last use in microseconds of Redis's clock (the cap's least-recently-used order) |
//! | `session:{U}:f:S` | list | the last `ROTATED_KEPT` rotated refresh hashes of session `S`, newest first, for reuse detection; expires with the session |
//! | `session:{U}:j:J` | string | access token `J` of `U` is revoked; expires when the token would have |
//!
//! Fields of session `S` in `session:{U}:s`: `S` (JSON: username, amr, user_agent, ip), `S:t`
//! (`created_at expires_at last_seen_at`), `S:r` (hash of the current refresh token) and `S:g` (with a
//! grace window: the previous hash, when it was rotated, the sealed successor). The hash and the index
//! expire with the user's longest-lived session; an ended session's fields and list go at once, an expired
//! one's fields when the user's sessions are next listed or the cap is reached (its list has expired with
//! it).
//!
//! Releases before the list kept the rotated hashes concatenated in one field, `S:f`, rewritten whole on
//! every rotation (26 µs of Redis CPU each under `make bench`); a session from then keeps that field, still
//! read for reuse detection, until it ends.
//!
//! A refresh token carries its user and session ids (the token service puts them in front of the random
//! part), so a refresh finds its slot and its session without a lookup. An access-token check finds the
//! session from the token's `sub` and `sid` claims.

use crate::domain::jti::Jti;
use crate::domain::session_id::SessionId;
use crate::domain::user_id::UserId;

/// The keys of one user.
#[derive(Debug, Clone)]
pub struct UserKeys {
    /// `{prefix}{user_id}`: everything up to the closing brace of the hash tag.
    tagged: String,
}

impl UserKeys {
    pub fn new(prefix: &str, user_id: &UserId) -> Self {
        Self { tagged: format!("{prefix}{{{user_id}}}") }
    }

    /// The hash of every session of the user.
    pub fn sessions(&self) -> String {
        format!("{}:s", self.tagged)
    }

    /// The user's sessions in least-recently-used order.
    pub fn index(&self) -> String {
        format!("{}:u", self.tagged)
    }

    /// The rotated refresh hashes of one of the user's sessions.
    pub fn rotated(&self, session_id: &SessionId) -> String {
        format!("{}:f:{session_id}", self.tagged)
    }

    /// The revocation of one of the user's access tokens.
    pub fn revoked(&self, jti: &Jti) -> String {
        format!("{}:j:{jti}", self.tagged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_a_user_carries_the_same_hash_tag_under_the_prefix() {
        let user = UserId::generate();
        let keys = UserKeys::new("session:", &user);
        for key in [keys.sessions(), keys.index(), keys.rotated(&SessionId::generate()), keys.revoked(&Jti::generate())]
        {
            assert!(key.starts_with(&format!("session:{{{user}}}:")), "{key}");
            assert_eq!(key.matches('{').count(), 1, "{key}");
        }
    }
}
