//! Values the token service creates and accepts only in valid form.

pub mod introspection_client;
pub mod refresh_token;
