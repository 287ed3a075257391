//! authn's client of the token service.

use crate::error::ClientError;
use crate::internal_http::{InternalHttp, Peer, PeerTimeouts};
use crate::peer_metrics::PeerMetrics;
use auth_proto::internal::{EndedSessions, MintRequest};
use auth_proto::public::TokenResponse;

#[derive(Debug, Clone)]
pub struct TokenClient {
    http: InternalHttp,
}

impl TokenClient {
    pub fn new(base_url: &str, internal_token: &str, timeouts: PeerTimeouts) -> Result<Self, ClientError> {
        Ok(Self { http: InternalHttp::new(Peer::TOKEN, base_url, internal_token, timeouts)? })
    }

    /// Mints an access and a refresh token, opening a session.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = %request.user_id))]
    pub async fn mint(&self, request: &MintRequest) -> Result<TokenResponse, ClientError> {
        self.http.post("mint", "/internal/tokens", request).await
    }

    /// Ends every session of a user (a disabled account).
    #[tracing::instrument(level = "debug", skip(self))]
    /// A user id is a UUID, so the path it is put in needs no escaping and cannot be steered elsewhere.
    pub async fn end_user_sessions(&self, user_id: uuid::Uuid) -> Result<EndedSessions, ClientError> {
        let path = format!("/internal/users/{}/sessions/invalidate", user_id.hyphenated());
        self.http.post("end_user_sessions", &path, &()).await
    }

    /// Records every call's latency and failures into `metrics`.
    pub fn with_metrics(self, metrics: PeerMetrics) -> Self {
        Self { http: self.http.with_metrics(metrics) }
    }

    pub async fn is_serving(&self) -> bool {
        self.http.is_serving().await
    }
}
