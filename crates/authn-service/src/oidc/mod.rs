//! Single sign-on: authn as an OpenID Connect relying party (authorization code flow with PKCE).
//!
//! 1. `GET /oauth/login?provider=NAME` ([`login::begin_login`]): a fresh `state`, `nonce` and PKCE
//!    verifier are stored server side ([`flow_state`]) and the browser is sent to the provider, with a
//!    cookie that binds the login to this browser ([`browser_binding`]).
//! 2. The user signs in at the provider, which sends the browser to `/oauth/callback?code&state`.
//! 3. [`callback::complete_login`] checks the browser's state cookie, takes the state (once), exchanges the code with the PKCE verifier,
//!    verifies the ID token ([`provider`]), finds or creates the account ([`accounts`]) and mints the
//!    tokens exactly as a password login does, with `amr: ["oidc"]`.
//!
//! Providers are discovered lazily and cached ([`provider`]); their settings are in [`settings`].

pub mod accounts;
pub mod browser_binding;
pub mod callback;
pub mod flow_state;
pub mod http_client;
pub mod login;
pub mod provider;
pub mod settings;
pub mod username;

use crate::error::Error;
use crate::oidc::flow_state::FlowStates;
use crate::oidc::http_client::ProviderHttpClient;
use crate::oidc::provider::Provider;
use crate::oidc::settings::OidcSettings;
use std::collections::BTreeMap;
use url::Url;

/// The configured providers, the store of logins in progress and the SSO policies.
#[derive(Debug)]
pub struct Sso {
    providers: BTreeMap<String, Provider>,
    states: FlowStates,
    frontend_redirect_urls: Vec<Url>,
}

impl Sso {
    pub fn new(settings: &OidcSettings, states: FlowStates) -> Result<Self, Error> {
        let http = ProviderHttpClient::new().map_err(|error| Error::HttpClient(error.to_string()))?;
        let providers = settings
            .providers
            .iter()
            .map(|provider| (provider.name.clone(), Provider::new(provider.clone(), http.clone())))
            .collect();
        Ok(Self { providers, states, frontend_redirect_urls: settings.frontend_redirect_urls.clone() })
    }

    pub fn is_enabled(&self) -> bool {
        !self.providers.is_empty()
    }

    pub fn provider(&self, name: &str) -> Result<&Provider, Error> {
        if !self.is_enabled() {
            return Err(Error::SsoNotConfigured);
        }
        self.providers.get(name).ok_or_else(|| Error::UnknownProvider(name.to_owned()))
    }

    pub fn states(&self) -> &FlowStates {
        &self.states
    }

    /// The allow-listed front-end URL equal to `raw`; anything else is refused, so the callback can
    /// never be made to send tokens to an address the operator did not list.
    pub fn allowed_frontend(&self, raw: &str) -> Result<Url, Error> {
        let url = Url::parse(raw).map_err(|_| Error::RedirectNotAllowed)?;
        self.frontend_redirect_urls.iter().find(|allowed| **allowed == url).cloned().ok_or(Error::RedirectNotAllowed)
    }
}
