//! What can go wrong calling a peer service.

use auth_proto::problem::Problem;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The peer did not answer, timed out, or answered 5xx: the caller answers 503.
    #[error("{peer} is unavailable: {reason}")]
    Unavailable { peer: &'static str, reason: String },
    /// The peer refused the request with a 4xx problem; the caller decides what it means. The problem
    /// is boxed: it is large, and errors travel by value through every `Result`.
    #[error("{peer} refused the request with {status}")]
    Refused { peer: &'static str, status: u16, problem: Option<Box<Problem>> },
    /// The peer answered 2xx with a body that is not what the contract says.
    #[error("{peer} answered an unexpected body: {reason}")]
    UnexpectedBody { peer: &'static str, reason: String },
}

impl ClientError {
    /// The `kind` label of `peer_request_errors_total`.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientError::Unavailable { .. } => "unavailable",
            ClientError::Refused { .. } => "refused",
            ClientError::UnexpectedBody { .. } => "unexpected_body",
        }
    }

    pub fn is_refused_with(&self, expected: u16) -> bool {
        matches!(self, ClientError::Refused { status, .. } if *status == expected)
    }
}
