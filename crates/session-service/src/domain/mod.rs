//! Values the session service accepts only once they are known to be well formed.

pub mod canonical_uuid;
pub mod clock;
pub mod jti;
pub mod max_sessions;
pub mod refresh_hash;
pub mod session_id;
pub mod user_id;
