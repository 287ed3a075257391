//! HTTP handlers: each reads the request, calls one flow, and shapes the answer. Rules live in the
//! flows (`registration`, `password_login`, `oidc`) and the domain types; errors map to HTTP in `error`.

pub mod health;
pub mod login;
pub mod oauth;
pub mod register;
