//! User accounts and where they are kept.
//!
//! [`UserStore`] is the one storage interface for accounts, with a Redis implementation
//! ([`redis_store::RedisUserStore`]) and an in-memory one for `dev` and tests
//! ([`memory_store::MemoryUserStore`]); both keep the same guarantees, above all that a username is taken
//! atomically, so two concurrent registrations of `Alice` and `alice` cannot both succeed.
//!
//! Room for single sign-on: a [`User`] without a `password_hash` cannot log in with a password, which is
//! what an account created by an OpenID Connect login will be. Such accounts will be found by
//! (issuer, subject): the OIDC issue adds a `find_by_identity` method and an identity index
//! (`authn:identity:{issuer}:{subject}` → id in Redis) written by the same atomic create as the username
//! index; nothing here has to change shape for it.

pub mod memory_store;
pub mod redis_store;

use crate::domain::{Email, UserId, Username};
use crate::error::Error;
use crate::hashing::PasswordHash;
use std::future::Future;

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    /// `None` for accounts that cannot log in with a password (single sign-on only).
    pub password_hash: Option<PasswordHash>,
    pub email: Option<Email>,
    /// A disabled account's logins are refused exactly like a wrong password.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// Where accounts live. Every method is one logical operation: implementations make `create` atomic.
pub trait UserStore: Clone + Send + Sync + 'static {
    /// Stores a new account; `Err(UsernameTaken)` when its username is already in use.
    fn create(&self, user: &User) -> impl Future<Output = Result<(), Error>> + Send;

    fn find_by_username(&self, username: &Username) -> impl Future<Output = Result<Option<User>, Error>> + Send;

    fn find_by_id(&self, id: &UserId) -> impl Future<Output = Result<Option<User>, Error>> + Send;

    /// Sets or clears the disabled flag; `Ok(false)` when no such account exists.
    fn set_disabled(&self, id: &UserId, disabled: bool) -> impl Future<Output = Result<bool, Error>> + Send;
}

/// The current time in Unix seconds, for `created_at`.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}
