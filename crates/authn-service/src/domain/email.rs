//! An email address, checked for shape only (one `@`, a plausible local part, a hostname domain).
//!
//! Deliverability can only be proven by sending mail, which this service does not do; the check keeps
//! obvious garbage (spaces, missing parts, control characters) out of the store.

use crate::error::Error;
use std::fmt;

/// RFC 5321's limits: 64 octets of local part, 254 for the whole path.
const MAX_LOCAL_LEN: usize = 64;
const MAX_EMAIL_LEN: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let invalid = Error::InvalidInput { field: "email", reason: "is not a valid email address" };
        if raw.len() > MAX_EMAIL_LEN {
            return Err(invalid);
        }
        let Some((local, domain)) = raw.split_once('@') else {
            return Err(invalid);
        };
        if !valid_local_part(local) || !valid_domain(domain) {
            return Err(invalid);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address lowercased, for lookups: mail providers treat addresses case-insensitively in
    /// practice, though RFC 5321 lets the local part be case-sensitive.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// The unquoted ("dot-atom") local part of RFC 5322: printable ASCII minus specials, dots not leading,
/// trailing or doubled.
fn valid_local_part(local: &str) -> bool {
    let atom_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    !local.is_empty()
        && local.len() <= MAX_LOCAL_LEN
        && local.split('.').all(|atom| !atom.is_empty() && atom.chars().all(atom_char))
}

/// A hostname: dot-separated labels of letters, digits and inner hyphens, each 1–63 characters.
fn valid_domain(domain: &str) -> bool {
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    !domain.is_empty() && domain.split('.').all(valid_label)
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for raw in ["alice@example.com", "a.b+tag@sub.example.co.uk", "x@localhost", "o'neil@example.org"] {
            assert_eq!(Email::parse(raw).expect("valid").as_str(), raw);
        }
    }

    #[test]
    fn refuses_malformed_addresses() {
        for raw in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@@example.com",
            "al ice@example.com",
            "alice@exa mple.com",
            ".alice@example.com",
            "alice.@example.com",
            "al..ice@example.com",
            "alice@-example.com",
            "alice@example..com",
            "alice@example.com.",
            "alice@exam_ple.com",
            "alice\n@example.com",
            "ålice@example.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} should be refused");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
    }

    proptest! {
        #[test]
        fn generated_addresses_parse(local in "[a-z0-9]{1,20}(\\.[a-z0-9+_-]{1,10}){0,2}",
                                     domain in "[a-z0-9]{1,20}(\\.[a-z]{2,6}){1,2}") {
            let raw = format!("{local}@{domain}");
            prop_assert!(Email::parse(&raw).is_ok());
        }

        #[test]
        fn whitespace_anywhere_is_refused(prefix in "[a-z]{0,5}", suffix in "[a-z]{0,5}", space in "[ \t\r\n]") {
            let raw = format!("{prefix}{space}{suffix}@example.com");
            prop_assert!(Email::parse(&raw).is_err());
        }
    }
}
