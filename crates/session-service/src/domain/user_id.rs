//! A user's id: the UUID authn gives every account and token puts in the access token's `sub`. The
//! session service keys a user's sessions by it.

use super::canonical_uuid::CanonicalUuid;

/// Marks a [`CanonicalUuid`] as a user's id.
#[derive(Debug)]
pub enum UserKind {}

pub type UserId = CanonicalUuid<UserKind>;
