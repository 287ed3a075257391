//! Wire types of the auth platform: every request and response body that crosses a service boundary,
//! public or internal, and the access-token claims. Depends on serde only, so that clients, gateways and
//! the services themselves share one definition and cannot drift apart.

pub mod claims;
pub mod clock;
pub mod internal;
pub mod problem;
pub mod public;
pub mod redact;
