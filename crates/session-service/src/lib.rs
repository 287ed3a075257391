//! The session service: owns sessions, refresh-token families (hashes only) and the access-token
//! revocation list, in Redis; answers `/session/*` for clients and gateways, and `/internal/sessions*`
//! for the token service.

pub mod authenticate;
pub mod cli;
pub mod domain;
pub mod error;
pub mod jwks_cache;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
pub mod store;
pub mod verified_tokens;
