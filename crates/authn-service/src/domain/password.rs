//! A password, held in a secret type that never prints and is zeroed on drop.
//!
//! Two constructors, because the two uses differ: a new password must meet the registration policy
//! (8 to 1024 characters), while a presented one only needs the upper bound so that a login cannot make
//! the server hash a huge input. Lengths are counted in characters, not bytes.

use crate::error::Error;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 1024;

#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// A password chosen for a new account: 8 to 1024 characters.
    pub fn parse_new(raw: String) -> Result<Self, Error> {
        let length = raw.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&length) {
            return Err(Error::InvalidInput { field: "password", reason: "must be 8 to 1024 characters" });
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// A password presented at login: at most 1024 characters, anything else goes to the hash check.
    pub fn parse_presented(raw: String) -> Result<Self, Error> {
        if raw.chars().count() > MAX_PASSWORD_CHARS {
            return Err(Error::InvalidInput { field: "password", reason: "must be at most 1024 characters" });
        }
        Ok(Self(SecretString::from(raw)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn new_passwords_are_8_to_1024_characters() {
        assert!(Password::parse_new("1234567".to_owned()).is_err());
        assert!(Password::parse_new("12345678".to_owned()).is_ok());
        assert!(Password::parse_new("x".repeat(1024)).is_ok());
        assert!(Password::parse_new("x".repeat(1025)).is_err());
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        // Eight two-byte characters are sixteen bytes but eight characters: long enough.
        assert!(Password::parse_new("éééééééé".to_owned()).is_ok());
        assert!(Password::parse_new("ééééééé".to_owned()).is_err());
        // 1024 four-byte characters are 4096 bytes and still within the limit.
        assert!(Password::parse_new("😀".repeat(1024)).is_ok());
        assert!(Password::parse_new("😀".repeat(1025)).is_err());
    }

    #[test]
    fn presented_passwords_only_have_an_upper_bound() {
        assert!(Password::parse_presented(String::new()).is_ok());
        assert!(Password::parse_presented("x".repeat(1024)).is_ok());
        assert!(Password::parse_presented("x".repeat(1025)).is_err());
    }

    #[test]
    fn debug_never_prints_the_password() {
        let password = Password::parse_new("correct horse".to_owned()).expect("valid");
        assert_eq!(format!("{password:?}"), "Password([REDACTED])");
        assert_eq!(password.expose(), "correct horse");
    }

    proptest! {
        #[test]
        fn parse_new_accepts_exactly_the_policy_lengths(raw in "\\PC{0,40}") {
            let length = raw.chars().count();
            prop_assert_eq!(Password::parse_new(raw).is_ok(), (8..=1024).contains(&length));
        }
    }
}
