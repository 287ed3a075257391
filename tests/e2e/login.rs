//! `POST /login`, JSON and OAuth2 password form, and what the access token carries.

use e2e_tests::checks::{assert_client_error, assert_problem, assert_retry_after, assert_unauthorized, token_response};
use e2e_tests::jwt;
use e2e_tests::platform::{Platform, Service};
use serde_json::{Value, json};

#[tokio::test]
async fn login_with_json_and_with_form_gives_token_responses() {
    let platform = Platform::start().await;
    let api = platform.api();
    let account = api.new_account().await;

    let by_json = api.login(&account.username, &account.password).await;
    by_json.expect_status(200);
    let by_json = token_response(&by_json);

    let by_form = api.login_form(&account.username, &account.password).await;
    by_form.expect_status(200);
    let by_form = token_response(&by_form);

    // `grant_type` is optional in the form.
    let without_grant = api
        .post_form(Service::Authn, "/login", &[("username", &account.username), ("password", &account.password)])
        .await;
    without_grant.expect_status(200);
    token_response(&without_grant);

    assert_ne!(by_json.session_id, by_form.session_id, "each login is a new session");
    assert_ne!(by_json.refresh_token, by_form.refresh_token);
    api.session_status(&by_json.access_token).await.expect_status(200);
    api.session_status(&by_form.access_token).await.expect_status(200);
}

#[tokio::test]
async fn access_token_carries_the_contract_claims() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens) = api.signed_in().await;

    // Defaults: 30 minutes and 14 days.
    assert!((1790..=1800).contains(&tokens.expires_in), "expires_in {} should be 1800", tokens.expires_in);
    assert!(
        (1_209_590..=1_209_600).contains(&tokens.refresh_expires_in),
        "refresh_expires_in {} should be 1209600",
        tokens.refresh_expires_in
    );

    let header = jwt::header(&tokens.access_token);
    assert_eq!(header["alg"], json!("EdDSA"), "header {header}");
    let kid = header["kid"].as_str().unwrap_or_else(|| panic!("no kid in header {header}"));

    let claims = jwt::claims(&tokens.access_token);
    assert_eq!(claims["iss"], json!(jwt::ISSUER), "claims {claims}");
    let aud_ok = claims["aud"] == json!(jwt::AUDIENCE) || claims["aud"] == json!([jwt::AUDIENCE]);
    assert!(aud_ok, "aud must be \"api\": {claims}");
    assert_eq!(claims["sub"].as_str(), Some(account.user_id.as_str()), "sub is the user id: {claims}");
    assert_eq!(claims["sid"].as_str(), Some(tokens.session_id.as_str()), "sid is the session id: {claims}");
    assert!(claims["jti"].as_str().is_some_and(|jti| !jti.is_empty()), "jti: {claims}");
    assert_eq!(claims["amr"], json!(["pwd"]), "amr: {claims}");
    assert_eq!(claims["preferred_username"].as_str(), Some(account.username.as_str()), "{claims}");
    let (iat, nbf, exp) =
        (claims["iat"].as_i64().unwrap(), claims["nbf"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
    assert!((iat - jwt::now()).abs() < 60, "iat is now: {claims}");
    assert!(nbf <= iat + 1, "nbf is not after iat: {claims}");
    assert_eq!(exp - iat, 1800, "a 30-minute access token: {claims}");

    // A second login has another jti.
    let other = api.login_ok(&account).await;
    assert_ne!(jwt::claims(&other.access_token)["jti"], claims["jti"]);

    // The kid is published.
    let jwks = api.jwks().await;
    jwks.expect_status(200);
    let keys = jwks.json()["keys"].as_array().cloned().unwrap_or_default();
    assert!(keys.iter().any(|key| key["kid"] == json!(kid)), "kid {kid} is not in the JWKS: {jwks}");
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_401() {
    let platform = Platform::start().await;
    let api = platform.api();
    let account = api.new_account().await;

    let unknown = api.login("nobody-here", "some password").await;
    let wrong = api.login(&account.username, "not the password").await;
    assert_unauthorized(&unknown);
    assert_unauthorized(&wrong);
    let strip = |body: Value| -> Value {
        let mut body = body;
        if let Some(object) = body.as_object_mut() {
            // A per-request instance or trace id may differ; everything else must not.
            object.remove("instance");
            object.remove("trace_id");
            object.remove("request_id");
        }
        body
    };
    assert_eq!(strip(unknown.json()), strip(wrong.json()), "the bodies must not tell unknown user from wrong password");
    assert_eq!(unknown.header("www-authenticate"), wrong.header("www-authenticate"));

    let unknown_form = api.login_form("nobody-here", "some password").await;
    assert_unauthorized(&unknown_form);
}

#[tokio::test]
async fn too_many_failures_lock_the_login_with_429_and_retry_after() {
    let platform = Platform::builder()
        .env(Service::Authn, "LOGIN_MAX_FAILURES", "3")
        .env(Service::Authn, "LOGIN_LOCKOUT_SECONDS", "120")
        .start()
        .await;
    let api = platform.api();
    let account = api.new_account().await;
    for attempt in 1..=3 {
        let reply = api.login(&account.username, "wrong password").await;
        assert_eq!(reply.status, 401, "failure {attempt} of 3: {reply}");
    }
    // Locked now, even with the right password.
    let locked = api.login(&account.username, &account.password).await;
    assert_problem(&locked, 429);
    assert_retry_after(&locked);
    let locked_form = api.login_form(&account.username, &account.password).await;
    assert_problem(&locked_form, 429);
    assert_retry_after(&locked_form);
}

#[tokio::test]
async fn malformed_login_requests_are_4xx() {
    let platform = Platform::start().await;
    let api = platform.api();
    let cases: [(&str, &str, &str); 5] = [
        ("not JSON", "application/json", "{"),
        ("missing password", "application/json", r#"{"username": "ivan"}"#),
        ("password is a number", "application/json", r#"{"username": "ivan", "password": 12345678}"#),
        ("form without password", "application/x-www-form-urlencoded", "username=ivan"),
        (
            "unsupported grant_type",
            "application/x-www-form-urlencoded",
            "grant_type=client_credentials&username=ivan&password=secret123",
        ),
    ];
    for (what, content_type, body) in cases {
        let reply = api.post_raw(Service::Authn, "/login", content_type, body.as_bytes().to_vec()).await;
        assert!((400..500).contains(&reply.status), "{what}: {reply}");
        assert_client_error(&reply);
    }
}

#[tokio::test]
async fn failures_from_one_client_address_lock_that_address() {
    let platform = Platform::builder()
        .env(Service::Authn, "LOGIN_MAX_FAILURES", "3")
        .env(Service::Authn, "LOGIN_LOCKOUT_SECONDS", "120")
        .start()
        .await;
    let api = platform.api();
    let account = api.new_account().await;
    // Three different usernames, one failure each, with forged X-Forwarded-For values: no proxy is
    // trusted by default, so they all count against 127.0.0.1.
    for attempt in 1..=3 {
        let reply = api
            .send(
                api.request(reqwest::Method::POST, Service::Authn, "/login")
                    .header("x-forwarded-for", format!("203.0.113.{attempt}"))
                    .json(&json!({"username": format!("guess-{attempt}"), "password": "wrong password"})),
            )
            .await;
        assert_eq!(reply.status, 401, "failure {attempt} of 3: {reply}");
    }
    let locked = api.login(&account.username, &account.password).await;
    assert_problem(&locked, 429);
    assert_retry_after(&locked);
}
