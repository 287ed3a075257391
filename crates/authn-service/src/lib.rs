//! The authn service: user accounts and password login for the auth platform.
//!
//! `POST /register` creates accounts, `POST /login` verifies a password (with lockout after repeated
//! failures) and asks the token service to mint tokens; `/oauth/login` and `/oauth/callback` log in
//! through an OpenID Connect provider ([`oidc`]).
//!
//! The binary (`main.rs`) only parses the command line ([`cli`]), which reads the settings
//! ([`settings`]), starts telemetry and runs [`startup::Application`] or an admin command; everything
//! else is here so that tests can start the service in-process. The layout is the same in all three
//! services: `cli`, `settings`, `startup`, `state`, `error` (the one error type and its problem+json
//! mapping), `openapi`, `metrics`, `routes/` and `domain/`.

pub mod admin;
pub mod cli;
pub mod client_ip;
pub mod domain;
pub mod error;
pub mod hashing;
pub mod lockout;
pub mod metrics;
pub mod oidc;
pub mod openapi;
pub mod password_login;
pub mod rate_limit;
pub mod registration;
pub mod routes;
pub mod session_opening;
pub mod settings;
pub mod startup;
pub mod state;
pub mod users;
