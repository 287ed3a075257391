//! `/session/status`, `/session/list`, `/session/invalidate`, `/session/verify`.

use e2e_tests::api::USER_AGENT;
use e2e_tests::checks::{assert_client_error, assert_invalid_token, assert_problem, assert_unauthorized, rfc3339};
use e2e_tests::platform::{Platform, Service};
use serde_json::json;

#[tokio::test]
async fn status_describes_the_current_session() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens) = api.signed_in().await;
    let reply = api.session_status(&tokens.access_token).await;
    reply.expect_status(200);
    let body = reply.json();
    assert_eq!(body["active"], json!(true), "{reply}");
    assert_eq!(body["session_id"].as_str(), Some(tokens.session_id.as_str()), "{reply}");
    assert_eq!(body["user_id"].as_str(), Some(account.user_id.as_str()), "{reply}");
    let created = rfc3339(&body["created_at"], "created_at");
    let expires = rfc3339(&body["expires_at"], "expires_at");
    let seen = rfc3339(&body["last_seen_at"], "last_seen_at");
    assert!(created <= seen && seen < expires, "created_at <= last_seen_at < expires_at: {reply}");
    let now = time::OffsetDateTime::now_utc();
    assert!((now - created).whole_seconds().abs() < 60, "created just now: {reply}");
}

#[tokio::test]
async fn session_routes_without_a_token_are_401() {
    let platform = Platform::start().await;
    let api = platform.api();
    for path in ["/session/status", "/session/list", "/session/verify"] {
        let reply = api.get(Service::Session, path).await;
        assert_unauthorized(&reply);
        let reply = api.get_with_authorization(Service::Session, path, "Basic dXNlcjpwYXNz").await;
        assert_unauthorized(&reply);
    }
    let reply = api.post_json(Service::Session, "/session/invalidate", &json!({})).await;
    assert_unauthorized(&reply);
}

#[tokio::test]
async fn list_shows_every_session_of_the_user_and_marks_the_current_one() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, first) = api.signed_in().await;
    let second = api.login_ok(&account).await;
    // Another user's session is not listed.
    api.signed_in().await;

    let reply = api.session_list(&second.access_token).await;
    reply.expect_status(200);
    let body = reply.json();
    let sessions = body["sessions"].as_array().unwrap_or_else(|| panic!("no sessions array: {reply}"));
    assert_eq!(sessions.len(), 2, "two sessions: {reply}");
    let current: Vec<_> = sessions.iter().filter(|s| s["current"] == json!(true)).collect();
    assert_eq!(current.len(), 1, "exactly one current session: {reply}");
    assert_eq!(current[0]["session_id"].as_str(), Some(second.session_id.as_str()), "{reply}");
    let others: Vec<_> = sessions.iter().filter(|s| s["current"] == json!(false)).collect();
    assert_eq!(others.len(), 1, "the other one has current: false: {reply}");
    assert_eq!(others[0]["session_id"].as_str(), Some(first.session_id.as_str()), "{reply}");
    for session in sessions {
        for field in ["created_at", "expires_at", "last_seen_at"] {
            rfc3339(&session[field], field);
        }
        for field in ["user_agent", "ip"] {
            assert!(session.get(field).is_some(), "{field} is listed: {session}");
        }
        assert_eq!(session["user_agent"], json!(USER_AGENT), "the login's User-Agent: {session}");
        assert_eq!(session["ip"], json!("127.0.0.1"), "the login's client address: {session}");
    }
}

#[tokio::test]
async fn invalidate_with_empty_body_or_empty_object_ends_the_current_session() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, first) = api.signed_in().await;
    let second = api.login_ok(&account).await;
    let third = api.login_ok(&account).await;

    let reply = api.session_invalidate(&first.access_token, None).await;
    reply.expect_status(200);
    assert_eq!(reply.json(), json!({"invalidated": 1}), "{reply}");
    assert_invalid_token(&api.session_status(&first.access_token).await);

    let reply = api.session_invalidate(&second.access_token, Some(&json!({}))).await;
    reply.expect_status(200);
    assert_eq!(reply.json(), json!({"invalidated": 1}), "{reply}");
    assert_invalid_token(&api.session_status(&second.access_token).await);
    assert_unauthorized(&api.refresh(&second.refresh_token).await);

    api.session_status(&third.access_token).await.expect_status(200);
    // An ended session can't log out again.
    assert_invalid_token(&api.session_invalidate(&first.access_token, None).await);
}

#[tokio::test]
async fn invalidate_by_session_id_ends_that_session_of_the_same_user() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, first) = api.signed_in().await;
    let second = api.login_ok(&account).await;

    let reply = api.session_invalidate(&first.access_token, Some(&json!({"session_id": second.session_id}))).await;
    reply.expect_status(200);
    assert_eq!(reply.json(), json!({"invalidated": 1}), "{reply}");
    assert_invalid_token(&api.session_status(&second.access_token).await);
    assert_unauthorized(&api.refresh(&second.refresh_token).await);
    api.session_status(&first.access_token).await.expect_status(200);
}

#[tokio::test]
async fn invalidating_another_users_session_is_404() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (_, mine) = api.signed_in().await;
    let (_, theirs) = api.signed_in().await;

    let reply = api.session_invalidate(&mine.access_token, Some(&json!({"session_id": theirs.session_id}))).await;
    assert_problem(&reply, 404);
    api.session_status(&theirs.access_token).await.expect_status(200);
    api.session_status(&mine.access_token).await.expect_status(200);

    let unknown = uuid::Uuid::new_v4().to_string();
    assert_problem(&api.session_invalidate(&mine.access_token, Some(&json!({"session_id": unknown}))).await, 404);
}

#[tokio::test]
async fn invalidate_all_ends_every_session_of_the_user_and_counts_them() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, first) = api.signed_in().await;
    let second = api.login_ok(&account).await;
    let third = api.login_ok(&account).await;
    let (_, stranger) = api.signed_in().await;

    let reply = api.session_invalidate(&second.access_token, Some(&json!({"all": true}))).await;
    reply.expect_status(200);
    assert_eq!(reply.json(), json!({"invalidated": 3}), "{reply}");
    for tokens in [&first, &second, &third] {
        assert_invalid_token(&api.session_status(&tokens.access_token).await);
        assert_unauthorized(&api.refresh(&tokens.refresh_token).await);
    }
    api.session_status(&stranger.access_token).await.expect_status(200);
}

#[tokio::test]
async fn malformed_invalidate_bodies_are_4xx_and_end_nothing() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (_, tokens) = api.signed_in().await;
    for body in [r#"{"session_id": 5}"#, r#"{"all": "yes"}"#, "{", "[]"] {
        let reply = api
            .send(
                api.request(reqwest::Method::POST, Service::Session, "/session/invalidate")
                    .bearer_auth(&tokens.access_token)
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        assert!((400..500).contains(&reply.status), "body {body:?} must be refused with a 4xx: {reply}");
        assert_client_error(&reply);
        let status = api.session_status(&tokens.access_token).await;
        assert_eq!(status.status, 200, "after the refused body {body:?} the session must still be alive: {status}");
    }
}

#[tokio::test]
async fn verify_answers_identity_headers_and_an_empty_body() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens) = api.signed_in().await;

    let reply = api.session_verify(&tokens.access_token).await;
    reply.expect_status(200);
    assert_eq!(reply.header("x-user-id"), Some(account.user_id.as_str()), "{reply}");
    assert_eq!(reply.header("x-session-id"), Some(tokens.session_id.as_str()), "{reply}");
    assert_eq!(reply.header("x-username"), Some(account.username.as_str()), "{reply}");
    assert!(reply.body.is_empty(), "verify answers an empty body: {reply}");

    api.session_invalidate(&tokens.access_token, None).await.expect_status(200);
    let reply = api.session_verify(&tokens.access_token).await;
    assert_invalid_token(&reply);
    assert!(reply.header("x-user-id").is_none(), "no identity on a refusal: {reply}");
}

#[tokio::test]
async fn an_untrusted_x_forwarded_for_is_not_the_session_ip() {
    let platform = Platform::start().await;
    let api = platform.api();
    let account = api.new_account().await;
    let reply = api
        .send(
            api.request(reqwest::Method::POST, Service::Authn, "/login")
                .header("x-forwarded-for", "203.0.113.9")
                .json(&json!({"username": account.username, "password": account.password})),
        )
        .await;
    reply.expect_status(200);
    let access = reply.json()["access_token"].as_str().unwrap().to_owned();
    let list = api.session_list(&access).await;
    list.expect_status(200);
    assert_eq!(list.json()["sessions"][0]["ip"], json!("127.0.0.1"), "TRUSTED_PROXIES is empty by default: {list}");
}
