//! End-to-end tests of the auth platform, written against `shared/spec/api.md` (the contract).
//!
//! Each test starts its own platform (a `redis-server` on a free port and the three service binaries,
//! `APP_ENV=prod`), so tests run in parallel and leave nothing behind. The binaries must be built first:
//! `cargo build --workspace --bins` (`make test` does it).
#![allow(clippy::unwrap_used)]

mod administration;
mod alert_rules;
mod bad_input;
mod caddy_gateway;
mod codeowners;
mod concurrency;
mod forged_tokens;
mod gateway;
mod gateway_scenarios;
mod key_rotation;
mod login;
mod oauth2_client;
mod observability;
mod oidc;
mod outage;
mod redis_topologies;
mod refresh_reuse;
mod register;
mod revocation;
mod service_routes;
mod session_limits;
mod session_routes;
mod settings;
mod shutdown;
mod token_routes;
mod walkthrough;
mod workspace_shape;
