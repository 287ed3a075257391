//! The HTTP edge every service shares: typed settings loading, RFC 9457 problems, the 64 KiB body limit
//! and body extractors, bearer-token parsing, the `/internal/` shared-secret check, the HTTP server with
//! its shared middleware and operations routes, the OAuth endpoints' error members, health routes, HTTP
//! metrics, the OpenAPI plumbing, graceful shutdown, the process plumbing of each binary and the
//! container health probe; and the text tables and times the services' admin commands print.

pub mod admin_output;
pub mod api_doc;
pub mod bearer;
pub mod body;
pub mod hangup;
pub mod health;
pub mod healthcheck;
pub mod http_app;
pub mod internal_auth;
pub mod metrics;
pub mod oauth_errors;
pub mod problem;
pub mod process;
pub mod request_span;
pub mod server;
pub mod settings;
pub mod shutdown;
