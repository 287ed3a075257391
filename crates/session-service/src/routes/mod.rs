//! HTTP handlers, thin: parse, call the store or the authenticator, shape the answer.

pub mod health;
pub mod internal;
pub mod invalidate;
pub mod list;
pub mod status;
pub mod verify;
