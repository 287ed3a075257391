//! Creating an account: shared by `POST /register` and the `users create` admin command, so both apply
//! the same rules (the registration switch is the route's business, not this module's).

use crate::domain::{Email, Password, UserId, Username};
use crate::error::Error;
use crate::hashing::Hasher;
use crate::users::{User, UserStore};
use auth_proto::clock;

/// A request for a new account, every field already valid.
#[derive(Debug)]
pub struct NewAccount {
    pub username: Username,
    pub password: Password,
    pub email: Option<Email>,
}

impl NewAccount {
    /// Validates the raw fields; the first invalid one is the error. An empty email counts as none,
    /// since HTML forms send an empty field rather than leaving it out.
    pub fn parse(username: &str, password: String, email: Option<&str>) -> Result<Self, Error> {
        let username = Username::parse(username)?;
        let password = Password::parse_new(password)?;
        let email = email.filter(|email| !email.is_empty()).map(Email::parse).transpose()?;
        Ok(Self { username, password, email })
    }
}

/// Creates the account: `Err(UsernameTaken)` when the (case-insensitive) username is in use.
#[tracing::instrument(level = "debug", skip_all, fields(username = %account.username))]
pub async fn create_account<U: UserStore>(users: &U, hasher: &Hasher, account: NewAccount) -> Result<User, Error> {
    // Checked first only to save an expensive hash on an obvious conflict; the store's atomic create
    // below is what actually guarantees uniqueness when two registrations race.
    if users.find_by_username(&account.username).await?.is_some() {
        return Err(Error::UsernameTaken);
    }
    let password_hash = hasher.hash(&account.password).await?;
    let user = User {
        id: UserId::generate(),
        username: account.username,
        password_hash: Some(password_hash),
        email: account.email,
        // Nobody checked that the address is the registrant's: it never links an SSO login.
        email_verified: false,
        display_name: None,
        disabled: false,
        created_at: clock::now(),
    };
    users.create(&user).await?;
    tracing::info!(user_id = %user.id, "account created");
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::HashingSettings;
    use crate::users::memory_store::MemoryUserStore;

    async fn hasher() -> Hasher {
        Hasher::new(&HashingSettings { memory_kib: 1024, iterations: 1, parallelism: 1, max_concurrent: 2 })
            .await
            .expect("hasher")
    }

    #[test]
    fn parse_refuses_each_bad_field_and_allows_an_empty_email() {
        assert!(NewAccount::parse("bad name", "long enough".to_owned(), None).is_err());
        assert!(NewAccount::parse("alice", "short".to_owned(), None).is_err());
        assert!(NewAccount::parse("alice", "long enough".to_owned(), Some("nope")).is_err());
        assert!(NewAccount::parse("alice", "long enough".to_owned(), Some("")).expect("valid").email.is_none());
    }

    #[tokio::test]
    async fn creates_once_per_case_insensitive_username() {
        let (users, hasher) = (MemoryUserStore::default(), hasher().await);
        let account = NewAccount::parse("Alice", "long enough".to_owned(), Some("a@example.com")).expect("valid");
        let user = create_account(&users, &hasher, account).await.expect("created");
        assert_eq!(user.username.as_str(), "alice");
        assert!(
            hasher
                .verify(
                    &Password::parse_presented("long enough".to_owned()).expect("valid"),
                    user.password_hash.as_ref()
                )
                .await
                .expect("verify")
        );
        let again = NewAccount::parse("ALICE", "other password".to_owned(), None).expect("valid");
        assert!(matches!(create_account(&users, &hasher, again).await, Err(Error::UsernameTaken)));
    }
}
