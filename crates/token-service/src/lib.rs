//! The token service: owns the signing keys; mints access and refresh tokens for authn, refreshes them
//! with rotation, revokes and introspects them, and publishes the JWKS. Sessions themselves live in the
//! session service, which it calls for every change.
//!
//! The binary (`main.rs`) only parses the command line ([`cli`]), which reads the settings ([`settings`]),
//! starts telemetry and runs [`startup::Application`]; everything else is here so that tests can start
//! the service in-process. The layout is the same in all three services: `cli`, `settings`, `startup`,
//! `state`, `error` (the one error type and its problem+json mapping), `openapi`, `metrics`, `routes/`
//! and `domain/`.

pub mod cli;
pub mod domain;
pub mod error;
pub mod introspection_auth;
pub mod key_reload;
pub mod keyring;
pub mod metrics;
pub mod minting;
pub mod openapi;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
