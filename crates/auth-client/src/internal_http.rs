//! The HTTP plumbing shared by the typed clients: base URL, internal token, timeouts, error mapping.

use crate::error::ClientError;
use auth_proto::problem::Problem;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Timeouts of calls to a peer.
#[derive(Debug, Clone, Copy)]
pub struct PeerTimeouts {
    pub connect: Duration,
    pub request: Duration,
}

impl Default for PeerTimeouts {
    fn default() -> Self {
        Self { connect: Duration::from_millis(1000), request: Duration::from_millis(3000) }
    }
}

/// One peer service reached over HTTP with the internal API token.
#[derive(Clone)]
pub struct InternalHttp {
    peer: &'static str,
    base_url: String,
    authorization: HeaderValue,
    client: reqwest::Client,
}

impl std::fmt::Debug for InternalHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InternalHttp").field("peer", &self.peer).field("base_url", &self.base_url).finish()
    }
}

impl InternalHttp {
    pub fn new(
        peer: &'static str,
        base_url: &str,
        internal_token: &str,
        timeouts: PeerTimeouts,
    ) -> Result<Self, ClientError> {
        let unavailable = |reason: String| ClientError::Unavailable { peer, reason };
        let mut authorization = HeaderValue::from_str(&format!("Bearer {internal_token}"))
            .map_err(|_| unavailable("the internal API token is not a valid header value".to_owned()))?;
        authorization.set_sensitive(true);
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|error| unavailable(error.to_string()))?;
        Ok(Self { peer, base_url: base_url.trim_end_matches('/').to_owned(), authorization, client })
    }

    pub fn peer(&self) -> &'static str {
        self.peer
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `POST {base}{path}` with a JSON body, expecting a JSON answer.
    pub async fn post<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        path: &str,
        body: &Req,
    ) -> Result<Resp, ClientError> {
        let request = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header(AUTHORIZATION, self.authorization.clone())
            .json(body);
        self.send(request).await
    }

    /// `GET {base}/readyz`'s sibling `/healthz`: does the peer serve at all?
    pub async fn is_serving(&self) -> bool {
        let request = self.client.get(format!("{}/healthz", self.base_url));
        matches!(request.send().await, Ok(response) if response.status().is_success())
    }

    async fn send<Resp: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<Resp, ClientError> {
        let peer = self.peer;
        let response = request
            .send()
            .await
            .map_err(|error| ClientError::Unavailable { peer, reason: error.without_url().to_string() })?;
        let status = response.status();
        if status.is_server_error() {
            return Err(ClientError::Unavailable { peer, reason: format!("answered {status}") });
        }
        if status.is_client_error() {
            let problem = response.json::<Problem>().await.ok();
            return Err(ClientError::Refused { peer, status: status.as_u16(), problem });
        }
        response
            .json::<Resp>()
            .await
            .map_err(|error| ClientError::UnexpectedBody { peer, reason: error.without_url().to_string() })
    }
}
