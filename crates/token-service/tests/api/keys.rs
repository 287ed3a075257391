//! The JWKS (current and previous public keys, none with HS256), signing with every algorithm, the
//! OpenAPI document and the metrics. How the session service follows a key rotation is tested end to end
//! in `tests/e2e/key_rotation.rs`.

use crate::helpers::{AUDIENCE, HS256_SECRET, ISSUER, Options, spawn_app, spawn_with};
use auth_jwt::algorithm::SigningAlgorithm;
use auth_jwt::keys::SigningKey;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};

fn validation(algorithm: SigningAlgorithm) -> Validation {
    let mut validation = Validation::new(algorithm.jws());
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation
}

#[tokio::test]
async fn the_jwks_publishes_current_and_previous_public_keys_only() {
    let previous = SigningKey::generate(SigningAlgorithm::EdDsa).unwrap();
    let previous_kid = previous.kid().to_owned();
    let app = spawn_with(Options { previous_keys: vec![previous], ..Options::default() }).await;
    let response = app.get("/.well-known/jwks.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("content-type").unwrap(), "application/jwk-set+json");
    assert!(response.headers().get("cache-control").unwrap().to_str().unwrap().starts_with("public, max-age="));
    let set: serde_json::Value = response.json().await.unwrap();
    let keys = set["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().any(|key| key["kid"] == previous_kid.as_str()));
    for key in keys {
        assert!(key.get("d").is_none(), "no private material");
        assert_eq!(key["alg"], "EdDSA");
        assert_eq!(key["use"], "sig");
    }
    // New tokens are signed with the current key, never the previous one.
    let tokens = app.mint("rotating").await;
    let kid = jsonwebtoken::decode_header(&tokens.access_token).unwrap().kid.unwrap();
    assert_ne!(kid, previous_kid);
    assert!(keys.iter().any(|key| key["kid"] == kid.as_str()));
}

#[tokio::test]
async fn every_asymmetric_algorithm_signs_tokens_its_jwks_verifies() {
    for algorithm in [SigningAlgorithm::EdDsa, SigningAlgorithm::Es256, SigningAlgorithm::Rs256] {
        let app = spawn_with(Options { algorithm, ..Options::default() }).await;
        let tokens = app.mint("alg-user").await;
        let header = jsonwebtoken::decode_header(&tokens.access_token).unwrap();
        assert_eq!(header.alg, algorithm.jws());
        let kid = header.kid.expect("a kid");
        // What a verifier does: find the kid in the JWKS and verify with that key.
        let set: JwkSet = app.get("/.well-known/jwks.json").await.json().await.unwrap();
        let jwk = set.find(&kid).unwrap_or_else(|| panic!("{algorithm}: the kid is published"));
        let key = DecodingKey::from_jwk(jwk).unwrap();
        let verified =
            jsonwebtoken::decode::<serde_json::Value>(&tokens.access_token, &key, &validation(algorithm)).unwrap();
        assert_eq!(verified.claims["sid"], tokens.session_id.as_str(), "{algorithm}");
    }
}

#[tokio::test]
async fn hs256_publishes_no_keys_and_signs_with_the_shared_secret() {
    let app = spawn_with(Options { algorithm: SigningAlgorithm::Hs256, ..Options::default() }).await;
    let set: serde_json::Value = app.get("/.well-known/jwks.json").await.json().await.unwrap();
    assert_eq!(set, serde_json::json!({ "keys": [] }));
    let tokens = app.mint("hs-user").await;
    let key = DecodingKey::from_secret(HS256_SECRET.as_bytes()).unwrap();
    let verified =
        jsonwebtoken::decode::<serde_json::Value>(&tokens.access_token, &key, &validation(SigningAlgorithm::Hs256))
            .unwrap();
    assert_eq!(verified.claims["sub"], test_support::uuid_for("hs-user"));
    assert!(HS256_SECRET.len() >= 32);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_metrics_are_served() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    for path in [
        "/healthz",
        "/readyz",
        "/token/refresh",
        "/token/revoke",
        "/token/introspect",
        "/.well-known/jwks.json",
        "/internal/tokens",
        "/internal/users/{user_id}/sessions/invalidate",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is missing from the document");
    }
    app.mint("metered").await;
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("token_http_requests_total"));
    assert!(text.contains("peer_request"), "calls to the session service are measured");
}
