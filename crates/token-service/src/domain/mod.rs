//! Values the token service creates and accepts only in valid form.

pub mod refresh_token;
