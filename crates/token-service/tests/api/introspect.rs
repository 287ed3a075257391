//! `/token/introspect` (RFC 7662), for holders of the internal API token: an access token is active when
//! it verifies and the session service says its session is live and its jti unrevoked; a refresh token
//! when the session service finds its session.

use crate::helpers::{AUDIENCE, ISSUER, assert_problem, claims, refresh_hash, spawn_app};
use test_support::uuid_for;

#[tokio::test]
async fn an_access_token_is_active_while_the_session_service_says_so() {
    let app = spawn_app().await;
    let tokens = app.mint("u-intro").await;
    let active = app.introspect(&tokens.access_token).await;
    let claims = claims(&tokens.access_token);
    assert_eq!(active["active"], true);
    assert_eq!(active["sub"], uuid_for("u-intro"));
    assert_eq!(active["sid"], tokens.session_id);
    assert_eq!(active["token_type"], "access_token");
    assert_eq!(active["username"], "user-u-intro");
    for field in ["jti", "exp", "iat", "iss", "aud"] {
        assert_eq!(active[field], claims[field], "{field}");
    }
    let checks = app.session.recorded().checks;
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].session_id, tokens.session_id);
    assert_eq!(checks[0].user_id, uuid_for("u-intro"));
    assert_eq!(checks[0].jti, claims["jti"].as_str().unwrap());

    // Revoked, or its session ended: the session service's check says inactive.
    app.session.script(|script| script.session_active = false);
    assert_eq!(app.introspect(&tokens.access_token).await, serde_json::json!({ "active": false }));
}

#[tokio::test]
async fn a_refresh_token_is_active_while_its_session_is_found() {
    let app = spawn_app().await;
    let tokens = app.mint("u-intro-refresh").await;
    let refresh = app.introspect(&tokens.refresh_token).await;
    assert_eq!(refresh["active"], true);
    assert_eq!(refresh["token_type"], "refresh_token");
    assert_eq!(refresh["sub"], uuid_for("u-intro-refresh"));
    assert_eq!(refresh["sid"], tokens.session_id);
    assert_eq!(refresh["iss"], ISSUER);
    assert_eq!(refresh["aud"], AUDIENCE);
    assert!(refresh.get("jti").is_none());
    assert_eq!(app.session.recorded().lookups, [refresh_hash(&tokens.refresh_token)]);

    // Revoked, rotated or expired: the session service's lookup answers 404.
    app.session.script(|script| script.refresh_known = false);
    assert_eq!(app.introspect(&tokens.refresh_token).await, serde_json::json!({ "active": false }));
}

#[tokio::test]
async fn garbage_is_inactive_without_asking_the_session_service() {
    let app = spawn_app().await;
    for garbage in ["garbage", "a.b.c", "x.y"] {
        assert_eq!(app.introspect(garbage).await, serde_json::json!({ "active": false }), "{garbage}");
    }
    assert_eq!(app.session.recorded().calls(), 0);
}

#[tokio::test]
async fn introspection_needs_the_internal_token() {
    let app = spawn_app().await;
    let response = app.client.post(app.url("/token/introspect")).form(&[("token", "anything")]).send().await.unwrap();
    assert!(response.headers().get("www-authenticate").is_some());
    assert_problem(response, 401).await;
}
