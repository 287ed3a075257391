//! `/token/revoke` (RFC 7009): an access token is recorded as revoked until it expires, a refresh token
//! ends its session, anything else is answered 200 without touching the session service.

use crate::helpers::{Options, assert_problem, claims, refresh_hash, spawn_app, spawn_with, unknown_refresh_token};
use auth_jwt::algorithm::SigningAlgorithm;

#[tokio::test]
async fn revoking_an_access_token_records_its_jti_until_it_expires() {
    let app = spawn_app().await;
    let tokens = app.mint("u-rev").await;
    let response = app.revoke(&tokens.access_token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<serde_json::Value>().await.unwrap(), serde_json::json!({}));

    let recorded = app.session.recorded();
    assert_eq!(recorded.revocations.len(), 1);
    let claims = claims(&tokens.access_token);
    assert_eq!(recorded.revocations[0].jti, claims["jti"].as_str().unwrap());
    assert_eq!(recorded.revocations[0].expires_at, claims["exp"].as_i64().unwrap());
    assert_eq!(recorded.revocations[0].user_id, claims["sub"].as_str().unwrap(), "kept with the user's sessions");
    assert!(recorded.ends.is_empty(), "revoking an access token does not end its session");
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_session_by_hash() {
    let app = spawn_app().await;
    let tokens = app.mint("u-rev-refresh").await;
    assert_eq!(app.revoke(&tokens.refresh_token).await.status(), 200);
    let recorded = app.session.recorded();
    assert_eq!(recorded.ends, [refresh_hash(&tokens.refresh_token)]);
    assert!(recorded.revocations.is_empty());

    // A refresh token the session service does not know (any more) is still a 200.
    app.session.script(|script| script.ended = 0);
    assert_eq!(app.revoke(&tokens.refresh_token).await.status(), 200);
}

#[tokio::test]
async fn unknown_tokens_get_200_and_missing_ones_400() {
    let app = spawn_app().await;
    app.session.script(|script| script.ended = 0);
    // Tokens another key signed are not this service's: nothing to record.
    let foreign = spawn_with(Options { algorithm: SigningAlgorithm::EdDsa, ..Options::default() }).await;
    let foreign_token = foreign.mint("elsewhere").await.access_token;
    for unknown in ["garbage", "a.b.c", &"x".repeat(43), foreign_token.as_str()] {
        assert_eq!(app.revoke(unknown).await.status(), 200, "{unknown}");
    }
    assert_eq!(app.session.recorded().calls(), 0, "nothing was sent to the session service");

    // Shaped like a refresh token: the session service is asked to end its session, and finds none.
    let unknown_refresh = unknown_refresh_token().into_string();
    assert_eq!(app.revoke(&unknown_refresh).await.status(), 200);
    assert_eq!(app.session.recorded().ends, [refresh_hash(&unknown_refresh)]);

    let missing = app.client.post(app.url("/token/revoke")).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(assert_problem(missing, 400).await["error"], "invalid_request");
    let empty = app.revoke("").await;
    assert_eq!(assert_problem(empty, 400).await["error"], "invalid_request");
    let recorded = app.session.recorded();
    assert_eq!(recorded.calls(), 1, "nothing else was touched: {recorded:?}");
}
