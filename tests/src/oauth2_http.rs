//! The `oauth2` crate's HTTP client for the tests that speak to the platform through a real OAuth 2.0
//! client library: the workspace's reqwest behind oauth2's [`AsyncHttpClient`] trait (oauth2 5 only
//! ships a client for an older reqwest, and one reqwest stays in the build). Redirects are not followed,
//! as OAuth 2.0 back-channel calls never redirect.

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Why a call got no HTTP answer.
#[derive(Debug)]
pub struct TransportError(pub String);

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TransportError {}

#[derive(Debug, Clone)]
pub struct OAuth2Http {
    client: reqwest::Client,
}

impl Default for OAuth2Http {
    fn default() -> Self {
        Self::new()
    }
}

impl OAuth2Http {
    pub fn new() -> Self {
        Self { client: Self::builder().build().expect("an HTTP client") }
    }

    /// A client that also trusts this PEM certificate (the test gateway's self-signed one).
    pub fn trusting(certificate_pem: &str) -> Self {
        let certificate = reqwest::Certificate::from_pem(certificate_pem.as_bytes()).expect("a PEM certificate");
        Self { client: Self::builder().add_root_certificate(certificate).build().expect("an HTTP client") }
    }

    fn builder() -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
    }

    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (parts, body) = request.into_parts();
        let url = reqwest::Url::parse(&parts.uri.to_string()).map_err(|e| TransportError(e.to_string()))?;
        // reqwest and oauth2 share the `http` 1 crate, so method and headers carry over as they are.
        let response = self
            .client
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| TransportError(format!("{e:?}")))?;
        let mut builder = oauth2::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let body = response.bytes().await.map_err(|e| TransportError(e.to_string()))?;
        builder.body(body.to_vec()).map_err(|e| TransportError(e.to_string()))
    }
}

impl<'c> AsyncHttpClient<'c> for OAuth2Http {
    type Error = TransportError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.execute(request))
    }
}
