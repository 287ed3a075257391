//! Rejected requests change nothing that is stored.

use e2e_tests::checks::{assert_client_error, assert_problem, assert_unauthorized, token_response};
use e2e_tests::platform::{Platform, Service};
use serde_json::json;

#[tokio::test]
async fn a_refused_register_of_a_taken_name_keeps_the_existing_password() {
    let platform = Platform::start().await;
    let api = platform.api();
    api.register("judy", "original password").await.expect_status(201);
    assert_problem(&api.register("judy", "attacker password").await, 409);
    assert_problem(&api.register("JUDY", "attacker password").await, 409);
    let reply = api
        .post_json(
            Service::Authn,
            "/register",
            &json!({"username": "Judy", "password": "attacker password", "email": "x@example.com"}),
        )
        .await;
    assert_problem(&reply, 409);

    assert_unauthorized(&api.login("judy", "attacker password").await);
    api.login("judy", "original password").await.expect_status(200);
}

#[tokio::test]
async fn a_rejected_register_creates_no_user() {
    let platform = Platform::start().await;
    let api = platform.api();
    assert_problem(&api.register("kim", "short").await, 400);
    assert_unauthorized(&api.login("kim", "short").await);
    let huge = "p".repeat(2000);
    assert_problem(&api.register("kim", &huge).await, 400);
    assert_unauthorized(&api.login("kim", &huge).await);
    // The name is still free.
    api.register("kim", "good password").await.expect_status(201);
    api.login("kim", "good password").await.expect_status(200);
}

#[tokio::test]
async fn malformed_token_requests_leave_the_session_alone() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (_, tokens) = api.signed_in().await;

    for body in [r#"{"refresh_token": 5}"#, r#"{"refresh_token": null}"#, "{", r#"{"token": 1}"#] {
        assert_client_error(
            &api.post_raw(Service::Token, "/token/refresh", "application/json", body.as_bytes().to_vec()).await,
        );
        assert_client_error(
            &api.post_raw(Service::Token, "/token/revoke", "application/json", body.as_bytes().to_vec()).await,
        );
    }
    // A refresh token with a character more or less is not the token, and presenting it is no reuse.
    assert_unauthorized(&api.refresh(&format!("{}A", tokens.refresh_token)).await);
    assert_unauthorized(&api.refresh(&tokens.refresh_token[1..]).await);

    api.session_status(&tokens.access_token).await.expect_status(200);
    let refreshed = api.refresh(&tokens.refresh_token).await;
    refreshed.expect_status(200);
    token_response(&refreshed);
}

/// Found by schemathesis against the token service's OpenAPI document: a user id with a slash or other
/// bytes was put into the session-service path unescaped, and the mismatch came back as a 500.
#[tokio::test]
async fn malformed_user_ids_on_the_internal_invalidate_route_are_400_and_end_nothing() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (_account, tokens) = api.signed_in().await;
    let authorization = format!("Bearer {}", api.internal_token());
    for user_id in ["not-a-uuid", "a%2Fb", "..%2F..%2Frevocations", "4%F2%90%B0%92b%3D%C2%88%28_%3Ds%20_"] {
        let path = format!("/internal/users/{user_id}/sessions/invalidate");
        let reply = api
            .send(api.request(reqwest::Method::POST, Service::Token, &path).header("authorization", &authorization))
            .await;
        assert_problem(&reply, 400);
    }
    api.session_status(&tokens.access_token).await.expect_status(200);
}
