//! Ids for tests: the services accept only canonical UUIDs as user ids and jtis, while tests read best
//! with a name per user. [`uuid_for`] turns a name into a fixed UUID, so a test says `uuid_for("alice")`
//! twice for one user.

use std::hash::{DefaultHasher, Hash, Hasher};

/// The canonical UUID standing for `label`: the same label always gives the same id, two labels two ids
/// (barring a 128-bit collision of two SipHash outputs).
pub fn uuid_for(label: &str) -> String {
    let half = |salt: u8| {
        // `DefaultHasher::new()` has fixed keys, so the id is stable across runs and processes.
        let mut hasher = DefaultHasher::new();
        (salt, label).hash(&mut hasher);
        hasher.finish()
    };
    let bits = (u128::from(half(0)) << 64) | u128::from(half(1));
    uuid::Uuid::from_u128(bits).hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_label_one_canonical_uuid() {
        assert_eq!(uuid_for("alice"), uuid_for("alice"));
        assert_ne!(uuid_for("alice"), uuid_for("bob"));
        let id = uuid_for("alice");
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().hyphenated().to_string(), id);
    }
}
