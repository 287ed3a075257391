//! `GET /oauth/login`: the start of an SSO login.

use crate::error::Error;
use crate::oidc::Sso;
use crate::oidc::browser_binding::{self, BrowserSecret};
use crate::oidc::flow_state::{FlowState, FlowStateStore, StateKey};
use crate::oidc::settings::DEFAULT_PROVIDER;
use actix_web::cookie::Cookie;
use url::Url;

/// Where to send the browser, and the cookie that binds the login to it.
#[derive(Debug)]
pub struct LoginStart {
    pub authorization_url: Url,
    pub state_cookie: Cookie<'static>,
}

/// Stores a new login in progress and returns the provider's authorization URL to send the browser to,
/// with the state cookie to set on it ([`browser_binding`]).
/// `redirect_uri`, when given, must be on the front-end allow-list: the callback then redirects there.
#[tracing::instrument(level = "debug", skip_all, fields(provider = provider.unwrap_or(DEFAULT_PROVIDER)))]
pub async fn begin_login(sso: &Sso, provider: Option<&str>, redirect_uri: Option<&str>) -> Result<LoginStart, Error> {
    let provider = sso.provider(provider.unwrap_or(DEFAULT_PROVIDER))?;
    let frontend_redirect = redirect_uri.map(|uri| sso.allowed_frontend(uri)).transpose()?;
    let request = provider.authorization_request().await?;
    let secret = BrowserSecret::generate();
    let record = FlowState {
        provider: provider.name().to_owned(),
        pkce_verifier: request.pkce_verifier,
        nonce: request.nonce,
        frontend_redirect: frontend_redirect.map(String::from),
        browser_binding: secret.hash(),
    };
    let state = StateKey::parse(&request.state)?;
    sso.states().put(&state, &record).await?;
    Ok(LoginStart {
        authorization_url: request.url,
        state_cookie: browser_binding::set_cookie(&state, &secret, provider.redirect_url()),
    })
}
