//! User accounts and where they are kept.
//!
//! [`UserStore`] is the one storage interface for accounts, with a Redis implementation
//! ([`redis_store::RedisUserStore`]) and an in-memory one for `dev` and tests
//! ([`memory_store::MemoryUserStore`]); both keep the same guarantees, above all that a username is taken
//! atomically, so two concurrent registrations of `Alice` and `alice` cannot both succeed.
//!
//! Single sign-on: a [`User`] without a `password_hash` cannot log in with a password, which is what an
//! account created by an OpenID Connect login is. Such accounts are found by their
//! [`ExternalIdentity`] (issuer, subject), whose index is written by the same atomic create as the
//! username index ([`UserStore::create_with_identity`]); an identity can also be linked to an existing
//! account ([`UserStore::link_identity`]), which is how a verified email joins a password account.

pub mod admin;
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
    /// Whether `email` is known to be the owner's: true only for an account created by an SSO login
    /// whose provider said `email_verified: true` and is trusted for linking
    /// (`OIDC_<NAME>_LINK_VERIFIED_EMAIL`); false for an email given at `/register`. Only such an
    /// account can have another SSO identity linked to it by email ([`crate::oidc::accounts`]).
    pub email_verified: bool,
    /// The `name` claim of an account created by single sign-on; `None` otherwise.
    pub display_name: Option<String>,
    /// A disabled account's logins are refused exactly like a wrong password.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// Who a user is at an OpenID Connect provider: the `sub` claim is unique per issuer only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalIdentity {
    pub issuer: String,
    pub subject: String,
}

impl ExternalIdentity {
    /// The index key's suffix `{issuer}:{subject}`, with `%` and `:` of the issuer percent-encoded so
    /// that the first `:` always ends the issuer (an issuer has a `:` after its scheme, and may have a
    /// port; a subject may hold anything).
    pub fn index_suffix(&self) -> String {
        let issuer = self.issuer.replace('%', "%25").replace(':', "%3A");
        format!("{issuer}:{}", self.subject)
    }
}

/// Why [`UserStore::create_with_identity`] created nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityCreateConflict {
    /// Another account has the username: try another one.
    UsernameTaken,
    /// A concurrent first login of the same identity won: look the identity up again.
    IdentityTaken,
}

/// Where accounts live. Every method is one logical operation: implementations make `create` atomic.
pub trait UserStore: Clone + Send + Sync + 'static {
    /// Stores a new account; `Err(UsernameTaken)` when its username is already in use.
    fn create(&self, user: &User) -> impl Future<Output = Result<(), Error>> + Send;

    /// Stores a new account together with its external identity, atomically: nothing is written when
    /// the username or the identity is already taken.
    fn create_with_identity(
        &self,
        user: &User,
        identity: &ExternalIdentity,
    ) -> impl Future<Output = Result<Result<(), IdentityCreateConflict>, Error>> + Send;

    /// The account an external identity belongs to.
    fn find_by_identity(&self, identity: &ExternalIdentity)
    -> impl Future<Output = Result<Option<User>, Error>> + Send;

    /// Links an external identity to an existing account; `Ok(false)` when the account does not exist
    /// or the identity already belongs to an account.
    fn link_identity(
        &self,
        id: &UserId,
        identity: &ExternalIdentity,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Every account with this email address (compared case-insensitively); emails are not unique.
    fn find_by_email(&self, email: &Email) -> impl Future<Output = Result<Vec<User>, Error>> + Send;

    fn find_by_username(&self, username: &Username) -> impl Future<Output = Result<Option<User>, Error>> + Send;

    fn find_by_id(&self, id: &UserId) -> impl Future<Output = Result<Option<User>, Error>> + Send;

    /// Sets or clears the disabled flag; `Ok(false)` when no such account exists.
    fn set_disabled(&self, id: &UserId, disabled: bool) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Replaces the account's password hash by `replacement` if it is still `current` (a rehash with
    /// today's argon2 parameters must not undo a password change made meanwhile); `Ok(false)` otherwise.
    fn replace_password_hash(
        &self,
        id: &UserId,
        current: &PasswordHash,
        replacement: &PasswordHash,
    ) -> impl Future<Output = Result<bool, Error>> + Send;
}
