//! Accounts in Redis.
//!
//! Keys, all in one Redis Cluster hash slot (the `{users}` hash tag):
//! - `authn:{users}:user:<id>`: a hash with `id`, `username`, `password_hash` (absent for accounts
//!   without a password), `email` (absent when none), `email_verified` (`1`, absent when not verified),
//!   `disabled` (`0`/`1`) and `created_at` (Unix seconds);
//! - `authn:{users}:username:<lowercase username>`: the account's id;
//! - `authn:{users}:identity:<issuer>:<subject>`: the id of the account an OpenID Connect identity
//!   belongs to (the issuer's `%` and `:` percent-encoded, see [`ExternalIdentity::index_suffix`]);
//! - `authn:{users}:email:<lowercase email>`: a set of the ids of the accounts with that email.
//!
//! Lua scripts take the username key (and the identity key) with `SET NX` and write the hash and the
//! indexes in the same atomic step, so a username or an identity is never half-taken and two concurrent
//! registrations or first logins cannot both win. Redis Cluster runs a script only when all its keys
//! share a slot, hence the one hash tag for every account key: the records are few and change rarely,
//! so one slot (one node) holds them easily, while the busy keys (login counters, rate limits, SSO
//! states) are single keys spread over the cluster. Every key a script touches is passed in `KEYS`.
//!
//! The first release used the same names without the `{users}:` tag (`authn:user:<id>`, ...);
//! [`migrate_layout`] renames such keys once, at start.

use super::{ExternalIdentity, IdentityCreateConflict, User, UserStore};
use crate::domain::{Email, UserId, Username};
use crate::error::Error;
use crate::hashing::PasswordHash;
use redis_kit::RedisPool;
use std::collections::HashMap;
use std::sync::LazyLock;

pub const USER_KEY_PREFIX: &str = "authn:{users}:user:";
pub const USERNAME_KEY_PREFIX: &str = "authn:{users}:username:";
pub const IDENTITY_KEY_PREFIX: &str = "authn:{users}:identity:";
pub const EMAIL_KEY_PREFIX: &str = "authn:{users}:email:";
/// Set once the first release's keys have been renamed, so that later starts skip the scan.
pub const LAYOUT_KEY: &str = "authn:{users}:layout";
/// The value of [`LAYOUT_KEY`] for this layout.
const LAYOUT_VERSION: &str = "2";
/// The first release's key prefixes, renamed by [`migrate_layout`].
const FIRST_RELEASE_PREFIXES: [&str; 4] = ["authn:user:", "authn:username:", "authn:identity:", "authn:email:"];

/// Stores a new account with its indexes, in one step. `KEYS[1]` the username key, `KEYS[2]` the user
/// hash, then the identity key when `ARGV[2]` is `1` (an SSO account) and the email index when `ARGV[3]`
/// is `1`; `ARGV[1]` the id, then field/value pairs. Returns 1 when created, 0 when the username was
/// taken, -1 when the identity was.
static CREATE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        local next_key = 3
        local identity, email
        if ARGV[2] == '1' then identity = KEYS[next_key]; next_key = next_key + 1 end
        if ARGV[3] == '1' then email = KEYS[next_key] end
        if identity and redis.call('EXISTS', identity) == 1 then
            return -1
        end
        if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then
            return 0
        end
        if identity then
            redis.call('SET', identity, ARGV[1])
        end
        redis.call('HSET', KEYS[2], unpack(ARGV, 4))
        if email then
            redis.call('SADD', email, ARGV[1])
        end
        return 1
        ",
    )
});

/// `KEYS[1]` the user hash, `KEYS[2]` the identity key, `ARGV[1]` the id: links only an existing
/// account and a free identity. Returns 1 when linked.
static LINK_IDENTITY: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if redis.call('EXISTS', KEYS[1]) == 0 then
            return 0
        end
        if not redis.call('SET', KEYS[2], ARGV[1], 'NX') then
            return 0
        end
        return 1
        ",
    )
});

/// `KEYS[1]` the user hash: sets `password_hash` to `ARGV[2]` only while it is still `ARGV[1]`.
static REPLACE_PASSWORD_HASH: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if redis.call('HGET', KEYS[1], 'password_hash') ~= ARGV[1] then
            return 0
        end
        redis.call('HSET', KEYS[1], 'password_hash', ARGV[2])
        return 1
        ",
    )
});

/// Sets `disabled` on an existing hash only, so a stray id never creates a half-account.
static SET_DISABLED: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if redis.call('EXISTS', KEYS[1]) == 0 then
            return 0
        end
        redis.call('HSET', KEYS[1], 'disabled', ARGV[1])
        return 1
        ",
    )
});

#[derive(Debug, Clone)]
pub struct RedisUserStore {
    pool: RedisPool,
}

impl RedisUserStore {
    pub fn new(pool: RedisPool) -> Self {
        Self { pool }
    }

    pub(super) fn pool(&self) -> &RedisPool {
        &self.pool
    }
}

fn user_key(id: &UserId) -> String {
    format!("{USER_KEY_PREFIX}{id}")
}

fn username_key(username: &Username) -> String {
    format!("{USERNAME_KEY_PREFIX}{username}")
}

fn identity_key(identity: &ExternalIdentity) -> String {
    format!("{IDENTITY_KEY_PREFIX}{}", identity.index_suffix())
}

fn email_key(email: &Email) -> String {
    format!("{EMAIL_KEY_PREFIX}{}", email.folded())
}

fn to_fields(user: &User) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("id", user.id.to_string()),
        ("username", user.username.to_string()),
        ("disabled", if user.disabled { "1" } else { "0" }.to_owned()),
        ("created_at", user.created_at.to_string()),
    ];
    if let Some(hash) = &user.password_hash {
        fields.push(("password_hash", hash.as_str().to_owned()));
    }
    if let Some(email) = &user.email {
        fields.push(("email", email.to_string()));
    }
    if user.email_verified {
        fields.push(("email_verified", "1".to_owned()));
    }
    if let Some(name) = &user.display_name {
        fields.push(("display_name", name.clone()));
    }
    fields
}

/// Reads a user hash back; an empty hash is no user.
fn from_fields(mut fields: HashMap<String, String>) -> Result<Option<User>, Error> {
    if fields.is_empty() {
        return Ok(None);
    }
    let mut take = |name: &str| fields.remove(name);
    let corrupt = |what: &str| Error::CorruptRecord(format!("user hash: {what}"));
    let id = take("id").ok_or_else(|| corrupt("no id"))?;
    let id = UserId::parse(&id).map_err(|_| corrupt("id is not a UUID"))?;
    let username = take("username").ok_or_else(|| corrupt("no username"))?;
    let username = Username::parse(&username).map_err(|_| corrupt("invalid username"))?;
    let email = take("email").map(|email| Email::parse(&email)).transpose().map_err(|_| corrupt("invalid email"))?;
    let disabled = match take("disabled").as_deref() {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return Err(corrupt("disabled is not 0 or 1")),
    };
    // Absent in accounts stored before the flag existed, and in every account whose email is unverified.
    let email_verified = match take("email_verified").as_deref() {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return Err(corrupt("email_verified is not 0 or 1")),
    };
    let created_at = take("created_at").and_then(|at| at.parse().ok()).ok_or_else(|| corrupt("bad created_at"))?;
    Ok(Some(User {
        id,
        username,
        password_hash: take("password_hash").map(PasswordHash::from_stored),
        email,
        email_verified,
        display_name: take("display_name"),
        disabled,
        created_at,
    }))
}

impl RedisUserStore {
    /// Runs [`CREATE`] for `user` (and `identity`, for an SSO account); its answer as the script gives it.
    async fn insert(
        &self,
        operation: &'static str,
        user: &User,
        identity: Option<&ExternalIdentity>,
    ) -> Result<i64, Error> {
        let mut keys = vec![username_key(&user.username), user_key(&user.id)];
        keys.extend(identity.map(identity_key));
        keys.extend(user.email.as_ref().map(email_key));
        let flag = |present: bool| if present { "1" } else { "0" };
        let flags = [flag(identity.is_some()), flag(user.email.is_some())];
        let id = user.id.to_string();
        let fields = to_fields(user);
        let created = self
            .pool
            .run(operation, |mut connection| async move {
                let mut invocation = CREATE.key(&keys[..]);
                invocation.arg(id).arg(flags[0]).arg(flags[1]);
                for (name, value) in &fields {
                    invocation.arg(*name).arg(value);
                }
                invocation.invoke_async(&mut connection).await
            })
            .await?;
        Ok(created)
    }

    /// The account whose id an index key (username or identity) holds.
    async fn find_through_index(&self, operation: &'static str, index: String) -> Result<Option<User>, Error> {
        // Two commands on one checked-out connection: index, then hash. Not atomic, and need not be: an
        // account deleted in between (`users delete`) leaves an empty hash, which reads as no account.
        let fields: HashMap<String, String> = self
            .pool
            .run(operation, |mut connection| async move {
                let id: Option<String> = redis::cmd("GET").arg(&index).query_async(&mut connection).await?;
                match id {
                    Some(id) => {
                        redis::cmd("HGETALL").arg(format!("{USER_KEY_PREFIX}{id}")).query_async(&mut connection).await
                    }
                    None => Ok(HashMap::new()),
                }
            })
            .await?;
        from_fields(fields)
    }
}

impl UserStore for RedisUserStore {
    async fn create(&self, user: &User) -> Result<(), Error> {
        match self.insert("create_user", user, None).await? {
            1 => Ok(()),
            _ => Err(Error::UsernameTaken),
        }
    }

    async fn create_with_identity(
        &self,
        user: &User,
        identity: &ExternalIdentity,
    ) -> Result<Result<(), IdentityCreateConflict>, Error> {
        Ok(match self.insert("create_user_with_identity", user, Some(identity)).await? {
            1 => Ok(()),
            0 => Err(IdentityCreateConflict::UsernameTaken),
            _ => Err(IdentityCreateConflict::IdentityTaken),
        })
    }

    async fn find_by_identity(&self, identity: &ExternalIdentity) -> Result<Option<User>, Error> {
        self.find_through_index("find_user_by_identity", identity_key(identity)).await
    }

    async fn link_identity(&self, id: &UserId, identity: &ExternalIdentity) -> Result<bool, Error> {
        let keys = [user_key(id), identity_key(identity)];
        let id = id.to_string();
        let linked: i64 = self
            .pool
            .run("link_identity", |mut connection| async move {
                LINK_IDENTITY.key(&keys[..]).arg(id).invoke_async(&mut connection).await
            })
            .await?;
        Ok(linked == 1)
    }

    async fn find_by_email(&self, email: &Email) -> Result<Vec<User>, Error> {
        let index = email_key(email);
        let hashes: Vec<HashMap<String, String>> = self
            .pool
            .run("find_users_by_email", |mut connection| async move {
                let ids: Vec<String> = redis::cmd("SMEMBERS").arg(&index).query_async(&mut connection).await?;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut pipeline = redis::pipe();
                for id in &ids {
                    pipeline.cmd("HGETALL").arg(format!("{USER_KEY_PREFIX}{id}"));
                }
                pipeline.query_async(&mut connection).await
            })
            .await?;
        let mut users = Vec::with_capacity(hashes.len());
        for fields in hashes {
            users.extend(from_fields(fields)?);
        }
        Ok(users)
    }

    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, Error> {
        self.find_through_index("find_user_by_username", username_key(username)).await
    }

    async fn find_by_id(&self, id: &UserId) -> Result<Option<User>, Error> {
        let key = user_key(id);
        let fields: HashMap<String, String> = self
            .pool
            .run("find_user_by_id", |mut connection| async move {
                redis::cmd("HGETALL").arg(key).query_async(&mut connection).await
            })
            .await?;
        from_fields(fields)
    }

    async fn set_disabled(&self, id: &UserId, disabled: bool) -> Result<bool, Error> {
        let key = user_key(id);
        // Disabling is a revocation: it must survive a failover like the session store's writes.
        let durable_key = key.clone();
        let flag = if disabled { "1" } else { "0" };
        let updated: i64 = self
            .pool
            .run_durable("set_user_disabled", &durable_key, |mut connection| async move {
                SET_DISABLED.key(key).arg(flag).invoke_async(&mut connection).await
            })
            .await?;
        Ok(updated == 1)
    }

    async fn replace_password_hash(
        &self,
        id: &UserId,
        current: &PasswordHash,
        replacement: &PasswordHash,
    ) -> Result<bool, Error> {
        let key = user_key(id);
        let (current, replacement) = (current.as_str().to_owned(), replacement.as_str().to_owned());
        let replaced: i64 = self
            .pool
            .run("replace_password_hash", |mut connection| async move {
                REPLACE_PASSWORD_HASH.key(key).arg(current).arg(replacement).invoke_async(&mut connection).await
            })
            .await?;
        Ok(replaced == 1)
    }
}

/// Renames the first release's account keys (`authn:user:<id>`, ...) to this layout's
/// (`authn:{users}:user:<id>`, ...), once: later starts find [`LAYOUT_KEY`] and do nothing. Replicas
/// starting together may race; `RENAMENX` moves each key once and never overwrites a new one, and a
/// key another replica moved first is skipped. The first release ran on a single Redis node only, so
/// the old keys and the new ones are on one node and a rename between them is allowed.
pub async fn migrate_layout(pool: &RedisPool) -> Result<u64, Error> {
    let done: Option<String> = pool
        .run("users_layout_check", |mut connection| async move {
            redis::cmd("GET").arg(LAYOUT_KEY).query_async(&mut connection).await
        })
        .await?;
    if done.is_some() {
        return Ok(0);
    }
    let mut renamed = 0;
    for prefix in FIRST_RELEASE_PREFIXES {
        let mut cursor = 0_u64;
        loop {
            let (next, keys): (u64, Vec<String>) = pool
                .run("users_layout_scan", |mut connection| async move {
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(format!("{prefix}*"))
                        .arg("COUNT")
                        .arg(1000)
                        .query_async(&mut connection)
                        .await
                })
                .await?;
            for key in keys {
                let Some(rest) = key.strip_prefix("authn:") else { continue };
                let new_key = format!("authn:{{users}}:{rest}");
                let moved: i64 = pool
                    .run("users_layout_rename", |mut connection| async move {
                        match redis::cmd("RENAMENX").arg(&key).arg(&new_key).query_async(&mut connection).await {
                            // Another replica moved it first.
                            Err(error) if error.to_string().contains("no such key") => Ok(0),
                            other => other,
                        }
                    })
                    .await?;
                renamed += u64::try_from(moved).unwrap_or(0);
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    pool.run("users_layout_mark", |mut connection| async move {
        redis::cmd("SET").arg(LAYOUT_KEY).arg(LAYOUT_VERSION).query_async::<()>(&mut connection).await
    })
    .await?;
    Ok(renamed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_proto::clock;

    fn user() -> User {
        User {
            id: UserId::generate(),
            username: Username::parse("alice").expect("valid"),
            password_hash: Some(PasswordHash::from_stored("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".to_owned())),
            email: Some(Email::parse("alice@example.com").expect("valid")),
            email_verified: true,
            display_name: Some("Alice Liddell".to_owned()),
            disabled: true,
            created_at: clock::now(),
        }
    }

    #[test]
    fn fields_round_trip() {
        let user = user();
        let fields = to_fields(&user).into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
        assert_eq!(from_fields(fields).expect("parses"), Some(user));
    }

    #[test]
    fn optional_fields_may_be_absent() {
        let user = User {
            password_hash: None,
            email: None,
            email_verified: false,
            display_name: None,
            disabled: false,
            ..user()
        };
        let fields: HashMap<String, String> =
            to_fields(&user).into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
        assert!(
            ["password_hash", "email", "email_verified", "display_name"].iter().all(|name| !fields.contains_key(*name))
        );
        assert_eq!(from_fields(fields).expect("parses"), Some(user));
    }

    #[test]
    fn an_empty_hash_is_no_user_and_a_broken_one_is_an_error() {
        assert_eq!(from_fields(HashMap::new()).expect("parses"), None);
        let broken = HashMap::from([("id".to_owned(), "nope".to_owned())]);
        assert!(matches!(from_fields(broken), Err(Error::CorruptRecord(_))));
    }
}
