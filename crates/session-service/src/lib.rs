//! The session service: owns sessions, refresh-token families (hashes only) and the access-token
//! revocation list, in Redis; answers `/session/*` for clients and gateways, and `/internal/sessions*`
//! for the token service.
//!
//! The binary (`main.rs`) only parses the command line ([`cli`]), which reads the settings ([`settings`]),
//! starts telemetry and runs [`startup::Application`]; everything else is here so that tests can start
//! the service in-process. The layout is the same in all three services: `cli`, `settings`, `startup`,
//! `state`, `error` (the one error type and its problem+json mapping), `openapi`, `metrics`, `routes/`
//! and `domain/`.

pub mod admin;
pub mod authenticate;
pub mod cli;
pub mod domain;
pub mod error;
pub mod jwks_cache;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod secret_reload;
pub mod settings;
pub mod startup;
pub mod state;
pub mod store;
