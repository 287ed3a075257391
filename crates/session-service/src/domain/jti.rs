//! An access token's `jti`: the random UUID token mints into every access token, and the key of its
//! revocation.

use super::canonical_uuid::CanonicalUuid;

/// Marks a [`CanonicalUuid`] as an access token's id.
#[derive(Debug)]
pub enum JtiKind {}

pub type Jti = CanonicalUuid<JtiKind>;
