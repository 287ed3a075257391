//! Signing key rotation: `JWT_PREVIOUS_KEY_FILES` keeps old tokens verifiable, and the session service
//! re-fetches the JWKS when it meets an unknown `kid`.

use e2e_tests::jwt;
use e2e_tests::platform::{Platform, Service, generate_private_key_pem};
use serde_json::json;

#[tokio::test]
async fn a_rotated_key_is_published_beside_the_new_one_and_both_verify() {
    let mut platform = Platform::start().await;
    let api = platform.api().clone();
    let (account, old) = api.signed_in().await;
    api.session_status(&old.access_token).await.expect_status(200);
    let old_kid = jwt::header(&old.access_token)["kid"].as_str().unwrap().to_owned();

    let new_key = platform.dir().join("jwt-new-key.pem");
    std::fs::write(&new_key, generate_private_key_pem()).unwrap();
    let old_key = platform.env(Service::Token)["JWT_PRIVATE_KEY_FILE"].clone();
    platform.stop_service(Service::Token);
    platform.set_env(Service::Token, "JWT_PRIVATE_KEY_FILE", new_key.display().to_string());
    platform.set_env(Service::Token, "JWT_PREVIOUS_KEY_FILES", old_key);
    platform.start_service(Service::Token).await;

    let jwks = api.jwks().await;
    jwks.expect_status(200);
    let keys = jwks.json()["keys"].as_array().cloned().unwrap_or_default();
    assert_eq!(keys.len(), 2, "the current and the previous key: {jwks}");
    assert!(keys.iter().any(|k| k["kid"] == json!(old_kid)), "the previous key keeps its kid: {jwks}");
    assert!(keys.iter().all(|k| k.get("d").is_none()), "{jwks}");

    let fresh = api.login_ok(&account).await;
    let new_kid = jwt::header(&fresh.access_token)["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid, "new tokens are signed with the new key");
    assert!(keys.iter().any(|k| k["kid"] == json!(new_kid)), "the new kid is published: {jwks}");
    // The session service has never seen the new kid: it re-fetches the JWKS.
    api.session_status(&fresh.access_token).await.expect_status(200);
    api.session_verify(&fresh.access_token).await.expect_status(200);
    // Tokens of the previous key still verify.
    api.session_status(&old.access_token).await.expect_status(200);
    let refreshed = api.refresh(&old.refresh_token).await;
    refreshed.expect_status(200);
    let refreshed = e2e_tests::checks::token_response(&refreshed);
    assert_eq!(jwt::header(&refreshed.access_token)["kid"], json!(new_kid));
}
