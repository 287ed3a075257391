//! Values parsed once at the edge into types that cannot be invalid: handlers and stores receive a
//! [`Username`], [`Password`], [`Email`] or [`UserId`], never a raw string to re-check.

pub mod email;
pub mod password;
pub mod user_id;
pub mod username;

pub use email::Email;
pub use password::Password;
pub use user_id::UserId;
pub use username::Username;
