//! The shape the session service's ids share: a UUID in its one canonical spelling (lowercase,
//! hyphenated), since ids are compared and used as store keys as strings. Each kind of id is its own
//! type (`CanonicalUuid<SessionKind>` is not a `CanonicalUuid<UserKind>`), so one can't be passed
//! where the other is meant; see `session_id`, `user_id` and `jti`.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

/// A canonical UUID standing for a `K`.
pub struct CanonicalUuid<K> {
    value: String,
    kind: PhantomData<fn() -> K>,
}

impl<K> CanonicalUuid<K> {
    /// Accepts only the canonical form, so one id has one spelling (a revoked token can't come back under
    /// another spelling of its id) and a value can't steer a store key or a path.
    pub fn parse(value: &str) -> Option<Self> {
        // Every request behind the gateway parses three of these (`sub`, `sid`, `jti`): the canonical
        // form is written on the stack to compare, so only the accepted value is allocated.
        let mut canonical = uuid::Uuid::encode_buffer();
        let canonical = uuid::Uuid::try_parse(value).ok()?.hyphenated().encode_lower(&mut canonical);
        (*canonical == *value).then(|| Self::from_canonical(value.to_owned()))
    }

    /// A new random (v4) id.
    pub fn generate() -> Self {
        Self::from_canonical(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    fn from_canonical(value: String) -> Self {
        Self { value, kind: PhantomData }
    }
}

// Written out rather than derived: a derive would ask the same of the marker `K`, which is never built.
impl<K> Clone for CanonicalUuid<K> {
    fn clone(&self) -> Self {
        Self::from_canonical(self.value.clone())
    }
}

impl<K> PartialEq for CanonicalUuid<K> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<K> Eq for CanonicalUuid<K> {}

impl<K> Hash for CanonicalUuid<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<K> fmt::Debug for CanonicalUuid<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.value)
    }
}

impl<K> fmt::Display for CanonicalUuid<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    enum TestKind {}

    #[test]
    fn only_canonical_uuids_parse() {
        let id = CanonicalUuid::<TestKind>::generate();
        assert_eq!(CanonicalUuid::<TestKind>::parse(id.as_str()), Some(id.clone()));
        for refused in [
            id.as_str().to_uppercase(),
            id.as_str().replace('-', ""),
            format!("{{{id}}}"),
            "user-1".to_owned(),
            "../revocations".to_owned(),
            String::new(),
        ] {
            assert!(CanonicalUuid::<TestKind>::parse(&refused).is_none(), "{refused}");
        }
    }
}
