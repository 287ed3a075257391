//! Access-token minting and the token response every login and refresh ends with.

use crate::domain::refresh_token::RefreshToken;
use crate::keyring::SharedKeyRing;
use auth_jwt::keys::KeyError;
use auth_proto::claims::AccessClaims;
use auth_proto::internal::SessionRecord;
use auth_proto::public::TokenResponse;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Minter {
    keys: Arc<SharedKeyRing>,
    issuer: String,
    audience: String,
    access_ttl_seconds: i64,
}

impl Minter {
    pub fn new(keys: Arc<SharedKeyRing>, issuer: String, audience: String, access_ttl_seconds: i64) -> Self {
        Self { keys, issuer, audience, access_ttl_seconds }
    }

    /// The claims of a new access token for a session: a fresh `jti`, valid from now for the access TTL.
    pub fn claims(&self, session: &SessionRecord, now: i64) -> AccessClaims {
        AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: session.user_id.clone(),
            sid: session.session_id.clone(),
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now,
            nbf: now,
            exp: now + self.access_ttl_seconds,
            amr: session.amr.clone(),
            preferred_username: session.username.clone(),
        }
    }

    /// Signs an access token for the session and pairs it with its refresh token.
    pub fn token_response(
        &self,
        session: &SessionRecord,
        refresh_token: RefreshToken,
        now: i64,
    ) -> Result<TokenResponse, KeyError> {
        let access_token = self.keys.load().current().sign(&self.claims(session, now))?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_in: self.access_ttl_seconds,
            refresh_token: refresh_token.into_string(),
            refresh_expires_in: (session.expires_at - now).max(0),
            session_id: session.session_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::refresh_token::RefreshSecret;
    use crate::keyring::KeyRing;
    use auth_jwt::algorithm::SigningAlgorithm;
    use auth_jwt::keys::SigningKey;
    use auth_jwt::verify::TokenVerifier;

    fn session() -> SessionRecord {
        SessionRecord {
            session_id: "11111111-2222-4333-8444-555555555555".into(),
            user_id: "user-1".into(),
            username: "alice".into(),
            amr: vec!["pwd".into()],
            created_at: 1_000,
            expires_at: 1_000 + 3_600,
            last_seen_at: 1_000,
            user_agent: None,
            ip: None,
        }
    }

    #[test]
    fn minted_tokens_carry_every_contract_claim_and_verify() {
        let ring = Arc::new(KeyRing::new(SigningKey::generate(SigningAlgorithm::EdDsa).unwrap(), Vec::new()));
        let keys = Arc::new(SharedKeyRing::new(Arc::clone(&ring)));
        let minter = Minter::new(keys, "auth-platform".into(), "api".into(), 1800);
        let now = auth_proto::clock::now();
        let mut live = session();
        live.expires_at = now + 3_600;
        let refresh = RefreshToken::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), RefreshSecret::generate().unwrap());
        let response = minter.token_response(&live, refresh, now).unwrap();
        assert_eq!(response.token_type, "Bearer");
        assert_eq!(response.expires_in, 1800);
        assert_eq!(response.refresh_expires_in, 3_600);
        let claims = TokenVerifier::new(SigningAlgorithm::EdDsa, "auth-platform", "api")
            .verify(&response.access_token, ring.verification())
            .unwrap();
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.sid, live.session_id);
        assert_eq!(claims.amr, vec!["pwd".to_owned()]);
        assert_eq!(claims.preferred_username, "alice");
        assert_eq!(claims.exp - claims.iat, 1800);
        let header = jsonwebtoken_header(&response.access_token);
        assert_eq!(header["kid"], ring.current().kid());
    }

    #[test]
    fn every_token_gets_its_own_jti() {
        let ring = KeyRing::new(SigningKey::generate(SigningAlgorithm::EdDsa).unwrap(), Vec::new());
        let minter = Minter::new(Arc::new(SharedKeyRing::new(Arc::new(ring))), "i".into(), "a".into(), 60);
        assert_ne!(minter.claims(&session(), 0).jti, minter.claims(&session(), 0).jti);
    }

    fn jsonwebtoken_header(token: &str) -> serde_json::Value {
        use base64::Engine;
        let header = token.split('.').next().unwrap();
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
    }
}
