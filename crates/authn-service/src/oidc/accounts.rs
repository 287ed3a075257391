//! The account an SSO login lands in: found by (issuer, subject), linked by verified email when the
//! setting allows it, or created just in time.
//!
//! A new account has no password, the username derived by [`crate::oidc::username`], the `name`
//! claim as its display name, and the `email` claim only when the provider says `email_verified: true`
//! (an unverified address is not kept, since nothing could rely on it).
//!
//! Linking (`OIDC_LINK_VERIFIED_EMAIL=true`): a first login whose verified email equals the email of
//! exactly one account with a password links to that account. Several such accounts are ambiguous and
//! link to none (a new account is created).

use crate::domain::{Email, UserId};
use crate::error::Error;
use crate::oidc::provider::VerifiedLogin;
use crate::oidc::username::{base_username, candidates};
use crate::users::{IdentityCreateConflict, User, UserStore};
use auth_proto::clock;

/// Display names are shown in lists; longer ones are cut.
const MAX_DISPLAY_NAME_CHARS: usize = 256;

pub async fn find_or_create<U: UserStore>(
    users: &U,
    login: &VerifiedLogin,
    link_verified_email: bool,
) -> Result<User, Error> {
    if let Some(user) = users.find_by_identity(&login.identity).await? {
        return Ok(user);
    }
    let verified_email =
        login.email.as_deref().filter(|_| login.email_verified).and_then(|email| Email::parse(email).ok());
    if link_verified_email && let Some(email) = &verified_email {
        let with_password: Vec<User> =
            users.find_by_email(email).await?.into_iter().filter(|user| user.password_hash.is_some()).collect();
        match with_password.as_slice() {
            // A disabled account takes no new identities: the login is refused and nothing is stored,
            // so re-enabling the account later does not silently carry a link nobody reviewed.
            [account] if account.disabled => return Err(Error::AccountDisabled),
            [account] => {
                if users.link_identity(&account.id, &login.identity).await? {
                    tracing::info!(user_id = %account.id, "SSO identity linked to an account by verified email");
                    return Ok(account.clone());
                }
                // A concurrent first login of the same identity got there first.
                if let Some(user) = users.find_by_identity(&login.identity).await? {
                    return Ok(user);
                }
            }
            [] => {}
            _ => tracing::info!("several accounts share the verified email; not linking"),
        }
    }
    let base = base_username(login.preferred_username.as_deref(), login.email.as_deref());
    for username in candidates(&base) {
        let user = User {
            id: UserId::generate(),
            username,
            password_hash: None,
            email: verified_email.clone(),
            display_name: login.name.as_ref().map(|name| name.chars().take(MAX_DISPLAY_NAME_CHARS).collect()),
            disabled: false,
            created_at: clock::now(),
        };
        match users.create_with_identity(&user, &login.identity).await? {
            Ok(()) => {
                tracing::info!(user_id = %user.id, username = %user.username, "account created by a first SSO login");
                return Ok(user);
            }
            Err(IdentityCreateConflict::UsernameTaken) => {}
            Err(IdentityCreateConflict::IdentityTaken) => {
                return users
                    .find_by_identity(&login.identity)
                    .await?
                    .ok_or_else(|| Error::CorruptRecord("an identity index points at no account".to_owned()));
            }
        }
    }
    Err(Error::CorruptRecord(format!("every username candidate for {base} is taken")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Username;
    use crate::hashing::PasswordHash;
    use crate::users::ExternalIdentity;
    use crate::users::memory_store::MemoryUserStore;

    fn login(subject: &str, email: &str, verified: bool) -> VerifiedLogin {
        VerifiedLogin {
            identity: ExternalIdentity { issuer: "https://idp.example.com".to_owned(), subject: subject.to_owned() },
            email: Some(email.to_owned()),
            email_verified: verified,
            name: Some("Jane Doe".to_owned()),
            preferred_username: Some("jane".to_owned()),
        }
    }

    async fn password_account(users: &MemoryUserStore, name: &str, email: &str) -> User {
        let user = User {
            id: UserId::generate(),
            username: Username::parse(name).expect("valid"),
            password_hash: Some(PasswordHash::from_stored("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".to_owned())),
            email: Some(Email::parse(email).expect("valid")),
            display_name: None,
            disabled: false,
            created_at: clock::now(),
        };
        users.create(&user).await.expect("create");
        user
    }

    #[tokio::test]
    async fn a_first_login_creates_and_the_next_finds_the_same_account() {
        let users = MemoryUserStore::default();
        let first = find_or_create(&users, &login("s1", "jane@example.com", true), false).await.expect("created");
        assert_eq!(first.username.as_str(), "jane");
        assert!(first.password_hash.is_none());
        assert_eq!(first.email.as_ref().map(Email::as_str), Some("jane@example.com"));
        assert_eq!(first.display_name.as_deref(), Some("Jane Doe"));
        let again = find_or_create(&users, &login("s1", "jane@example.com", true), false).await.expect("found");
        assert_eq!(again.id, first.id);
        let other = find_or_create(&users, &login("s2", "jane2@example.com", false), false).await.expect("created");
        assert_eq!(other.username.as_str(), "jane-2", "the username is made unique");
        assert_eq!(other.email, None, "an unverified email is not kept");
    }

    #[tokio::test]
    async fn a_verified_email_links_to_one_password_account_only_when_enabled() {
        let users = MemoryUserStore::default();
        let account = password_account(&users, "jdoe", "Jane@Example.com").await;
        let unlinked = find_or_create(&users, &login("s1", "jane@example.com", true), false).await.expect("created");
        assert_ne!(unlinked.id, account.id, "linking is off by default");

        let unverified = find_or_create(&users, &login("s2", "jane@example.com", false), true).await.expect("created");
        assert_ne!(unverified.id, account.id, "an unverified email never links");

        let linked = find_or_create(&users, &login("s3", "jane@example.com", true), true).await.expect("linked");
        assert_eq!(linked.id, account.id);
        let again = find_or_create(&users, &login("s3", "jane@example.com", true), true).await.expect("found");
        assert_eq!(again.id, account.id);
    }

    #[tokio::test]
    async fn a_disabled_password_account_is_not_linked_and_the_login_is_refused() {
        let users = MemoryUserStore::default();
        let account = password_account(&users, "jdoe", "jane@example.com").await;
        users.set_disabled(&account.id, true).await.expect("disable");
        let refused = find_or_create(&users, &login("s1", "jane@example.com", true), true).await;
        assert!(matches!(refused, Err(Error::AccountDisabled)), "{refused:?}");
        let identity = login("s1", "jane@example.com", true).identity;
        assert_eq!(users.find_by_identity(&identity).await.expect("lookup"), None, "no link was stored");
    }

    #[tokio::test]
    async fn an_email_shared_by_several_password_accounts_links_to_none() {
        let users = MemoryUserStore::default();
        let one = password_account(&users, "one", "shared@example.com").await;
        let two = password_account(&users, "two", "shared@example.com").await;
        let user = find_or_create(&users, &login("s1", "shared@example.com", true), true).await.expect("created");
        assert!(user.id != one.id && user.id != two.id);
    }
}
