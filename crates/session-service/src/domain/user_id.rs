//! A user's id: the UUID authn gives every account and token puts in the access token's `sub`. The
//! session service keys a user's sessions by it, so it accepts one spelling only: the canonical lowercase
//! hyphenated form that authn renders.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    /// Accepts only a canonical UUID, so that one user has one key and a path or key can't be steered.
    pub fn parse(value: &str) -> Option<Self> {
        super::canonical_uuid(value).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_uuids_parse() {
        let raw = uuid::Uuid::new_v4().to_string();
        assert_eq!(UserId::parse(&raw).map(|id| id.to_string()), Some(raw.clone()));
        assert!(UserId::parse(&raw.to_uppercase()).is_none());
        assert!(UserId::parse(&raw.replace('-', "")).is_none());
        assert!(UserId::parse("user-1").is_none());
        assert!(UserId::parse("../revocations").is_none());
        assert!(UserId::parse("").is_none());
    }
}
