//! The HTTP client authn uses to talk to OpenID Connect providers: the workspace's reqwest behind
//! `openidconnect`'s [`AsyncHttpClient`] trait.
//!
//! `openidconnect` 4 only ships a client for an older reqwest, so this adapter keeps one reqwest in the
//! build. Redirects are never followed: a provider's metadata or a redirect cannot steer authn to
//! another host (SSRF), and the OpenID Connect endpoints do not redirect back-channel calls anyway.

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// How long a provider may take to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one whole call (discovery, JWKS, token exchange) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Provider documents (metadata, key sets, token responses) are small; more is refused.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Why a call to a provider got no usable HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum ProviderHttpError {
    #[error("the provider did not answer: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("the request could not be built: {0}")]
    Request(String),
    #[error("the provider's answer is larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
}

#[derive(Debug, Clone)]
pub struct ProviderHttpClient {
    client: reqwest::Client,
}

impl ProviderHttpClient {
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("auth-platform-authn/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client })
    }

    /// One call to the provider (discovery, keys or the code exchange). It gets a client span; no
    /// `traceparent` is sent, since the provider is outside the platform and need not see its trace ids.
    #[tracing::instrument(level = "debug", name = "identity provider call", skip_all, fields(
        otel.kind = "client",
        http.request.method = %request.method(),
        server.address = request.uri().host().unwrap_or_default(),
        url.path = request.uri().path(),
        http.response.status_code = tracing::field::Empty,
    ))]
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, ProviderHttpError> {
        let (parts, body) = request.into_parts();
        let url = reqwest::Url::parse(&parts.uri.to_string()).map_err(|e| ProviderHttpError::Request(e.to_string()))?;
        let mut outbound = self.client.request(parts.method, url).headers(parts.headers).body(body);
        // reqwest and openidconnect share the `http` 1 crate, so method and headers carry over as they are.
        outbound = outbound.version(parts.version);
        let mut response = outbound.send().await?;
        tracing::Span::current().record("http.response.status_code", response.status().as_u16());
        let mut builder =
            openidconnect::http::Response::builder().status(response.status()).version(response.version());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(ProviderHttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        builder.body(body).map_err(|e| ProviderHttpError::Request(e.to_string()))
    }
}

impl<'c> AsyncHttpClient<'c> for ProviderHttpClient {
    type Error = ProviderHttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.execute(request))
    }
}
