//! Refresh tokens: 256 random bits, base64url; only their SHA-256 hash is ever stored.
//!
//! For the reuse grace window the successor of a rotated token must be handed back again without storing
//! it in the clear: it is sealed (AES-256-GCM) under a key derived from the token it replaced, so only a
//! caller presenting that token can open it, and only while the session service keeps the sealed copy.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::fmt;

const TOKEN_BYTES: usize = 32;
/// base64url without padding of 32 bytes.
const TOKEN_LENGTH: usize = 43;
const SEAL_CONTEXT: &[u8] = b"auth-platform/refresh-grace/v1";

#[derive(Debug, thiserror::Error)]
pub enum RefreshTokenError {
    #[error("the system random source failed")]
    Random,
    #[error("the sealed successor could not be opened")]
    Unseal,
}

/// A refresh token as the client holds it. Never logged: `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken([REDACTED])")
    }
}

impl RefreshToken {
    pub fn generate() -> Result<Self, RefreshTokenError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| RefreshTokenError::Random)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Accepts exactly the shape [`RefreshToken::generate`] makes.
    pub fn parse(value: &str) -> Option<Self> {
        let well_formed =
            value.len() == TOKEN_LENGTH && URL_SAFE_NO_PAD.decode(value).is_ok_and(|b| b.len() == TOKEN_BYTES);
        well_formed.then(|| Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The stored form: base64url SHA-256.
    pub fn hash(&self) -> String {
        URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.0.as_bytes()))
    }

    fn sealing_key(&self) -> Result<LessSafeKey, RefreshTokenError> {
        let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        context.update(SEAL_CONTEXT);
        context.update(self.0.as_bytes());
        let key = UnboundKey::new(&AES_256_GCM, context.finish().as_ref()).map_err(|_| RefreshTokenError::Unseal)?;
        Ok(LessSafeKey::new(key))
    }

    /// Seals `successor` so that only the holder of `self` can open it.
    pub fn seal(&self, successor: &RefreshToken) -> Result<String, RefreshTokenError> {
        let key = self.sealing_key()?;
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| RefreshTokenError::Random)?;
        let mut sealed = successor.0.as_bytes().to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(SEAL_CONTEXT), &mut sealed)
            .map_err(|_| RefreshTokenError::Unseal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a successor sealed by [`RefreshToken::seal`] on this token.
    pub fn unseal(&self, sealed: &str) -> Result<RefreshToken, RefreshTokenError> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| RefreshTokenError::Unseal)?;
        if bytes.len() <= NONCE_LEN {
            return Err(RefreshTokenError::Unseal);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| RefreshTokenError::Unseal)?;
        let mut buffer = ciphertext.to_vec();
        let plain = self
            .sealing_key()?
            .open_in_place(nonce, Aad::from(SEAL_CONTEXT), &mut buffer)
            .map_err(|_| RefreshTokenError::Unseal)?;
        let text = std::str::from_utf8(plain).map_err(|_| RefreshTokenError::Unseal)?;
        RefreshToken::parse(text).ok_or(RefreshTokenError::Unseal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_nothing_of_the_token() {
        let token = RefreshToken::generate().unwrap();
        let debug = format!("{token:?} {token:#?}");
        assert!(!debug.contains(token.expose()), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");
    }

    #[test]
    fn generated_tokens_are_256_bit_base64url_and_parse() {
        let token = RefreshToken::generate().unwrap();
        assert_eq!(token.expose().len(), 43);
        assert_eq!(RefreshToken::parse(token.expose()), Some(token.clone()));
        assert_ne!(token, RefreshToken::generate().unwrap());
        assert_eq!(token.hash().len(), 43);
        assert_ne!(token.hash(), token.expose());
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        for bad in ["", "short", &"a".repeat(44), &format!("{}=", "a".repeat(42)), &format!("{}.", "a".repeat(42))] {
            assert!(RefreshToken::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn only_the_presented_token_opens_its_sealed_successor() {
        let presented = RefreshToken::generate().unwrap();
        let successor = RefreshToken::generate().unwrap();
        let sealed = presented.seal(&successor).unwrap();
        assert_eq!(presented.unseal(&sealed).unwrap(), successor);
        let stranger = RefreshToken::generate().unwrap();
        assert!(stranger.unseal(&sealed).is_err());
        assert!(!sealed.contains(successor.expose()));
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(presented.unseal(std::str::from_utf8(&tampered).unwrap()).is_err());
    }
}
