//! The username of an account created by a first SSO login, derived from the ID token.
//!
//! The base is the `preferred_username` claim, else the email's local part, else `user`; it is
//! lowercased, every character outside the username alphabet (letters, digits, `._@-`) becomes `-`,
//! leading and trailing separators are dropped, and it is cut so that a suffix still fits in 64
//! characters. When the base is taken the next candidates are `base-2` … `base-9`, then `base-` with 8
//! random hex digits. The username only names the account (tokens' `preferred_username`, session lists);
//! SSO accounts are found by (issuer, subject), never by username.

use crate::domain::Username;
use crate::domain::username::MAX_USERNAME_CHARS;

/// The longest suffix appended: `-` and 8 hex digits.
const SUFFIX_CHARS: usize = 9;
/// Numbered candidates before random ones.
const NUMBERED_CANDIDATES: u32 = 9;
/// Random candidates tried after the numbered ones; a clash of all of them is practically impossible.
const RANDOM_CANDIDATES: usize = 5;

/// The username base for the given claims.
pub fn base_username(preferred_username: Option<&str>, email: Option<&str>) -> String {
    let email_local = email.and_then(|email| email.split('@').next());
    [preferred_username, email_local]
        .into_iter()
        .flatten()
        .map(normalise)
        .find(|base| !base.is_empty())
        .unwrap_or_else(|| "user".to_owned())
}

/// The usernames to try, in order.
pub fn candidates(base: &str) -> impl Iterator<Item = Username> + '_ {
    let numbered = (1..=NUMBERED_CANDIDATES).map(move |n| if n == 1 { base.to_owned() } else { format!("{base}-{n}") });
    let random =
        (0..RANDOM_CANDIDATES).map(move |_| format!("{base}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
    numbered.chain(random).filter_map(|raw| Username::parse(&raw).ok())
}

fn normalise(raw: &str) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-');
    let mapped: String = raw.chars().map(|c| if allowed(c) { c.to_ascii_lowercase() } else { '-' }).collect();
    let trimmed = mapped.trim_matches(|c| matches!(c, '-' | '.' | '_' | '@'));
    trimmed
        .chars()
        .take(MAX_USERNAME_CHARS - SUFFIX_CHARS)
        .collect::<String>()
        .trim_end_matches(['-', '.', '_', '@'])
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn prefers_preferred_username_then_the_email_local_part() {
        assert_eq!(base_username(Some("Jane.Doe"), Some("jd@example.com")), "jane.doe");
        assert_eq!(base_username(None, Some("J.Doe@Example.com")), "j.doe");
        assert_eq!(base_username(Some("  "), Some("jd@example.com")), "jd");
        assert_eq!(base_username(None, None), "user");
        assert_eq!(base_username(Some("日本"), None), "user");
    }

    #[test]
    fn foreign_characters_become_dashes_and_long_names_are_cut() {
        assert_eq!(base_username(Some("Zoë Saldaña"), None), "zo--salda-a");
        assert_eq!(base_username(Some("--a b--"), None), "a-b");
        let long = base_username(Some(&"x".repeat(100)), None);
        assert_eq!(long.len(), MAX_USERNAME_CHARS - SUFFIX_CHARS);
    }

    #[test]
    fn candidates_are_the_base_then_numbered_then_random() {
        let all: Vec<String> = candidates("jane").map(|u| u.as_str().to_owned()).collect();
        assert_eq!(&all[..3], ["jane", "jane-2", "jane-3"]);
        assert_eq!(all.len(), 14);
        assert!(all[9..].iter().all(|name| name.len() == "jane-".len() + 8));
    }

    proptest! {
        #[test]
        fn every_candidate_is_a_valid_username(preferred in "\\PC{0,100}", email in "\\PC{0,40}") {
            let base = base_username(Some(&preferred), Some(&email));
            let names: Vec<Username> = candidates(&base).collect();
            prop_assert_eq!(names.len(), 14);
        }
    }
}
