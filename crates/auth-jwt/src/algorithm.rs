//! The `ALGORITHM` setting: which JWS algorithm signs and verifies access tokens.

use jsonwebtoken::Algorithm;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigningAlgorithm {
    #[default]
    EdDsa,
    Es256,
    Rs256,
    Hs256,
}

impl SigningAlgorithm {
    pub fn jws(self) -> Algorithm {
        match self {
            SigningAlgorithm::EdDsa => Algorithm::EdDSA,
            SigningAlgorithm::Es256 => Algorithm::ES256,
            SigningAlgorithm::Rs256 => Algorithm::RS256,
            SigningAlgorithm::Hs256 => Algorithm::HS256,
        }
    }

    /// Symmetric algorithms have nothing to publish in a JWK set.
    pub fn is_symmetric(self) -> bool {
        self == SigningAlgorithm::Hs256
    }

    pub fn name(self) -> &'static str {
        match self {
            SigningAlgorithm::EdDsa => "EdDSA",
            SigningAlgorithm::Es256 => "ES256",
            SigningAlgorithm::Rs256 => "RS256",
            SigningAlgorithm::Hs256 => "HS256",
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported algorithm; use EdDSA, ES256, RS256 or HS256")]
pub struct UnsupportedAlgorithm;

impl FromStr for SigningAlgorithm {
    type Err = UnsupportedAlgorithm;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim() {
            "EdDSA" | "eddsa" | "Ed25519" => Ok(SigningAlgorithm::EdDsa),
            "ES256" | "es256" => Ok(SigningAlgorithm::Es256),
            "RS256" | "rs256" => Ok(SigningAlgorithm::Rs256),
            "HS256" | "hs256" => Ok(SigningAlgorithm::Hs256),
            _ => Err(UnsupportedAlgorithm),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_contract_names() {
        for name in ["EdDSA", "ES256", "RS256", "HS256"] {
            assert_eq!(name.parse::<SigningAlgorithm>().unwrap().name(), name);
        }
        assert!("none".parse::<SigningAlgorithm>().is_err());
        assert!("HS512".parse::<SigningAlgorithm>().is_err());
    }
}
