//! Reading and forging JWTs for the security tests.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// The contract's default `JWT_ISSUER` and `JWT_AUDIENCE`.
pub const ISSUER: &str = "auth-platform";
pub const AUDIENCE: &str = "api";

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap_or_else(|err| panic!("not base64url ({err}): {text:?}"))
}

fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap_or_else(|| panic!("not a JWT: {token:?}"));
    serde_json::from_slice(&unb64(part)).unwrap_or_else(|err| panic!("JWT segment {index} is not JSON: {err}"))
}

/// The decoded header of a JWT (not verified).
pub fn header(token: &str) -> Value {
    segment(token, 0)
}

/// The decoded claims of a JWT (not verified).
pub fn claims(token: &str) -> Value {
    segment(token, 1)
}

pub fn encode_json(value: &Value) -> String {
    b64(value.to_string().as_bytes())
}

/// The same header and signature with other claims: a tampered token.
pub fn with_claims(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWT: {token:?}");
    format!("{}.{}.{}", parts[0], encode_json(claims), parts[2])
}

/// `header.claims.` with an empty signature (`alg: none` and friends).
pub fn unsigned(header: &Value, claims: &Value) -> String {
    format!("{}.{}.", encode_json(header), encode_json(claims))
}

/// Claims the session service should accept for this user and session, valid for ten minutes.
pub fn valid_claims(user_id: &str, session_id: &str, username: &str) -> Value {
    let now = now();
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "sid": session_id,
        "jti": uuid::Uuid::new_v4().to_string(),
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "amr": ["pwd"],
        "preferred_username": username,
    })
}

/// The header `typ` of an access token (RFC 9068), which the contract's verifiers require.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Signs `claims` with an Ed25519 PKCS#8 PEM, header `alg: EdDSA`, this `kid` and `typ: at+jwt`.
pub fn sign_eddsa(private_key_pem: &str, kid: &str, claims: &Value) -> String {
    sign_eddsa_typed(private_key_pem, kid, Some(ACCESS_TOKEN_TYPE), claims)
}

/// [`sign_eddsa`] with another header `typ`, or none.
pub fn sign_eddsa_typed(private_key_pem: &str, kid: &str, typ: Option<&str>, claims: &Value) -> String {
    let key = EncodingKey::from_ed_pem(private_key_pem.as_bytes()).expect("an Ed25519 PKCS#8 PEM");
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    header.typ = typ.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).expect("sign with EdDSA")
}

/// Signs `claims` with HMAC-SHA256 and `secret`, header `alg: HS256`, this `kid` and `typ: at+jwt`.
pub fn sign_hs256(secret: &[u8], kid: Option<&str>, claims: &Value) -> String {
    let key = EncodingKey::from_secret(secret).expect("a non-empty HMAC secret");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    header.typ = Some(ACCESS_TOKEN_TYPE.to_owned());
    jsonwebtoken::encode(&header, claims, &key).expect("sign with HS256")
}
