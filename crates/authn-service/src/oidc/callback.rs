//! `GET /oauth/callback`: the end of an SSO login, from the provider's redirect to the token response.
//!
//! Nothing is created before every check passed: the state is taken (once), the provider's `error=`
//! and `iss` are checked, the code is exchanged and the ID token verified; only then is the account
//! found or created and a session minted.

use crate::error::Error;
use crate::lockout::FailureStore;
use crate::oidc::accounts::find_or_create;
use crate::oidc::browser_binding::{self, BrowserSecret};
use crate::oidc::flow_state::{FlowStateStore, StateKey};
use crate::session_opening::{LoginClient, open_session};
use crate::state::AppState;
use crate::users::UserStore;
use actix_web::cookie::Cookie;
use auth_proto::claims::AMR_OIDC;
use auth_proto::public::TokenResponse;
use auth_proto::redact::redacted_option;
use serde::Deserialize;
use std::fmt;
use url::Url;

/// Provider error codes are echoed to the client; anything longer or stranger is cut to this.
const MAX_PROVIDER_ERROR_CHARS: usize = 64;

/// The query of the provider's redirect (RFC 6749 §4.1.2, RFC 9207 `iss`). `Debug` shows whether `code`
/// and `state` are there, never their values.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackParams {
    /// The authorization code.
    pub code: Option<String>,
    /// The state `/oauth/login` sent.
    pub state: Option<String>,
    /// The provider's error code, when the login failed there (e.g. `access_denied`).
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The issuer that answered (RFC 9207), checked when present.
    pub iss: Option<String>,
}

impl fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackParams")
            .field("code", &redacted_option(&self.code))
            .field("state", &redacted_option(&self.state))
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .field("iss", &self.iss)
            .finish()
    }
}

/// The result of a callback, where it goes (front-end redirect mode) when the state said so, and the
/// cookie that clears the browser's state cookie when the login's record was found.
#[derive(Debug)]
pub struct CallbackOutcome {
    pub frontend_redirect: Option<Url>,
    pub clear_cookie: Option<Cookie<'static>>,
    pub result: Result<TokenResponse, Error>,
}

impl CallbackOutcome {
    fn refused(error: Error) -> Self {
        Self { frontend_redirect: None, clear_cookie: None, result: Err(error) }
    }
}

/// `browser_cookie` gives the value of the request's cookie of that name.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn complete_login<U: UserStore, F: FailureStore>(
    state: &AppState<U, F>,
    params: CallbackParams,
    browser_cookie: impl Fn(&str) -> Option<String>,
    client: LoginClient,
) -> CallbackOutcome {
    let key = match StateKey::parse(params.state.as_deref().unwrap_or_default()) {
        Ok(key) => key,
        Err(error) => return CallbackOutcome::refused(error),
    };
    // Without this browser's cookie the state is not even looked up: a callback URL in someone else's
    // hands neither completes the login nor uses it up.
    let Some(presented) = browser_cookie(&browser_binding::cookie_name(&key)) else {
        tracing::info!("SSO callback without the state cookie refused");
        return CallbackOutcome::refused(Error::StateNotBound);
    };
    let record = match state.sso.states().take(&key).await {
        Ok(Some(record)) => record,
        Ok(None) => return CallbackOutcome::refused(Error::InvalidState),
        Err(error) => return CallbackOutcome::refused(error),
    };
    let clear_cookie = state
        .sso
        .provider(&record.provider)
        .ok()
        .map(|provider| browser_binding::clear_cookie(&key, provider.redirect_url()));
    if !BrowserSecret::matches(&presented, &record.browser_binding) {
        tracing::info!("SSO callback with another browser's state cookie refused");
        return CallbackOutcome { frontend_redirect: None, clear_cookie, result: Err(Error::StateNotBound) };
    }
    let frontend_redirect = record.frontend_redirect.as_deref().and_then(|url| Url::parse(url).ok());
    let result = finish(state, params, record, client).await;
    if let Err(error) = &result {
        tracing::info!(%error, "SSO login refused");
    }
    CallbackOutcome { frontend_redirect, clear_cookie, result }
}

async fn finish<U: UserStore, F: FailureStore>(
    state: &AppState<U, F>,
    params: CallbackParams,
    record: crate::oidc::flow_state::FlowState,
    client: LoginClient,
) -> Result<TokenResponse, Error> {
    let provider = state.sso.provider(&record.provider)?;
    // RFC 9207: a response naming another issuer was meant for another provider (mix-up attack).
    if params.iss.as_deref().is_some_and(|iss| iss != provider.issuer()) {
        return Err(Error::InvalidIdToken("the iss parameter names another issuer".to_owned()));
    }
    if let Some(error) = params.error {
        let error: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .take(MAX_PROVIDER_ERROR_CHARS)
            .collect();
        return Err(Error::ProviderRefused { error });
    }
    let code = params
        .code
        .filter(|code| !code.is_empty())
        .ok_or(Error::InvalidInput { field: "code", reason: "is required unless the provider sent error" })?;
    let login = provider.redeem(code, record.pkce_verifier, &record.nonce).await?;
    let user = find_or_create(&state.users, &login, provider.links_verified_email()).await?;
    if user.disabled {
        return Err(Error::AccountDisabled);
    }
    let tokens = open_session(&state.tokens, &user, AMR_OIDC, client).await?;
    tracing::info!(user_id = %user.id, session_id = %tokens.session_id, provider = %provider.name(), "SSO login succeeded");
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_neither_code_nor_state() {
        let params = CallbackParams {
            code: Some("the-authorization-code".to_owned()),
            state: Some("the-state-value".to_owned()),
            iss: Some("https://issuer.example.test".to_owned()),
            ..CallbackParams::default()
        };
        let debug = format!("{params:?}");
        assert!(!debug.contains("the-authorization-code") && !debug.contains("the-state-value"), "{debug}");
        assert!(debug.contains("Some([REDACTED])") && debug.contains("issuer.example.test"), "{debug}");
    }
}
