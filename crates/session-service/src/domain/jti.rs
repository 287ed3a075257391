//! An access token's `jti`: the random UUID token mints into every access token, and the key of its
//! revocation. One spelling only (canonical lowercase hyphenated), so a revoked token can't be presented
//! again under another spelling of the same id.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Jti(String);

impl Jti {
    pub fn parse(value: &str) -> Option<Self> {
        super::canonical_uuid(value).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Jti {
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
        assert_eq!(Jti::parse(&raw).map(|jti| jti.to_string()), Some(raw.clone()));
        assert!(Jti::parse(&raw.to_uppercase()).is_none());
        assert!(Jti::parse(&format!("{{{raw}}}")).is_none());
        assert!(Jti::parse("jti-1").is_none());
        assert!(Jti::parse("").is_none());
    }
}
