//! The password login flow behind `POST /login`.
//!
//! 1. Reserve one attempt for the username and one for the client address, atomically each (see
//!    [`crate::lockout`]): when either has none left, 429 at once, with no hashing.
//! 2. Find the user and verify the password on a hashing thread; an unknown or disabled user is verified
//!    against the dummy hash instead, so every failure costs the same and answers the same 401. The
//!    reserved attempts are the failures: nothing more is recorded.
//! 3. On success, forget the username's failures, give the address its attempt back, store a fresh hash
//!    when the stored one was made with older parameters, and ask the token service to mint a session's
//!    tokens. When the password could not be checked (Redis or hashing unavailable), the attempts are
//!    given back.

use crate::domain::{Password, Username};
use crate::error::Error;
use crate::lockout::{FailureStore, FailureSubject};
use crate::session_opening::{LoginClient, open_session};
use crate::state::AppState;
use crate::users::{User, UserStore};
use auth_proto::claims::AMR_PASSWORD;
use auth_proto::public::TokenResponse;
use auth_proto::redact::Redacted;
use std::fmt;
use std::net::IpAddr;

/// A login as presented by the client, not yet checked. `Debug` leaves the password out.
pub struct LoginAttempt {
    pub username: String,
    pub password: String,
    pub client_address: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl fmt::Debug for LoginAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginAttempt")
            .field("username", &self.username)
            .field("password", &Redacted)
            .field("client_address", &self.client_address)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

#[tracing::instrument(level = "debug", skip_all, fields(client_address = ?attempt.client_address))]
pub async fn log_in<U: UserStore, F: FailureStore>(
    state: &AppState<U, F>,
    attempt: LoginAttempt,
) -> Result<TokenResponse, Error> {
    // A username that cannot be valid cannot exist: it goes through the same dummy verification and
    // answers the same 401, but gets no counter of its own (its key would be attacker-chosen garbage).
    let username = Username::parse(&attempt.username).ok();
    let mut subjects = Vec::with_capacity(2);
    if let Some(username) = &username {
        subjects.push(FailureSubject::Username(username.clone()));
    }
    if let Some(address) = attempt.client_address {
        subjects.push(FailureSubject::Address(address));
    }
    state.lockout.reserve(&subjects).await?;

    let Verified { user, password, outdated } = match check_password(state, username.as_ref(), attempt.password).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            tracing::info!(username = username.as_ref().map_or("(invalid)", Username::as_str), "login refused");
            return Err(Error::InvalidCredentials);
        }
        Err(error) => {
            state.lockout.unchecked(&subjects).await;
            return Err(error);
        }
    };

    state.lockout.succeeded(&subjects).await?;
    if outdated {
        rehash(state, &user, &password).await;
    }
    let client = LoginClient { address: attempt.client_address, user_agent: attempt.user_agent };
    let tokens = open_session(&state.tokens, &user, AMR_PASSWORD, client).await?;
    tracing::info!(user_id = %user.id, session_id = %tokens.session_id, "login succeeded");
    Ok(tokens)
}

/// A login whose password matched a usable account.
struct Verified {
    user: User,
    password: Password,
    /// The stored hash was made with other argon2 parameters than today's.
    outdated: bool,
}

/// The usable account whose password this is; `None` for a wrong password, an unknown or disabled user,
/// or a password too long to be anyone's.
async fn check_password<U: UserStore, F: FailureStore>(
    state: &AppState<U, F>,
    username: Option<&Username>,
    presented: String,
) -> Result<Option<Verified>, Error> {
    let user = match username {
        Some(username) => state.users.find_by_username(username).await?,
        None => None,
    };
    let usable = user.filter(|user| !user.disabled);
    // Over 1024 characters can match no account; refusing it unhashed reveals nothing about the
    // username, since the same happens whether or not it exists.
    let Ok(password) = Password::parse_presented(presented) else {
        return Ok(None);
    };
    let stored = usable.as_ref().and_then(|user| user.password_hash.as_ref());
    let verification = state.hasher.check(&password, stored).await?;
    Ok(usable.filter(|_| verification.matched).map(|user| Verified { user, password, outdated: verification.outdated }))
}

/// Replaces a hash made with older argon2 parameters by one with today's, now that the password is
/// known. Best effort: the login goes on whatever happens here, and a password changed meanwhile is
/// left alone (the store replaces only the hash it was given).
async fn rehash<U: UserStore, F: FailureStore>(state: &AppState<U, F>, user: &User, password: &Password) {
    let Some(current) = &user.password_hash else { return };
    let result = match state.hasher.hash(password).await {
        Ok(fresh) => state.users.replace_password_hash(&user.id, current, &fresh).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(replaced) => tracing::info!(user_id = %user.id, replaced, "outdated password hash rehashed"),
        Err(error) => tracing::warn!(user_id = %user.id, %error, "outdated password hash not rehashed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_leaves_the_password_out() {
        let attempt = LoginAttempt {
            username: "alice".to_owned(),
            password: "correct horse battery staple".to_owned(),
            client_address: None,
            user_agent: None,
        };
        let debug = format!("{attempt:?}");
        assert!(!debug.contains("correct horse"), "{debug}");
        assert!(debug.contains("alice") && debug.contains("[REDACTED]"), "{debug}");
    }
}
