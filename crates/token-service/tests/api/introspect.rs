//! `/token/introspect` (RFC 7662), for holders of the internal API token.

use crate::helpers::{assert_problem, spawn_platform};
use test_support::uuid_for;

#[tokio::test]
async fn introspection_reports_live_and_dead_tokens() {
    let platform = spawn_platform().await;
    let tokens = platform.mint("u-intro").await;
    let active = platform.introspect(&tokens.access_token).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["sub"], uuid_for("u-intro"));
    assert_eq!(active["sid"], tokens.session_id);
    assert_eq!(active["token_type"], "access_token");
    for field in ["jti", "exp", "iat", "iss", "aud"] {
        assert!(active.get(field).is_some(), "{field}");
    }
    let refresh = platform.introspect(&tokens.refresh_token).await;
    assert_eq!(refresh["active"], true);
    assert_eq!(refresh["token_type"], "refresh_token");

    platform.revoke(&tokens.access_token).await;
    assert_eq!(platform.introspect(&tokens.access_token).await, serde_json::json!({ "active": false }));
    assert_eq!(platform.introspect("garbage").await, serde_json::json!({ "active": false }));
    platform.revoke(&tokens.refresh_token).await;
    assert_eq!(platform.introspect(&tokens.refresh_token).await, serde_json::json!({ "active": false }));
}

#[tokio::test]
async fn introspection_needs_the_internal_token() {
    let platform = spawn_platform().await;
    let response = platform
        .client
        .post(format!("{}/token/introspect", platform.token_url))
        .form(&[("token", "anything")])
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("www-authenticate").is_some());
    assert_problem(response, 401).await;
}
