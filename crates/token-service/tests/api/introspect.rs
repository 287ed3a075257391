//! `/token/introspect` (RFC 7662), for holders of the internal API token or of client credentials from
//! `INTROSPECTION_CREDENTIALS` (HTTP Basic, which open no other route): an access token is active when
//! it verifies and the session service says its session is live and its jti unrevoked; a refresh token
//! when the session service finds its session.

use crate::helpers::{
    AUDIENCE, INTERNAL_TOKEN, INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, ISSUER, TestApp, assert_problem,
    claims, refresh_hash, spawn_app,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
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

/// `POST /token/introspect` with this `Authorization` value.
async fn introspect_as(app: &TestApp, authorization: &str, token: &str) -> reqwest::Response {
    let request = app.client.post(app.url("/token/introspect")).header("authorization", authorization);
    request.form(&[("token", token)]).send().await.expect("request")
}

fn basic(client_id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{client_id}:{secret}")))
}

/// As RFC 6749 §2.3.1 (and so oauth2-rs and requests-oauthlib) sends them: form-encoded, then Basic.
fn basic_form_encoded(client_id: &str, secret: &str) -> String {
    let encode = |value: &str| url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>();
    basic(&encode(client_id), &encode(secret))
}

#[tokio::test]
async fn introspection_credentials_open_introspection_as_sent_or_form_encoded() {
    let app = spawn_app().await;
    let tokens = app.mint("u-basic").await;
    for authorization in [
        basic(INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET),
        basic_form_encoded(INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET),
        format!("Bearer {INTERNAL_TOKEN}"),
    ] {
        let response = introspect_as(&app, &authorization, &tokens.access_token).await;
        assert_eq!(response.status(), 200, "{authorization}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["active"], true, "{authorization}");
        assert_eq!(body["sub"], uuid_for("u-basic"));
    }
}

#[tokio::test]
async fn failed_client_authentication_is_invalid_client_with_a_basic_challenge() {
    let app = spawn_app().await;
    let tokens = app.mint("u-basic-refused").await;
    let calls_before = app.session.recorded().calls();
    for authorization in [
        basic(INTROSPECTION_CLIENT_ID, "wrong secret"),
        basic("another-client", INTROSPECTION_CLIENT_SECRET),
        basic(INTROSPECTION_CLIENT_ID, ""),
        "Basic not-base64!".to_owned(),
        format!("Bearer {INTROSPECTION_CLIENT_SECRET}x"),
        "Bearer wrong-internal-token".to_owned(),
        "Digest x".to_owned(),
    ] {
        let response = introspect_as(&app, &authorization, &tokens.access_token).await;
        let challenges: Vec<String> = response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|value| value.to_str().expect("ascii").to_owned())
            .collect();
        assert!(challenges.iter().any(|value| value.starts_with("Basic realm=")), "{authorization}: {challenges:?}");
        assert!(challenges.iter().any(|value| value.starts_with("Bearer")), "{authorization}: {challenges:?}");
        let body = assert_problem(response, 401).await;
        assert_eq!(body["error"], "invalid_client", "{authorization}: {body}");
        assert_eq!(body["type"], "urn:auth-platform:problem:unauthorized", "the problem type stays");
        assert!(!body.to_string().contains(INTROSPECTION_CLIENT_SECRET), "{body}");
    }
    let missing = app.client.post(app.url("/token/introspect")).form(&[("token", "x")]).send().await.unwrap();
    assert_eq!(assert_problem(missing, 401).await["error"], "invalid_client");
    assert_eq!(app.session.recorded().calls(), calls_before, "no token was looked at");
}

#[tokio::test]
async fn introspection_credentials_open_no_internal_route() {
    let app = spawn_app().await;
    for authorization in [
        basic(INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET),
        basic_form_encoded(INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET),
        format!("Bearer {INTROSPECTION_CLIENT_SECRET}"),
    ] {
        let mint = app
            .client
            .post(app.url("/internal/tokens"))
            .header("authorization", &authorization)
            .json(&serde_json::json!({"user_id": uuid_for("u-x"), "username": "x", "amr": ["pwd"]}))
            .send()
            .await
            .expect("request");
        let body = assert_problem(mint, 401).await;
        assert!(body.get("error").is_none(), "internal routes are no OAuth endpoints: {body}");
        let end = app
            .client
            .post(app.url(&format!("/internal/users/{}/sessions/invalidate", uuid_for("u-x"))))
            .header("authorization", &authorization)
            .send()
            .await
            .expect("request");
        assert_problem(end, 401).await;
    }
    assert_eq!(app.session.recorded().calls(), 0, "nothing reached the session service");
}

#[tokio::test]
async fn a_malformed_introspection_request_is_invalid_request() {
    let app = spawn_app().await;
    let authorization = basic(INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET);
    let request = app.client.post(app.url("/token/introspect")).header("authorization", &authorization);
    let response = request.form(&[("token_type_hint", "access_token")]).send().await.expect("request");
    let body = assert_problem(response, 400).await;
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert_eq!(body["error_description"], body["detail"], "{body}");
}
