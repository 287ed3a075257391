//! What only an operator does to accounts (`authn-service users ...`), on the Redis store: list them a
//! page at a time, set a password outright, and delete an account with its indexes.
//!
//! These work on Redis only, as the admin commands do: the `dev` in-memory store lives inside the running
//! service, which a second process cannot reach.
//!
//! Listing pages with Redis `SCAN` over the username index (`authn:{users}:username:*`), sent to the node
//! that holds the `{users}` hash tag (on a Cluster every account key is on that one node): the page's
//! cursor is SCAN's, so paging costs nothing to keep up and needs no second index that every create and
//! delete would have to maintain. SCAN's guarantee is the listing's: an account that exists for the whole
//! listing is shown at least once; one created or deleted meanwhile may or may not be; pages are about
//! `limit` long (SCAN's COUNT is a hint) and each page is sorted by username, the listing as a whole
//! is not.

use super::redis_store::{EMAIL_KEY_PREFIX, IDENTITY_KEY_PREFIX, RedisUserStore, USER_KEY_PREFIX, USERNAME_KEY_PREFIX};
use super::{User, UserStore};
use crate::domain::UserId;
use crate::error::Error;
use crate::hashing::PasswordHash;
use std::sync::LazyLock;

/// `KEYS[1]` the user hash: sets `password_hash` to `ARGV[1]` on an existing account only.
static SET_PASSWORD_HASH: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if redis.call('EXISTS', KEYS[1]) == 0 then
            return 0
        end
        redis.call('HSET', KEYS[1], 'password_hash', ARGV[1])
        return 1
        ",
    )
});

/// Deletes an account in one step: `KEYS[1]` the user hash, `KEYS[2]` the username key, `KEYS[3]` the
/// email index (when the account has an email), `ARGV[1]` the id. The username key is removed only while
/// it still names this id. Returns 1 when the account was there.
static DELETE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if redis.call('EXISTS', KEYS[1]) == 0 then
            return 0
        end
        redis.call('DEL', KEYS[1])
        if redis.call('GET', KEYS[2]) == ARGV[1] then
            redis.call('DEL', KEYS[2])
        end
        if KEYS[3] then
            redis.call('SREM', KEYS[3], ARGV[1])
        end
        return 1
        ",
    )
});

/// `KEYS[1]` an index key: deleted only while it still holds `ARGV[1]`.
static DELETE_IF: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('DEL', KEYS[1])
        end
        return 0
        ",
    )
});

/// A page of accounts and the cursor of the next one (`None` after the last page).
#[derive(Debug)]
pub struct UserPage {
    pub users: Vec<User>,
    pub next_cursor: Option<u64>,
}

/// How many SCAN steps one page may take; on a sparse keyspace a page ends early rather than walking
/// the whole database in one command.
const MAX_SCAN_STEPS_PER_PAGE: usize = 64;

impl RedisUserStore {
    /// About `limit` accounts from `cursor` (0 starts the listing).
    pub async fn list_page(&self, cursor: u64, limit: usize) -> Result<UserPage, Error> {
        let limit = limit.max(1);
        let mut ids = Vec::new();
        let mut cursor = cursor;
        for _ in 0..MAX_SCAN_STEPS_PER_PAGE {
            let (next, keys): (u64, Vec<String>) = self
                .pool()
                .run("list_users_scan", |mut connection| async move {
                    let mut scan = redis::cmd("SCAN");
                    scan.arg(cursor).arg("MATCH").arg(format!("{USERNAME_KEY_PREFIX}*")).arg("COUNT").arg(limit);
                    connection.query_on_node_of(USERNAME_KEY_PREFIX, scan).await
                })
                .await?;
            ids.extend(keys);
            cursor = next;
            if cursor == 0 || ids.len() >= limit {
                break;
            }
        }
        let mut users = Vec::with_capacity(ids.len());
        for key in ids {
            let id: Option<String> = self
                .pool()
                .run("list_users_get", |mut connection| async move {
                    redis::cmd("GET").arg(&key).query_async(&mut connection).await
                })
                .await?;
            // Deleted between the scan and now.
            let Some(id) = id.and_then(|id| UserId::parse(&id).ok()) else { continue };
            users.extend(self.find_by_id(&id).await?);
        }
        users.sort_by(|a, b| a.username.as_str().cmp(b.username.as_str()));
        Ok(UserPage { users, next_cursor: (cursor != 0).then_some(cursor) })
    }

    /// Sets the account's password hash, whatever it was (or to a first one, for a single sign-on
    /// account); `Ok(false)` when no such account exists.
    pub async fn set_password_hash(&self, id: &UserId, hash: &PasswordHash) -> Result<bool, Error> {
        let key = format!("{USER_KEY_PREFIX}{id}");
        let hash = hash.as_str().to_owned();
        let set: i64 = self
            .pool()
            .run("set_password_hash", |mut connection| async move {
                SET_PASSWORD_HASH.key(key).arg(hash).invoke_async(&mut connection).await
            })
            .await?;
        Ok(set == 1)
    }

    /// Deletes the account, its username and email indexes in one step, then the external identities
    /// linked to it. The identities come second because the hash does not list them (they are found by a
    /// scan of the identity index); once the hash is gone no identity can be linked to the id any more
    /// (linking checks the hash), so the scan that follows finds every one. Returns how many identities
    /// were unlinked, or `None` when there was no such account.
    pub async fn delete(&self, user: &User) -> Result<Option<u64>, Error> {
        let mut keys = vec![format!("{USER_KEY_PREFIX}{}", user.id), format!("{USERNAME_KEY_PREFIX}{}", user.username)];
        keys.extend(user.email.as_ref().map(|email| format!("{EMAIL_KEY_PREFIX}{}", email.folded())));
        let id = user.id.to_string();
        let durable_key = keys[0].clone();
        let script_id = id.clone();
        let deleted: i64 = self
            .pool()
            .run_durable("delete_user", &durable_key, |mut connection| async move {
                DELETE.key(&keys[..]).arg(script_id).invoke_async(&mut connection).await
            })
            .await?;
        if deleted != 1 {
            return Ok(None);
        }
        let mut unlinked = 0;
        let mut cursor = 0_u64;
        loop {
            let (next, found): (u64, Vec<String>) = self
                .pool()
                .run("delete_user_scan_identities", |mut connection| async move {
                    let mut scan = redis::cmd("SCAN");
                    scan.arg(cursor).arg("MATCH").arg(format!("{IDENTITY_KEY_PREFIX}*")).arg("COUNT").arg(1000);
                    connection.query_on_node_of(IDENTITY_KEY_PREFIX, scan).await
                })
                .await?;
            for key in found {
                let id = id.clone();
                let removed: i64 = self
                    .pool()
                    .run("delete_user_identity", |mut connection| async move {
                        DELETE_IF.key(key).arg(id).invoke_async(&mut connection).await
                    })
                    .await?;
                unlinked += u64::try_from(removed).unwrap_or(0);
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        Ok(Some(unlinked))
    }
}
