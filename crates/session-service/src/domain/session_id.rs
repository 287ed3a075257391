//! A session id: a random UUID v4, the `sid` claim of every access token of the session.

use super::canonical_uuid::CanonicalUuid;

/// Marks a [`CanonicalUuid`] as a session's id.
#[derive(Debug)]
pub enum SessionKind {}

pub type SessionId = CanonicalUuid<SessionKind>;
