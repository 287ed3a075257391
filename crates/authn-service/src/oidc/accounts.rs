//! The account an SSO login lands in: found by (issuer, subject), linked by verified email when the
//! provider is trusted for it, or created just in time.
//!
//! A new account has no password, the username derived by [`crate::oidc::username`], the `name`
//! claim as its display name, and the `email` claim only when the provider says `email_verified: true`
//! (an unverified address is not kept, since nothing could rely on it).
//!
//! Linking (`OIDC_<NAME>_LINK_VERIFIED_EMAIL=true` for the login's provider): a first login whose
//! verified email equals the email of exactly one account whose email is itself verified links to that
//! account. An email typed at `/register` is never verified, so nobody can register a victim's address
//! first and be joined by the victim's SSO login later (account pre-hijacking). An account's email
//! counts as verified only when a provider trusted for linking created it from a verified claim: an
//! untrusted provider's claim can neither link nor be linked to. Several such accounts are ambiguous
//! and link to none (a new account is created).

use crate::domain::{Email, UserId};
use crate::error::Error;
use crate::oidc::provider::VerifiedLogin;
use crate::oidc::username::{base_username, candidates};
use crate::users::{IdentityCreateConflict, User, UserStore};
use auth_proto::clock;

/// Display names are shown in lists; longer ones are cut.
const MAX_DISPLAY_NAME_CHARS: usize = 256;

/// `trusted_for_linking` is the login's provider's `LINK_VERIFIED_EMAIL` setting.
pub async fn find_or_create<U: UserStore>(
    users: &U,
    login: &VerifiedLogin,
    trusted_for_linking: bool,
) -> Result<User, Error> {
    if let Some(user) = users.find_by_identity(&login.identity).await? {
        return Ok(user);
    }
    let verified_email =
        login.email.as_deref().filter(|_| login.email_verified).and_then(|email| Email::parse(email).ok());
    if trusted_for_linking && let Some(email) = &verified_email {
        let verified: Vec<User> =
            users.find_by_email(email).await?.into_iter().filter(|user| user.email_verified).collect();
        match verified.as_slice() {
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
            email_verified: trusted_for_linking && verified_email.is_some(),
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

    fn login_at(issuer: &str, subject: &str, email: &str) -> VerifiedLogin {
        let mut login = login(subject, email, true);
        login.identity.issuer = issuer.to_owned();
        login
    }

    /// An account with a password and an email; `email_verified` as given (`/register` gives false).
    async fn password_account(users: &MemoryUserStore, name: &str, email: &str, email_verified: bool) -> User {
        let user = User {
            id: UserId::generate(),
            username: Username::parse(name).expect("valid"),
            password_hash: Some(PasswordHash::from_stored("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".to_owned())),
            email: Some(Email::parse(email).expect("valid")),
            email_verified,
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
    async fn a_verified_email_links_to_one_verified_account_only_when_the_provider_is_trusted() {
        let users = MemoryUserStore::default();
        let account = password_account(&users, "jdoe", "Jane@Example.com", true).await;
        let unlinked = find_or_create(&users, &login("s1", "jane@example.com", true), false).await.expect("created");
        assert_ne!(unlinked.id, account.id, "linking is off unless the provider is trusted for it");
        assert!(!unlinked.email_verified, "an untrusted provider's claim does not make a verified email");

        let unverified = find_or_create(&users, &login("s2", "jane@example.com", false), true).await.expect("created");
        assert_ne!(unverified.id, account.id, "an unverified claim never links");

        let linked = find_or_create(&users, &login("s3", "jane@example.com", true), true).await.expect("linked");
        assert_eq!(linked.id, account.id);
        let again = find_or_create(&users, &login("s3", "jane@example.com", true), true).await.expect("found");
        assert_eq!(again.id, account.id);
    }

    #[tokio::test]
    async fn an_email_given_at_registration_never_links_a_verified_sso_login() {
        let users = MemoryUserStore::default();
        let squatter = password_account(&users, "squatter", "victim@example.com", false).await;
        let victim = find_or_create(&users, &login("victim", "victim@example.com", true), true).await.expect("created");
        assert_ne!(victim.id, squatter.id, "the pre-registered account does not get the victim's SSO identity");
        assert!(victim.email_verified, "a trusted provider's verified claim makes a verified account");
    }

    #[tokio::test]
    async fn an_account_created_by_an_untrusted_provider_is_not_linked_to() {
        let users = MemoryUserStore::default();
        let untrusted = login_at("https://social.example", "attacker", "victim@example.com");
        let first = find_or_create(&users, &untrusted, false).await.expect("created");
        assert!(!first.email_verified);
        let trusted = login_at("https://corp.example", "victim", "victim@example.com");
        let second = find_or_create(&users, &trusted, true).await.expect("created");
        assert_ne!(second.id, first.id, "an email that only an untrusted provider vouched for is not linked to");

        let other_trusted = login_at("https://partner.example", "victim", "victim@example.com");
        let third = find_or_create(&users, &other_trusted, true).await.expect("linked");
        assert_eq!(third.id, second.id, "two trusted providers' verified emails join one account");
    }

    #[tokio::test]
    async fn a_disabled_password_account_is_not_linked_and_the_login_is_refused() {
        let users = MemoryUserStore::default();
        let account = password_account(&users, "jdoe", "jane@example.com", true).await;
        users.set_disabled(&account.id, true).await.expect("disable");
        let refused = find_or_create(&users, &login("s1", "jane@example.com", true), true).await;
        assert!(matches!(refused, Err(Error::AccountDisabled)), "{refused:?}");
        let identity = login("s1", "jane@example.com", true).identity;
        assert_eq!(users.find_by_identity(&identity).await.expect("lookup"), None, "no link was stored");
    }

    #[tokio::test]
    async fn an_email_shared_by_several_verified_accounts_links_to_none() {
        let users = MemoryUserStore::default();
        let one = password_account(&users, "one", "shared@example.com", true).await;
        let two = password_account(&users, "two", "shared@example.com", true).await;
        let user = find_or_create(&users, &login("s1", "shared@example.com", true), true).await.expect("created");
        assert!(user.id != one.id && user.id != two.id);
    }
}
