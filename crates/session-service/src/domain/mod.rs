//! Values the session service accepts only once they are known to be well formed.

pub mod clock;
pub mod refresh_hash;
pub mod session_id;
