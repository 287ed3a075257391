//! Typed clients of the `/internal/` API. Callers and callees share the wire types of `auth-proto`, so
//! they cannot drift apart; every call has a connect and a total timeout so no request hangs on a peer.

pub mod error;
pub mod internal_http;
pub mod peer_metrics;
pub mod session_client;
pub mod token_client;

pub use error::ClientError;
pub use internal_http::{InternalHttp, Peer, PeerTimeouts};
pub use peer_metrics::PeerMetrics;
pub use session_client::SessionClient;
pub use token_client::TokenClient;
