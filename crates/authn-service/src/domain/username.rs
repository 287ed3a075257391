//! A username: 1–64 ASCII letters, digits and `._@-`, case-insensitive.
//!
//! Case-insensitivity is enforced by storing the lowercase form only: `Alice` and `alice` parse to the
//! same value, so they are one account everywhere (store keys, lockout counters, tokens).

use crate::error::Error;
use std::fmt;

/// The longest username the contract allows, in characters (ASCII, so also bytes).
pub const MAX_USERNAME_CHARS: usize = 64;

/// A valid, lowercase username.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    /// Parses a username as a client typed it; the result is lowercase.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-');
        if raw.is_empty() || raw.len() > MAX_USERNAME_CHARS || !raw.chars().all(allowed) {
            return Err(Error::InvalidInput {
                field: "username",
                reason: "must be 1 to 64 characters: letters, digits and . _ @ -",
            });
        }
        Ok(Self(raw.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_allowed_characters_and_lowercases() {
        let username = Username::parse("Alice.Smith_2@example-org").expect("valid");
        assert_eq!(username.as_str(), "alice.smith_2@example-org");
        assert_eq!(Username::parse("ALICE").expect("valid"), Username::parse("alice").expect("valid"));
    }

    #[test]
    fn accepts_one_and_sixty_four_characters() {
        assert!(Username::parse("a").is_ok());
        assert!(Username::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn refuses_empty_too_long_and_other_characters() {
        for raw in ["", " alice", "alice ", "al ice", "al/ice", "al:ice", "ålice", "al\u{0}ice", "a+b", "a\nb"] {
            assert!(Username::parse(raw).is_err(), "{raw:?} should be refused");
        }
        assert!(Username::parse(&"a".repeat(65)).is_err());
    }

    proptest! {
        #[test]
        fn every_valid_username_round_trips_lowercase(raw in "[A-Za-z0-9._@-]{1,64}") {
            let username = Username::parse(&raw).expect("valid");
            prop_assert_eq!(username.as_str(), raw.to_ascii_lowercase());
        }

        #[test]
        fn a_username_never_holds_a_character_outside_the_set(raw in "\\PC{0,80}") {
            if let Ok(username) = Username::parse(&raw) {
                prop_assert!(username.as_str().chars().all(|c| c.is_ascii_lowercase()
                    || c.is_ascii_digit() || "._@-".contains(c)));
                prop_assert!((1..=MAX_USERNAME_CHARS).contains(&username.as_str().len()));
            }
        }
    }
}
