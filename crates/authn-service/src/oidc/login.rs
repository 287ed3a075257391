//! `GET /oauth/login`: the start of an SSO login.

use crate::error::Error;
use crate::oidc::Sso;
use crate::oidc::flow_state::{FlowState, FlowStateStore, StateKey};
use crate::oidc::settings::DEFAULT_PROVIDER;
use url::Url;

/// Stores a new login in progress and returns the provider's authorization URL to send the browser to.
/// `redirect_uri`, when given, must be on the front-end allow-list: the callback then redirects there.
#[tracing::instrument(skip_all, fields(provider = provider.unwrap_or(DEFAULT_PROVIDER)))]
pub async fn begin_login(sso: &Sso, provider: Option<&str>, redirect_uri: Option<&str>) -> Result<Url, Error> {
    let provider = sso.provider(provider.unwrap_or(DEFAULT_PROVIDER))?;
    let frontend_redirect = redirect_uri.map(|uri| sso.allowed_frontend(uri)).transpose()?;
    let request = provider.authorization_request().await?;
    let record = FlowState {
        provider: provider.name().to_owned(),
        pkce_verifier: request.pkce_verifier,
        nonce: request.nonce,
        frontend_redirect: frontend_redirect.map(String::from),
    };
    sso.states().put(&StateKey::parse(&request.state)?, &record).await?;
    Ok(request.url)
}
