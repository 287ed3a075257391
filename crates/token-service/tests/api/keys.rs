//! The JWKS, previous keys, HS256, and the session service following a key rotation.

use crate::helpers::{HS256_SECRET, Options, spawn_platform, spawn_with};
use auth_jwt::algorithm::SigningAlgorithm;
use auth_jwt::keys::SigningKey;

#[tokio::test]
async fn the_jwks_publishes_current_and_previous_public_keys_only() {
    let previous = SigningKey::generate(SigningAlgorithm::EdDsa).unwrap();
    let previous_kid = previous.kid().to_owned();
    let platform = spawn_with(Options { previous_keys: vec![previous], ..Options::default() }).await;
    let response = platform.client.get(format!("{}/.well-known/jwks.json", platform.token_url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let set: serde_json::Value = response.json().await.unwrap();
    let keys = set["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().any(|key| key["kid"] == previous_kid.as_str()));
    for key in keys {
        assert!(key.get("d").is_none(), "no private material");
        assert_eq!(key["alg"], "EdDSA");
        assert_eq!(key["use"], "sig");
    }
}

#[tokio::test]
async fn every_asymmetric_algorithm_works_end_to_end() {
    for algorithm in [SigningAlgorithm::Es256, SigningAlgorithm::Rs256] {
        let platform = spawn_with(Options { algorithm, ..Options::default() }).await;
        let tokens = platform.mint("alg-user").await;
        let header = jsonwebtoken::decode_header(&tokens.access_token).unwrap();
        assert_eq!(header.alg, algorithm.jws());
        assert!(header.kid.is_some());
        assert_eq!(platform.status(&tokens.access_token).await.status(), 200, "{algorithm}");
    }
}

#[tokio::test]
async fn hs256_publishes_no_keys_and_verifies_with_the_shared_secret() {
    let platform = spawn_with(Options { algorithm: SigningAlgorithm::Hs256, ..Options::default() }).await;
    let set: serde_json::Value = platform
        .client
        .get(format!("{}/.well-known/jwks.json", platform.token_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(set, serde_json::json!({ "keys": [] }));
    let tokens = platform.mint("hs-user").await;
    assert_eq!(platform.status(&tokens.access_token).await.status(), 200);
    assert!(HS256_SECRET.len() >= 32);
}

#[tokio::test]
async fn the_session_service_fetches_the_jwks_on_an_unknown_kid() {
    let platform = spawn_platform().await;
    // The session service has not seen any token yet; its first verification fetches or re-fetches keys.
    let tokens = platform.mint("kid-user").await;
    assert_eq!(platform.status(&tokens.access_token).await.status(), 200);
    let ready = platform.client.get(format!("{}/readyz", platform.session_url)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_metrics_are_served() {
    let platform = spawn_platform().await;
    let doc: serde_json::Value =
        platform.client.get(format!("{}/openapi.json", platform.token_url)).send().await.unwrap().json().await.unwrap();
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
    let metrics = platform.client.get(format!("{}/metrics", platform.token_url)).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics.text().await.unwrap().contains("token_http_requests_total"));
}
