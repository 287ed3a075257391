//! The password login flow behind `POST /login`.
//!
//! 1. Refuse at once (429, no hashing) when the username or the client address is locked out.
//! 2. Find the user and verify the password on the blocking pool; an unknown or disabled user is
//!    verified against the dummy hash instead, so every failure costs the same and answers the same 401.
//! 3. On failure, count one failure for the username and one for the address, in one round trip.
//! 4. On success, forget the username's failures and ask the token service to mint a session's tokens.

use crate::domain::{Password, Username};
use crate::error::Error;
use crate::lockout::{FailureStore, FailureSubject};
use crate::session_opening::{LoginClient, open_session};
use crate::state::AppState;
use crate::users::UserStore;
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

#[tracing::instrument(skip_all, fields(client_address = ?attempt.client_address))]
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
    state.lockout.ensure_not_locked(&subjects).await?;

    let user = match &username {
        Some(username) => state.users.find_by_username(username).await?,
        None => None,
    };
    let usable = user.filter(|user| !user.disabled);
    let verified = match Password::parse_presented(attempt.password) {
        Ok(password) => {
            let stored = usable.as_ref().and_then(|user| user.password_hash.as_ref());
            state.hasher.verify(&password, stored).await?
        }
        // Over 1024 characters can match no account; refusing it unhashed reveals nothing about the
        // username, since the same happens whether or not it exists.
        Err(_) => false,
    };
    let user = match usable {
        Some(user) if verified => user,
        _ => {
            state.lockout.record_failure(&subjects).await?;
            tracing::info!(username = username.as_ref().map_or("(invalid)", Username::as_str), "login refused");
            return Err(Error::InvalidCredentials);
        }
    };

    state.lockout.clear(&FailureSubject::Username(user.username.clone())).await?;
    let client = LoginClient { address: attempt.client_address, user_agent: attempt.user_agent };
    let tokens = open_session(&state.tokens, &user, AMR_PASSWORD, client).await?;
    tracing::info!(user_id = %user.id, session_id = %tokens.session_id, "login succeeded");
    Ok(tokens)
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
