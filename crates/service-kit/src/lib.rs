//! The HTTP edge every service shares: typed settings loading, RFC 9457 problems, the 64 KiB body limit
//! and body extractors, bearer-token parsing, the `/internal/` shared-secret check, health routes, HTTP
//! metrics and the OpenAPI plumbing.

pub mod api_doc;
pub mod bearer;
pub mod body;
pub mod health;
pub mod http_app;
pub mod internal_auth;
pub mod metrics;
pub mod problem;
pub mod settings;
