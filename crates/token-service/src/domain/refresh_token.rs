//! Refresh tokens: base64url, a routing part followed by 256 random bits; only the SHA-256 hash of the
//! random part is ever stored.
//!
//! The routing part (the first 43 characters) is the base64url of the user's and the session's ids, 16
//! bytes each: the session service keeps each user's sessions in one Redis Cluster hash slot tagged by
//! the user id, and finds the token's session there without a lookup by hash. It reveals only what the
//! holder is told anyway: the `sub` and `sid` of the access tokens issued with it (and the token
//! response's `session_id`). Changing it only sends the lookup to a session where the hash is unknown.
//!
//! For the reuse grace window the successor of a rotated token must be handed back again without storing
//! it in the clear: it is sealed (AES-256-GCM) under a key derived from the token it replaced, so only a
//! caller presenting that token can open it, and only while the session service keeps the sealed copy.

use auth_proto::internal::RefreshHashRequest;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::fmt;
use uuid::Uuid;

const SECRET_BYTES: usize = 32;
/// base64url without padding of 32 bytes: the random part, and the routing part (two 16-byte ids).
const PART_LENGTH: usize = 43;
const TOKEN_LENGTH: usize = 2 * PART_LENGTH;
const SEAL_CONTEXT: &[u8] = b"auth-platform/refresh-grace/v1";

#[derive(Debug, thiserror::Error)]
pub enum RefreshTokenError {
    #[error("the system random source failed")]
    Random,
    #[error("the sealed successor could not be opened")]
    Unseal,
}

/// The random part of a refresh token, made before its session exists (the session is opened with its
/// hash). Never logged.
pub struct RefreshSecret(String);

impl fmt::Debug for RefreshSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshSecret([REDACTED])")
    }
}

impl RefreshSecret {
    pub fn generate() -> Result<Self, RefreshTokenError> {
        let mut bytes = [0u8; SECRET_BYTES];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| RefreshTokenError::Random)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The stored form: base64url SHA-256 of the random part.
    pub fn hash(&self) -> String {
        URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.0.as_bytes()))
    }
}

/// A refresh token as the client holds it, with the ids its routing part carries. Never logged: `Debug`
/// shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    value: String,
    user_id: Uuid,
    session_id: Uuid,
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken([REDACTED])")
    }
}

impl RefreshToken {
    /// The token of `secret` for session `session_id` of user `user_id`.
    pub fn new(user_id: Uuid, session_id: Uuid, secret: RefreshSecret) -> Self {
        let mut route = [0u8; 32];
        route[..16].copy_from_slice(user_id.as_bytes());
        route[16..].copy_from_slice(session_id.as_bytes());
        Self { value: URL_SAFE_NO_PAD.encode(route) + &secret.0, user_id, session_id }
    }

    /// A fresh token for the same session: the successor of a rotation.
    pub fn successor(&self) -> Result<Self, RefreshTokenError> {
        Ok(Self::new(self.user_id, self.session_id, RefreshSecret::generate()?))
    }

    /// Accepts exactly the shape [`RefreshToken::new`] makes.
    pub fn parse(value: &str) -> Option<Self> {
        if value.len() != TOKEN_LENGTH || !value.is_char_boundary(PART_LENGTH) {
            return None;
        }
        let (route, secret) = value.split_at(PART_LENGTH);
        let route: [u8; 32] = URL_SAFE_NO_PAD.decode(route).ok()?.try_into().ok()?;
        if URL_SAFE_NO_PAD.decode(secret).ok()?.len() != SECRET_BYTES {
            return None;
        }
        let (user, session) = route.split_at(16);
        Some(Self {
            value: value.to_owned(),
            user_id: Uuid::from_slice(user).ok()?,
            session_id: Uuid::from_slice(session).ok()?,
        })
    }

    /// The user the token's session belongs to.
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }

    /// The token's session.
    pub fn session_id(&self) -> Uuid {
        self.session_id
    }

    pub fn expose(&self) -> &str {
        &self.value
    }

    pub fn into_string(self) -> String {
        self.value
    }

    /// What the session service needs to find this token's session: its ids and hash.
    pub fn session_request(&self) -> RefreshHashRequest {
        RefreshHashRequest {
            user_id: self.user_id.hyphenated().to_string(),
            session_id: self.session_id.hyphenated().to_string(),
            refresh_hash: self.hash(),
        }
    }

    /// The stored form: base64url SHA-256 of the random part.
    pub fn hash(&self) -> String {
        URL_SAFE_NO_PAD
            .encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.value.as_bytes()[PART_LENGTH..]))
    }

    fn sealing_key(&self) -> Result<LessSafeKey, RefreshTokenError> {
        let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        context.update(SEAL_CONTEXT);
        context.update(self.value.as_bytes());
        let key = UnboundKey::new(&AES_256_GCM, context.finish().as_ref()).map_err(|_| RefreshTokenError::Unseal)?;
        Ok(LessSafeKey::new(key))
    }

    /// Seals `successor` so that only the holder of `self` can open it.
    pub fn seal(&self, successor: &RefreshToken) -> Result<String, RefreshTokenError> {
        let key = self.sealing_key()?;
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| RefreshTokenError::Random)?;
        let mut sealed = successor.value.as_bytes().to_vec();
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

    fn generate() -> RefreshToken {
        RefreshToken::new(Uuid::new_v4(), Uuid::new_v4(), RefreshSecret::generate().unwrap())
    }

    #[test]
    fn debug_prints_nothing_of_the_token() {
        let token = generate();
        let debug = format!("{token:?} {token:#?}");
        assert!(!debug.contains(token.expose()), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");
    }

    #[test]
    fn tokens_carry_their_ids_then_256_random_bits_in_base64url_and_parse() {
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let secret = RefreshSecret::generate().unwrap();
        let hash = secret.hash();
        let token = RefreshToken::new(user, session, secret);
        assert_eq!(token.expose().len(), 86);
        assert!(token.expose().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(RefreshToken::parse(token.expose()), Some(token.clone()));
        assert_eq!((token.user_id(), token.session_id()), (user, session));
        assert_eq!(token.hash(), hash, "the stored hash is the random part's");
        assert_eq!(hash.len(), 43);
        let successor = token.successor().unwrap();
        assert_eq!((successor.user_id(), successor.session_id()), (user, session));
        assert_ne!(successor, token);
        assert_ne!(successor.hash(), token.hash());
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        let good = generate();
        let first_release = "a".repeat(43);
        for bad in [
            "",
            "short",
            first_release.as_str(),
            &"a".repeat(87),
            &format!("{}=", &good.expose()[..85]),
            &format!("{}.", &good.expose()[..85]),
            &format!("é{}", &good.expose()[2..]),
        ] {
            assert!(RefreshToken::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn only_the_presented_token_opens_its_sealed_successor() {
        let presented = generate();
        let successor = presented.successor().unwrap();
        let sealed = presented.seal(&successor).unwrap();
        assert_eq!(presented.unseal(&sealed).unwrap(), successor);
        let stranger = generate();
        assert!(stranger.unseal(&sealed).is_err());
        assert!(!sealed.contains(successor.expose()));
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(presented.unseal(std::str::from_utf8(&tampered).unwrap()).is_err());
    }
}
