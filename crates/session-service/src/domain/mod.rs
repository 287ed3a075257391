//! Values the session service accepts only once they are known to be well formed.

pub mod clock;
pub mod jti;
pub mod refresh_hash;
pub mod session_id;
pub mod user_id;

/// `value` if it is a UUID in its canonical form (lowercase, hyphenated): the ids of the platform have
/// one spelling each, since they are compared and used as store keys as strings.
fn canonical_uuid(value: &str) -> Option<String> {
    let canonical = uuid::Uuid::try_parse(value).ok()?.hyphenated().to_string();
    (canonical == value).then_some(canonical)
}
