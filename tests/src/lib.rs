//! Harness for the end-to-end tests: a real `redis-server` and the three service binaries, each on a
//! free port with its own temp dir, torn down on drop (also when a test panics), the token service as
//! several replicas behind a round-robin nginx when a test asks (`balancer`); a real nginx gateway in
//! front of them (`gateway`), or a real Caddy one (`caddy`), with what both offer a test in `forward_auth`; a real OpenID Connect provider
//! (`oidc_provider`) for the single sign-on tests; an OTLP/HTTP trace receiver (`otlp`); and the HTTP
//! client of the `oauth2` crate (`oauth2_http`), for the tests that use the platform through a standard
//! OAuth 2.0 client library.
//!
//! The tests themselves live in `e2e/` (one test binary, modules beside `main.rs`).

pub mod api;
pub mod balancer;
pub mod binaries;
pub mod caddy;
pub mod checks;
pub mod child_start;
pub mod forward_auth;
pub mod gateway;
pub mod jwt;
pub mod oauth2_http;
pub mod oidc_provider;
pub mod otlp;
pub mod platform;
