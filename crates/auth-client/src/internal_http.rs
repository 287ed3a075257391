//! The HTTP plumbing shared by the typed clients: base URL, internal token, timeouts, error mapping, the
//! W3C trace context of the calling span, and the peer-call metrics.
//!
//! Each thread that calls a peer (each actix worker) has its own reqwest client and so its own
//! keep-alive connections: hyper drives a connection on the runtime that opened it, and a shared pool
//! hands one worker's connections to the other, which then pays a cross-thread wake-up each way per call.

use crate::error::ClientError;
use crate::peer_metrics::PeerMetrics;
use auth_proto::problem::Problem;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thread_local::ThreadLocal;

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

/// Which peer a client talks to: its name in errors and logs, and its `peer` metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub name: &'static str,
    pub label: &'static str,
}

impl Peer {
    pub const TOKEN: Peer = Peer { name: "token service", label: "token" };
    pub const SESSION: Peer = Peer { name: "session service", label: "session" };
}

/// One peer service reached over HTTP with the internal API token.
#[derive(Clone)]
pub struct InternalHttp {
    peer: Peer,
    /// The peer's base URL, parsed once: a call sets only the path, rather than parsing the whole URL
    /// (its host through IDNA) again.
    base: reqwest::Url,
    authorization: HeaderValue,
    timeouts: PeerTimeouts,
    clients: Arc<ThreadLocal<reqwest::Client>>,
    metrics: Option<PeerMetrics>,
}

impl std::fmt::Debug for InternalHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InternalHttp").field("peer", &self.peer).field("base", &self.base.as_str()).finish()
    }
}

impl InternalHttp {
    pub fn new(peer: Peer, base_url: &str, internal_token: &str, timeouts: PeerTimeouts) -> Result<Self, ClientError> {
        let unavailable = |reason: String| ClientError::Unavailable { peer: peer.name, reason };
        let mut authorization = HeaderValue::from_str(&format!("Bearer {internal_token}"))
            .map_err(|_| unavailable("the internal API token is not a valid header value".to_owned()))?;
        authorization.set_sensitive(true);
        let base = reqwest::Url::parse(base_url).map_err(|error| unavailable(format!("not a URL: {error}")))?;
        let http = Self { peer, base, authorization, timeouts, clients: Arc::default(), metrics: None };
        // Builds this thread's client now, so that a client that cannot be built fails the start.
        http.client()?;
        Ok(http)
    }

    /// `{base}{path}`.
    fn url(&self, path: &str) -> reqwest::Url {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.base.path().trim_end_matches('/')));
        url
    }

    /// This thread's client, built on its first call from it.
    fn client(&self) -> Result<&reqwest::Client, ClientError> {
        self.clients.get_or_try(|| {
            reqwest::Client::builder()
                .connect_timeout(self.timeouts.connect)
                .timeout(self.timeouts.request)
                .redirect(reqwest::redirect::Policy::none())
                .pool_idle_timeout(Duration::from_secs(30))
                .build()
                .map_err(|error| ClientError::Unavailable { peer: self.peer.name, reason: error.to_string() })
        })
    }

    /// Records every call's latency and failures into `metrics`.
    pub fn with_metrics(mut self, metrics: PeerMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    pub fn peer(&self) -> &'static str {
        self.peer.name
    }

    /// `POST {base}{path}` with a JSON body, expecting a JSON answer; `operation` names the call in metrics.
    /// The caller's span (the typed client's `#[instrument]`) becomes the parent of the peer's spans.
    pub async fn post<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        body: &Req,
    ) -> Result<Resp, ClientError> {
        let mut request =
            self.client()?.post(self.url(path)).header(AUTHORIZATION, self.authorization.clone()).json(body);
        for (name, value) in telemetry::propagation::trace_context_headers() {
            request = request.header(name, value);
        }
        let started = Instant::now();
        let outcome = self.send(request).await;
        if let Some(metrics) = &self.metrics {
            let error = outcome.as_ref().err().map(ClientError::kind);
            metrics.observe(self.peer.label, operation, started.elapsed().as_secs_f64(), error);
        }
        outcome
    }

    /// `GET {base}/readyz`'s sibling `/healthz`: does the peer serve at all?
    pub async fn is_serving(&self) -> bool {
        let Ok(client) = self.client() else { return false };
        let request = client.get(self.url("/healthz"));
        matches!(request.send().await, Ok(response) if response.status().is_success())
    }

    async fn send<Resp: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<Resp, ClientError> {
        let peer = self.peer.name;
        let response = request
            .send()
            .await
            .map_err(|error| ClientError::Unavailable { peer, reason: error.without_url().to_string() })?;
        let status = response.status();
        if status.is_server_error() {
            return Err(ClientError::Unavailable { peer, reason: format!("answered {status}") });
        }
        if status.is_client_error() {
            let problem = response.json::<Problem>().await.ok().map(Box::new);
            return Err(ClientError::Refused { peer, status: status.as_u16(), problem });
        }
        response
            .json::<Resp>()
            .await
            .map_err(|error| ClientError::UnexpectedBody { peer, reason: error.without_url().to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(base_url: &str) -> InternalHttp {
        InternalHttp::new(Peer::SESSION, base_url, "internal-token", PeerTimeouts::default()).expect("a client")
    }

    #[test]
    fn a_call_goes_to_the_base_url_and_its_path_prefix() {
        assert_eq!(
            http("http://session:8083").url("/internal/sessions").as_str(),
            "http://session:8083/internal/sessions"
        );
        assert_eq!(http("http://session:8083/").url("/healthz").as_str(), "http://session:8083/healthz");
        assert_eq!(http("https://gw.example/session/").url("/healthz").as_str(), "https://gw.example/session/healthz");
    }

    #[test]
    fn a_base_that_is_not_a_url_is_refused_at_once() {
        assert!(InternalHttp::new(Peer::SESSION, "no scheme, no host", "t", PeerTimeouts::default()).is_err());
    }
}
