//! The authn service: user accounts and password login for the auth platform.
//!
//! `POST /register` creates accounts, `POST /login` verifies a password (with lockout after repeated
//! failures) and asks the token service to mint tokens; `/oauth/login` and `/oauth/callback` log in
//! through an OpenID Connect provider ([`oidc`]). The binary (`main.rs`) only reads settings,
//! starts logging and runs [`startup::Application`] or an admin command from [`cli`]; everything else
//! is here so that tests can start the service in-process.

pub mod app_state;
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
pub mod registration;
pub mod routes;
pub mod session_opening;
pub mod settings;
pub mod startup;
pub mod users;
