//! One OpenID Connect provider as authn sees it: its discovery document and key set, fetched lazily
//! and cached, the authorization URL, and the code exchange with the ID token's verification.
//!
//! Discovery happens on first use, not at start: authn starts and serves password logins while a
//! provider is down, and `/oauth/*` answers 503 until the provider is back, then recovers by itself.
//! The metadata is re-discovered after [`METADATA_TTL`] (keeping the stale copy while the provider is
//! unreachable). An ID token signed with a key id that the cached key set lacks (the provider rotated
//! its keys) makes authn re-fetch the key set once and verify again; such re-fetches are at most one
//! per [`KEY_REFETCH_COOLDOWN`], so tokens with made-up key ids cannot make authn hammer the provider.

use crate::error::Error;
use crate::oidc::http_client::{ProviderHttpClient, ProviderHttpError};
use crate::oidc::settings::{ProviderSettings, TokenAuthMethod};
use crate::users::ExternalIdentity;
use auth_proto::clock;
use auth_proto::redact::Redacted;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, DiscoveryError,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySet, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, SignatureVerificationError, TokenResponse,
};
use secrecy::ExposeSecret;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};
use url::Url;

/// How long discovered metadata is used before it is fetched again.
pub const METADATA_TTL: Duration = Duration::from_secs(3600);
/// The least time between two key-set re-fetches caused by an unknown key id.
pub const KEY_REFETCH_COOLDOWN: Duration = Duration::from_secs(30);
/// How far in the future an ID token's `iat` may be (clock skew), and how old it may be: the token is
/// minted at the code exchange, so an old one is a replay.
const IAT_MAX_SKEW_SECONDS: i64 = 300;
const IAT_MAX_AGE_SECONDS: i64 = 900;

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// What authn learned from a provider, shared by concurrent requests: its metadata, which carries its
/// key set (replaced when the keys are fetched again).
#[derive(Debug)]
struct Discovered {
    metadata: CoreProviderMetadata,
    fetched_at: Instant,
}

/// Who the provider says the user is, after every check passed.
#[derive(Debug, Clone)]
pub struct VerifiedLogin {
    pub identity: ExternalIdentity,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub preferred_username: Option<String>,
}

/// The secrets of one authorization request, kept server side until the callback. `Debug` prints none of
/// them, and the URL without its query (which carries the state and the nonce).
pub struct AuthorizationRequest {
    pub url: Url,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("url", &format_args!("{}{}?[REDACTED]", self.url.origin().ascii_serialization(), self.url.path()))
            .field("state", &Redacted)
            .field("nonce", &Redacted)
            .field("pkce_verifier", &Redacted)
            .finish()
    }
}

#[derive(Debug)]
pub struct Provider {
    settings: ProviderSettings,
    http: ProviderHttpClient,
    cached: RwLock<Option<Arc<Discovered>>>,
    /// One discovery or key fetch at a time per provider; the others wait and use its result.
    fetching: tokio::sync::Mutex<()>,
    last_key_refetch: Mutex<Option<Instant>>,
}

impl Provider {
    pub fn new(settings: ProviderSettings, http: ProviderHttpClient) -> Self {
        Self {
            settings,
            http,
            cached: RwLock::new(None),
            fetching: tokio::sync::Mutex::new(()),
            last_key_refetch: Mutex::new(None),
        }
    }

    pub fn name(&self) -> &str {
        &self.settings.name
    }

    pub fn issuer(&self) -> &str {
        &self.settings.issuer_url
    }

    /// Whether this provider's `email_verified` claims are trusted for linking accounts by email.
    pub fn links_verified_email(&self) -> bool {
        self.settings.link_verified_email
    }

    /// This service's callback as registered at the provider: the state cookie is scoped to its path.
    pub fn redirect_url(&self) -> &Url {
        &self.settings.redirect_url
    }

    /// A new authorization request: fresh `state`, `nonce` and PKCE (S256) verifier, and the URL of the
    /// provider's authorization endpoint carrying them.
    pub async fn authorization_request(&self) -> Result<AuthorizationRequest, Error> {
        let discovered = self.discovered().await?;
        let client = self.client(&discovered);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256_len(32);
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            || CsrfToken::new_random_len(32),
            || Nonce::new_random_len(32),
        );
        // `openid` is always sent by the library.
        for scope in self.settings.scopes.iter().filter(|scope| *scope != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(AuthorizationRequest {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code at the token endpoint (with the PKCE verifier) and verifies the ID token:
    /// signature with the provider's published keys and an algorithm it announces (never `none`),
    /// `iss`, `aud` (and `azp`), `exp`, `iat` and `nonce`.
    pub async fn redeem(&self, code: String, pkce_verifier: String, nonce: &str) -> Result<VerifiedLogin, Error> {
        let discovered = self.discovered().await?;
        let client = self.client(&discovered);
        let exchange = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|error| Error::CodeExchangeFailed(format!("no token endpoint: {error}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier));
        let response = exchange.request_async(&self.http).await.map_err(|error| self.exchange_error(error))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| Error::InvalidIdToken("the token response has no id_token".to_owned()))?;
        self.verify_id_token(&discovered, id_token, &Nonce::new(nonce.to_owned())).await
    }

    /// Verifies an ID token against the cached key set, re-fetching the key set once (within the
    /// cool-down) when the token's key id is not in it.
    async fn verify_id_token(
        &self,
        discovered: &Arc<Discovered>,
        id_token: &CoreIdToken,
        nonce: &Nonce,
    ) -> Result<VerifiedLogin, Error> {
        let verified = match self.verify(discovered, id_token, nonce) {
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                match self.refetch_keys(discovered).await? {
                    Some(refreshed) => self.verify(&refreshed, id_token, nonce),
                    None => {
                        Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey))
                    }
                }
            }
            other => other,
        };
        // The library's signature errors say only "Signature verification failed"; the log needs the
        // cause (unknown key, disallowed algorithm, bad signature).
        verified.map_err(|error| match source_chain(&error) {
            causes if causes.is_empty() => Error::InvalidIdToken(error.to_string()),
            causes => Error::InvalidIdToken(format!("{error}: {causes}")),
        })
    }

    fn verify(
        &self,
        discovered: &Discovered,
        id_token: &CoreIdToken,
        nonce: &Nonce,
    ) -> Result<VerifiedLogin, ClaimsVerificationError> {
        let algorithms = discovered
            .metadata
            .id_token_signing_alg_values_supported()
            .iter()
            .filter(|algorithm| **algorithm != CoreJwsSigningAlgorithm::None)
            .cloned()
            .collect::<Vec<_>>();
        let verifier = CoreIdTokenVerifier::new_confidential_client(
            ClientId::new(self.settings.client_id.clone()),
            ClientSecret::new(self.settings.client_secret.expose_secret().to_owned()),
            discovered.metadata.issuer().clone(),
            discovered.metadata.jwks().clone(),
        )
        .set_allowed_algs(algorithms);
        let claims = id_token.claims(&verifier, nonce)?;
        // The library leaves `azp` to the client: with several audiences it must name us, and when
        // present it must be us.
        let azp_ok = match claims.authorized_party() {
            Some(azp) => **azp == self.settings.client_id,
            None => claims.audiences().len() == 1,
        };
        if !azp_ok {
            return Err(ClaimsVerificationError::InvalidAudience("azp is not this client".to_owned()));
        }
        let iat = claims.issue_time().timestamp();
        let now = clock::now();
        if iat > now + IAT_MAX_SKEW_SECONDS || iat < now - IAT_MAX_AGE_SECONDS {
            return Err(ClaimsVerificationError::Expired(format!("iat {iat} is too far from now ({now})")));
        }
        Ok(VerifiedLogin {
            identity: ExternalIdentity {
                issuer: self.settings.issuer_url.clone(),
                subject: claims.subject().as_str().to_owned(),
            },
            email: claims.email().map(|email| email.as_str().to_owned()),
            email_verified: claims.email_verified() == Some(true),
            name: claims.name().and_then(|name| name.get(None)).map(|name| name.as_str().to_owned()),
            preferred_username: claims.preferred_username().map(|name| name.as_str().to_owned()),
        })
    }

    fn exchange_error<T>(&self, error: RequestTokenError<ProviderHttpError, T>) -> Error
    where
        T: openidconnect::ErrorResponse,
    {
        match error {
            RequestTokenError::Request(ProviderHttpError::Transport(source)) => self.unavailable(source),
            RequestTokenError::ServerResponse(response) => {
                Error::CodeExchangeFailed(format!("the token endpoint refused the code: {response}"))
            }
            other => Error::CodeExchangeFailed(other.to_string()),
        }
    }

    fn unavailable(&self, reason: impl std::fmt::Display) -> Error {
        Error::IdentityProviderUnavailable { provider: self.settings.name.clone(), reason: reason.to_string() }
    }

    fn client(&self, discovered: &Discovered) -> Client {
        let redirect = RedirectUrl::from_url(self.settings.redirect_url.clone());
        CoreClient::from_provider_metadata(
            discovered.metadata.clone(),
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.expose_secret().to_owned())),
        )
        .set_redirect_uri(redirect)
        .set_auth_type(match self.settings.token_auth_method {
            TokenAuthMethod::ClientSecretBasic => AuthType::BasicAuth,
            TokenAuthMethod::ClientSecretPost => AuthType::RequestBody,
        })
    }

    fn current(&self) -> Option<Arc<Discovered>> {
        self.cached.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn store(&self, discovered: Discovered) -> Arc<Discovered> {
        let discovered = Arc::new(discovered);
        *self.cached.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&discovered));
        discovered
    }

    /// The cached metadata and keys, discovered now when there are none or they are old.
    async fn discovered(&self) -> Result<Arc<Discovered>, Error> {
        let fresh = |discovered: &Arc<Discovered>| discovered.fetched_at.elapsed() < METADATA_TTL;
        if let Some(discovered) = self.current().filter(fresh) {
            return Ok(discovered);
        }
        let _fetching = self.fetching.lock().await;
        let stale = self.current();
        if let Some(discovered) = stale.clone().filter(fresh) {
            return Ok(discovered);
        }
        match self.discover().await {
            Ok(discovered) => Ok(self.store(discovered)),
            Err(error) => match stale {
                Some(stale) => {
                    tracing::warn!(provider = %self.settings.name, %error, "re-discovery failed; using the cached metadata");
                    Ok(stale)
                }
                None => Err(error),
            },
        }
    }

    async fn discover(&self) -> Result<Discovered, Error> {
        let issuer = IssuerUrl::new(self.settings.issuer_url.clone())
            .map_err(|error| self.unavailable(format!("issuer URL: {error}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|error| self.discovery_error("discovery", error))?;
        tracing::info!(provider = %self.settings.name, keys = metadata.jwks().keys().len(), "identity provider discovered");
        Ok(Discovered { metadata, fetched_at: Instant::now() })
    }

    /// Fetches the key set again after an unknown key id, unless another request just did (its result
    /// is used) or the cool-down since the last re-fetch has not passed (`None`).
    async fn refetch_keys(&self, seen: &Arc<Discovered>) -> Result<Option<Arc<Discovered>>, Error> {
        let _fetching = self.fetching.lock().await;
        if let Some(current) = self.current().filter(|current| !Arc::ptr_eq(current, seen)) {
            return Ok(Some(current));
        }
        {
            let mut last = self.last_key_refetch.lock().unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < KEY_REFETCH_COOLDOWN) {
                tracing::info!(provider = %self.settings.name, "unknown key id; key set re-fetched recently, not again");
                return Ok(None);
            }
            *last = Some(Instant::now());
        }
        let keys = JsonWebKeySet::fetch_async(seen.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|error| self.discovery_error("key set", error))?;
        tracing::info!(provider = %self.settings.name, keys = keys.keys().len(), "unknown key id; key set re-fetched");
        let metadata = seen.metadata.clone().set_jwks(keys);
        Ok(Some(self.store(Discovered { metadata, fetched_at: seen.fetched_at })))
    }

    fn discovery_error(&self, what: &str, error: DiscoveryError<ProviderHttpError>) -> Error {
        // Whatever went wrong (unreachable, a 5xx, a document that does not validate), SSO with this
        // provider cannot proceed now: 503, with the cause in the log.
        self.unavailable(format!("{what}: {error}: {}", source_chain(&error)))
    }
}

fn source_chain(error: &dyn std::error::Error) -> String {
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    causes.join(": ")
}

#[cfg(test)]
mod tests;
