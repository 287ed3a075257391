//! The token service's client of the session service.

use crate::error::ClientError;
use crate::internal_http::{InternalHttp, Peer, PeerTimeouts};
use crate::peer_metrics::PeerMetrics;
use auth_proto::internal::{
    CheckSessionRequest, CheckSessionResponse, CreateSessionRequest, EndedSessions, RefreshHashRequest,
    RevokeAccessRequest, RevokeAccessResponse, RotateRequest, RotateResponse, SessionRecord,
};

#[derive(Debug, Clone)]
pub struct SessionClient {
    http: InternalHttp,
}

impl SessionClient {
    pub fn new(base_url: &str, internal_token: &str, timeouts: PeerTimeouts) -> Result<Self, ClientError> {
        Ok(Self { http: InternalHttp::new(Peer::SESSION, base_url, internal_token, timeouts)? })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = %request.user_id))]
    pub async fn create(&self, request: &CreateSessionRequest) -> Result<SessionRecord, ClientError> {
        self.http.post("create_session", "/internal/sessions", request).await
    }

    /// Rotates a refresh token; a `Refused` 401 means unknown, expired, or reused (the session is then ended).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn rotate(&self, request: &RotateRequest) -> Result<RotateResponse, ClientError> {
        self.http.post("rotate", "/internal/sessions/rotate", request).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(session_id = %request.session_id))]
    pub async fn check(&self, request: &CheckSessionRequest) -> Result<CheckSessionResponse, ClientError> {
        self.http.post("check_session", "/internal/sessions/check", request).await
    }

    /// The session whose current refresh token this is; `Refused` 404 when none.
    #[tracing::instrument(level = "debug", skip_all, fields(session_id = %request.session_id))]
    pub async fn lookup_refresh(&self, request: &RefreshHashRequest) -> Result<SessionRecord, ClientError> {
        self.http.post("lookup_refresh", "/internal/sessions/lookup", request).await
    }

    /// Ends the session of a refresh token (current or already rotated).
    #[tracing::instrument(level = "debug", skip_all, fields(session_id = %request.session_id))]
    pub async fn end_by_refresh(&self, request: &RefreshHashRequest) -> Result<EndedSessions, ClientError> {
        self.http.post("end_session", "/internal/sessions/end", request).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(jti = %request.jti))]
    pub async fn revoke_access(&self, request: &RevokeAccessRequest) -> Result<RevokeAccessResponse, ClientError> {
        self.http.post("revoke_access", "/internal/revocations", request).await
    }

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
