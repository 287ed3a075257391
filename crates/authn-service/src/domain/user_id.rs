//! A user's id: a random UUID v4, rendered as its hyphenated lowercase string.

use std::fmt;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(Uuid);

impl UserId {
    /// A fresh random id for a new account.
    pub fn generate() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// Reads an id back from storage or a command line.
    pub fn parse(raw: &str) -> Result<Self, uuid::Error> {
        Uuid::parse_str(raw).map(Self)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_v4_and_round_trip() {
        let id = UserId::generate();
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(Uuid::parse_str(&text).expect("uuid").get_version_num(), 4);
        assert_eq!(UserId::parse(&text).expect("parses"), id);
        assert_ne!(UserId::generate(), id);
    }

    #[test]
    fn garbage_does_not_parse() {
        assert!(UserId::parse("not-a-uuid").is_err());
    }
}
