//! The token service: owns the signing keys; mints access and refresh tokens for authn, refreshes them
//! with rotation, revokes and introspects them, and publishes the JWKS. Sessions themselves live in the
//! session service, which it calls for every change.

pub mod cli;
pub mod domain;
pub mod error;
pub mod keyring;
pub mod metrics;
pub mod minting;
pub mod openapi;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
