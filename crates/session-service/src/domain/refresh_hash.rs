//! The stored form of a refresh token: base64url SHA-256 (43 characters). The session service never sees
//! a refresh token itself.

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefreshHash(String);

impl RefreshHash {
    pub const LENGTH: usize = 43;

    pub fn parse(value: &str) -> Option<Self> {
        let well_formed = value.len() == Self::LENGTH
            && value.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        well_formed.then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_base64url_sha256() {
        assert!(RefreshHash::parse(&"a".repeat(43)).is_some());
        assert!(RefreshHash::parse(&"a".repeat(42)).is_none());
        assert!(RefreshHash::parse(&format!("{}=", "a".repeat(42))).is_none());
        assert!(RefreshHash::parse(&format!("{}:", "a".repeat(42))).is_none());
    }
}
