//! Forged, tampered, expired and misaddressed tokens: always 401, never 5xx.

use crate::helpers::{SECRET, assert_problem, spawn_app};
use auth_jwt::keys::SigningKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn encode_part(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

#[tokio::test]
async fn forged_and_malformed_tokens_are_401() {
    let app = spawn_app().await;
    let (session, _) = app.open_session("victim").await;
    let claims = app.claims(&session);
    let good = app.key.sign(&claims).unwrap();
    let kid = app.key.kid().to_owned();
    let claims_json = serde_json::to_value(&claims).unwrap();

    let alg_none =
        format!("{}.{}.", encode_part(&serde_json::json!({ "alg": "none", "kid": kid })), encode_part(&claims_json));

    let mut tampered_claims = claims_json.clone();
    tampered_claims["sub"] = "someone-else".into();
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], encode_part(&tampered_claims), parts[2]);

    let other_key = SigningKey::from_secret(b"another-secret-that-is-long-enough-too!!").unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid.clone());
    let other_key_same_kid = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"another-secret-that-is-long-enough-too!!").unwrap(),
    )
    .unwrap();
    drop(other_key);

    // The real key and valid claims, but not an access token (`typ` other than `at+jwt`).
    let mut plain_jwt_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    plain_jwt_header.kid = Some(kid.clone());
    let plain_jwt = jsonwebtoken::encode(
        &plain_jwt_header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    )
    .unwrap();

    let mut expired = claims.clone();
    expired.exp -= 3600;
    expired.iat -= 4000;
    expired.nbf -= 4000;
    let mut wrong_issuer = claims.clone();
    wrong_issuer.iss = "evil".into();
    let mut wrong_audience = claims.clone();
    wrong_audience.aud = "other-api".into();
    let mut not_yet = claims.clone();
    not_yet.nbf += 3600;

    let cases = [
        ("alg none", alg_none),
        ("tampered payload", tampered),
        ("other key with a known kid", other_key_same_kid),
        ("typ JWT, signed with the real key", plain_jwt),
        ("expired", app.key.sign(&expired).unwrap()),
        ("wrong iss", app.key.sign(&wrong_issuer).unwrap()),
        ("wrong aud", app.key.sign(&wrong_audience).unwrap()),
        ("not yet valid", app.key.sign(&not_yet).unwrap()),
        ("garbage", "garbage".to_owned()),
        ("three dots", "a.b.c".to_owned()),
        ("oversized", "a".repeat(9 * 1024)),
    ];
    for (name, token) in cases {
        for path in ["/session/status", "/session/verify", "/session/list"] {
            let response = app.get_with_token(path, &token).await;
            assert_eq!(response.status(), 401, "{name} at {path}");
            assert!(
                response.headers().get("www-authenticate").unwrap().to_str().unwrap().starts_with("Bearer"),
                "{name} at {path}"
            );
            assert_problem(response, 401).await;
        }
    }
    assert_eq!(app.get_with_token("/session/status", &good).await.status(), 200);
    assert!(SECRET.len() >= 32);
}

#[tokio::test]
async fn a_token_for_a_session_of_another_user_is_refused() {
    let app = spawn_app().await;
    let (session, _) = app.open_session("owner").await;
    let mut claims = app.claims(&session);
    claims.sub = "intruder".into();
    assert_eq!(app.get_with_token("/session/status", &app.key.sign(&claims).unwrap()).await.status(), 401);
}
