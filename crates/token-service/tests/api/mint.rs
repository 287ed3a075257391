//! `POST /internal/tokens` and `POST /internal/users/{id}/sessions/invalidate`: what the token service
//! asks the session service, and what it answers authn.

use crate::helpers::{
    ACCESS_TTL_SECONDS, AUDIENCE, INTERNAL_TOKEN, ISSUER, MAX_LIFETIME_SECONDS, REFRESH_TTL_SECONDS, assert_problem,
    claims, refresh_hash, routing_part, spawn_app,
};
use test_support::uuid_for;

#[tokio::test]
async fn minting_opens_a_session_with_the_refresh_tokens_hash_never_the_token() {
    let app = spawn_app().await;
    let tokens = app.mint("u1").await;

    let recorded = app.session.recorded();
    assert_eq!(recorded.creates.len(), 1);
    let create = &recorded.creates[0];
    assert_eq!(create.user_id, uuid_for("u1"));
    assert_eq!(create.username, "user-u1");
    assert_eq!(create.amr, ["pwd", "mfa"]);
    assert_eq!(create.user_agent.as_deref(), Some("tests/1.0"));
    assert_eq!(create.ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(create.ttl_seconds, REFRESH_TTL_SECONDS);
    assert_eq!(create.max_lifetime_seconds, MAX_LIFETIME_SECONDS);
    assert!(
        tokens.refresh_token.starts_with(&routing_part(&uuid_for("u1"), &tokens.session_id)),
        "the refresh token starts with its user's and session's ids"
    );
    assert_eq!(create.refresh_hash, refresh_hash(&tokens.refresh_token));
    let sent = serde_json::to_string(create).unwrap();
    assert!(!sent.contains(&tokens.refresh_token), "the refresh token itself never leaves the token service");
    assert_eq!(recorded.calls(), 1, "{recorded:?}");

    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, ACCESS_TTL_SECONDS);
    assert_eq!(tokens.refresh_expires_in, REFRESH_TTL_SECONDS);
    assert!(tokens.refresh_token.len() >= 43, "at least 256 bits");
    assert!(tokens.refresh_token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));

    // The access token belongs to the session the session service opened.
    let claims = claims(&tokens.access_token);
    assert_eq!(claims["sid"], tokens.session_id.as_str());
    assert_eq!(claims["sub"], uuid_for("u1"));
    assert_eq!(claims["preferred_username"], "user-u1");
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "mfa"]));
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), ACCESS_TTL_SECONDS);
}

#[tokio::test]
async fn minting_needs_the_internal_token_and_a_complete_body() {
    let app = spawn_app().await;
    let anonymous = app
        .client
        .post(app.url("/internal/tokens"))
        .json(&serde_json::json!({ "user_id": uuid_for("u"), "username": "u", "amr": ["pwd"] }))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401).await;
    let user_id = uuid_for("u");
    for incomplete in [
        serde_json::json!({ "user_id": user_id, "username": "u", "amr": [] }),
        serde_json::json!({ "user_id": "", "username": "u", "amr": ["pwd"] }),
        serde_json::json!({ "user_id": user_id, "amr": ["pwd"] }),
        // A user id is a UUID: anything else is refused before it reaches a session-service path.
        serde_json::json!({ "user_id": "u-1", "username": "u", "amr": ["pwd"] }),
        serde_json::json!({ "user_id": "../revocations", "username": "u", "amr": ["pwd"] }),
        serde_json::json!({ "user_id": "a%2Fb", "username": "u", "amr": ["pwd"] }),
    ] {
        let response =
            app.client.post(app.url("/internal/tokens")).bearer_auth(INTERNAL_TOKEN).json(&incomplete).send().await;
        assert_problem(response.unwrap(), 400).await;
    }
    assert_eq!(app.session.recorded().calls(), 0, "no session is opened for a refused request");
}

#[tokio::test]
async fn ending_a_users_sessions_is_forwarded_to_the_session_service() {
    let app = spawn_app().await;
    app.session.script(|script| script.ended = 3);
    let user_id = "0b7a6f44-2d55-4c0e-8a44-1f0e6f1c9b10";
    let path = format!("/internal/users/{user_id}/sessions/invalidate");
    let response = app.client.post(app.url(&path)).bearer_auth(INTERNAL_TOKEN).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<serde_json::Value>().await.unwrap(), serde_json::json!({ "invalidated": 3 }));
    assert_eq!(app.session.recorded().user_invalidations, [user_id]);

    let malformed = app
        .client
        .post(app.url("/internal/users/not-a-uuid/sessions/invalidate"))
        .bearer_auth(INTERNAL_TOKEN)
        .send()
        .await
        .unwrap();
    assert_problem(malformed, 400).await;
    let anonymous = app.client.post(app.url(&path)).send().await.unwrap();
    assert_problem(anonymous, 401).await;
    assert_eq!(app.session.recorded().user_invalidations.len(), 1);
}
