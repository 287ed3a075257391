//! Accounts in process memory: the `dev` store when `REDIS_URL` is unset, and the unit-test store.
//!
//! One mutex guards every map, so taking a username (and an external identity) and storing the account
//! are one step, as the Lua scripts make them in Redis. The lock is never held across an `.await` (there is none inside).

use super::{ExternalIdentity, IdentityCreateConflict, User, UserStore};
use crate::domain::{Email, UserId, Username};
use crate::error::Error;
use crate::hashing::PasswordHash;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

#[derive(Debug, Default)]
struct Accounts {
    by_id: HashMap<UserId, User>,
    by_username: HashMap<Username, UserId>,
    by_identity: HashMap<ExternalIdentity, UserId>,
    /// Folded email → the ids of the accounts with that email.
    by_email: HashMap<String, Vec<UserId>>,
}

impl Accounts {
    fn insert(&mut self, user: &User) {
        self.by_username.insert(user.username.clone(), user.id);
        if let Some(email) = &user.email {
            self.by_email.entry(email.folded()).or_default().push(user.id);
        }
        self.by_id.insert(user.id, user.clone());
    }
}

#[derive(Debug, Clone, Default)]
pub struct MemoryUserStore {
    accounts: Arc<Mutex<Accounts>>,
}

impl MemoryUserStore {
    fn lock(&self) -> MutexGuard<'_, Accounts> {
        // Every write below completes before it could panic, so a poisoned lock still guards
        // consistent maps.
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl UserStore for MemoryUserStore {
    async fn create(&self, user: &User) -> Result<(), Error> {
        let mut accounts = self.lock();
        if accounts.by_username.contains_key(&user.username) {
            return Err(Error::UsernameTaken);
        }
        accounts.insert(user);
        Ok(())
    }

    async fn create_with_identity(
        &self,
        user: &User,
        identity: &ExternalIdentity,
    ) -> Result<Result<(), IdentityCreateConflict>, Error> {
        let mut accounts = self.lock();
        if accounts.by_identity.contains_key(identity) {
            return Ok(Err(IdentityCreateConflict::IdentityTaken));
        }
        if accounts.by_username.contains_key(&user.username) {
            return Ok(Err(IdentityCreateConflict::UsernameTaken));
        }
        accounts.by_identity.insert(identity.clone(), user.id);
        accounts.insert(user);
        Ok(Ok(()))
    }

    async fn find_by_identity(&self, identity: &ExternalIdentity) -> Result<Option<User>, Error> {
        let accounts = self.lock();
        Ok(accounts.by_identity.get(identity).and_then(|id| accounts.by_id.get(id)).cloned())
    }

    async fn link_identity(&self, id: &UserId, identity: &ExternalIdentity) -> Result<bool, Error> {
        let mut accounts = self.lock();
        if !accounts.by_id.contains_key(id) || accounts.by_identity.contains_key(identity) {
            return Ok(false);
        }
        accounts.by_identity.insert(identity.clone(), *id);
        Ok(true)
    }

    async fn find_by_email(&self, email: &Email) -> Result<Vec<User>, Error> {
        let accounts = self.lock();
        let ids = accounts.by_email.get(&email.folded()).map(Vec::as_slice).unwrap_or_default();
        Ok(ids.iter().filter_map(|id| accounts.by_id.get(id)).cloned().collect())
    }

    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, Error> {
        let accounts = self.lock();
        Ok(accounts.by_username.get(username).and_then(|id| accounts.by_id.get(id)).cloned())
    }

    async fn find_by_id(&self, id: &UserId) -> Result<Option<User>, Error> {
        Ok(self.lock().by_id.get(id).cloned())
    }

    async fn set_disabled(&self, id: &UserId, disabled: bool) -> Result<bool, Error> {
        Ok(self.lock().by_id.get_mut(id).map(|user| user.disabled = disabled).is_some())
    }

    async fn replace_password_hash(
        &self,
        id: &UserId,
        current: &PasswordHash,
        replacement: &PasswordHash,
    ) -> Result<bool, Error> {
        let mut accounts = self.lock();
        let Some(user) = accounts.by_id.get_mut(id).filter(|user| user.password_hash.as_ref() == Some(current)) else {
            return Ok(false);
        };
        user.password_hash = Some(replacement.clone());
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_proto::clock;

    fn user(name: &str) -> User {
        User {
            id: UserId::generate(),
            username: Username::parse(name).expect("valid"),
            password_hash: Some(PasswordHash::from_stored("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".to_owned())),
            email: None,
            email_verified: false,
            display_name: None,
            disabled: false,
            created_at: clock::now(),
        }
    }

    #[tokio::test]
    async fn creates_and_finds_by_username_and_id() {
        let store = MemoryUserStore::default();
        let alice = user("alice");
        store.create(&alice).await.expect("create");
        assert_eq!(
            store.find_by_username(&Username::parse("ALICE").expect("valid")).await.expect("find"),
            Some(alice.clone())
        );
        assert_eq!(store.find_by_id(&alice.id).await.expect("find"), Some(alice));
        assert_eq!(store.find_by_username(&Username::parse("bob").expect("valid")).await.expect("find"), None);
    }

    #[tokio::test]
    async fn a_taken_username_is_refused_whatever_its_case() {
        let store = MemoryUserStore::default();
        let first = user("alice");
        store.create(&first).await.expect("create");
        assert!(matches!(store.create(&user("Alice")).await, Err(Error::UsernameTaken)));
        assert_eq!(store.find_by_username(&first.username).await.expect("find").map(|u| u.id), Some(first.id));
    }

    #[tokio::test]
    async fn disabling_flags_the_account() {
        let store = MemoryUserStore::default();
        let alice = user("alice");
        store.create(&alice).await.expect("create");
        assert!(store.set_disabled(&alice.id, true).await.expect("disable"));
        assert!(store.find_by_id(&alice.id).await.expect("find").expect("exists").disabled);
        assert!(!store.set_disabled(&UserId::generate(), true).await.expect("no such user"));
    }
}
