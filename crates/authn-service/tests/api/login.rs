//! `POST /login`.

use crate::helpers::{
    PASSWORD, fixed_tokens, free_port, header, problem, spawn_app, spawn_app_with, start, test_settings,
};
use auth_proto::public::TokenResponse;
use authn_service::client_ip::TrustedProxies;
use serde_json::json;

#[tokio::test]
async fn a_json_login_returns_the_minted_tokens() {
    let app = spawn_app().await;
    let user_id = app.register_user("alice").await;
    let response = app
        .http
        .post(app.url("/login"))
        .header("X-Forwarded-For", "198.51.100.23")
        .header("User-Agent", format!("test-agent/{}", "x".repeat(300)))
        .json(&serde_json::json!({"username": "Alice", "password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control").as_deref(), Some("no-store"));
    assert_eq!(header(&response, "pragma").as_deref(), Some("no-cache"), "RFC 6749 §5.1");
    assert_eq!(response.json::<TokenResponse>().await.expect("token response"), fixed_tokens());

    let mints = app.token_service.mints();
    assert_eq!(mints.len(), 1);
    let mint = &mints[0];
    assert_eq!(mint.user_id, user_id);
    assert_eq!(mint.username, "alice");
    assert_eq!(mint.amr, vec!["pwd".to_owned()]);
    assert_eq!(mint.ip.as_deref(), Some("198.51.100.23"));
    let agent = mint.user_agent.as_deref().expect("user agent");
    assert!(agent.starts_with("test-agent/") && agent.chars().count() == 256);
}

#[tokio::test]
async fn a_password_grant_form_logs_in() {
    let app = spawn_app().await;
    app.register_user("alice").await;
    for form in [
        vec![("username", "alice"), ("password", PASSWORD), ("grant_type", "password")],
        vec![("username", "alice"), ("password", PASSWORD)],
    ] {
        let response = app.http.post(app.url("/login")).form(&form).send().await.expect("request");
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<TokenResponse>().await.expect("tokens"), fixed_tokens());
    }
}

#[tokio::test]
async fn another_grant_type_is_400_unsupported_grant_type() {
    let app = spawn_app().await;
    app.register_user("alice").await;
    let form = [("username", "alice"), ("password", PASSWORD), ("grant_type", "client_credentials")];
    let response = app.http.post(app.url("/login")).form(&form).send().await.expect("request");
    assert_eq!(response.status(), 400);
    let body = problem(response).await;
    assert!(body["type"].as_str().expect("type").ends_with("unsupported-grant-type"), "{body}");
    assert_eq!(body["error"], "unsupported_grant_type", "{body}");
    assert!(app.token_service.mints().is_empty());
}

#[tokio::test]
async fn another_grant_type_is_named_even_without_the_password_grant_s_fields() {
    let app = spawn_app().await;
    let form = [("grant_type", "client_credentials"), ("scope", "api")];
    let response = app.http.post(app.url("/login")).form(&form).send().await.expect("request");
    assert_eq!(response.status(), 400);
    let body = problem(response).await;
    assert_eq!(body["error"], "unsupported_grant_type", "{body}");
    assert_eq!(body["error_description"], body["detail"], "{body}");
}

#[tokio::test]
async fn every_4xx_of_login_carries_an_oauth_error_and_registration_s_do_not() {
    let app = spawn_app().await;
    app.register_user("alice").await;
    let wrong = app.login("alice", "not the password").await;
    assert_eq!(wrong.status(), 401);
    let body = problem(wrong).await;
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert!(body["type"].as_str().expect("type").ends_with(":unauthorized"), "the problem type stays: {body}");
    assert_eq!(body["error_description"], body["detail"], "{body}");

    let cases: Vec<(reqwest::RequestBuilder, u16)> = vec![
        (app.http.post(app.url("/login")).form(&[("username", "alice")]), 400),
        (app.http.post(app.url("/login")).header("content-type", "application/json").body("{not json"), 400),
        (app.http.post(app.url("/login")).header("content-type", "text/plain").body("alice"), 415),
        (app.http.post(app.url("/login")).header("content-type", "application/json").body(vec![b' '; 70_000]), 413),
        (app.http.get(app.url("/login")), 405),
    ];
    for (request, status) in cases {
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), status);
        let body = problem(response).await;
        assert_eq!(body["error"], "invalid_request", "{status}: {body}");
        assert_eq!(body["error_description"], body["detail"], "{body}");
    }

    let register = app.register(serde_json::json!({"username": "", "password": PASSWORD})).await;
    assert_eq!(register.status(), 400);
    let body = problem(register).await;
    assert!(body.get("error").is_none() && body.get("error_description").is_none(), "{body}");
}

#[tokio::test]
async fn wrong_password_unknown_user_and_disabled_user_answer_alike() {
    let app = spawn_app().await;
    let alice = app.register_user("alice").await;
    app.register_user("bob").await;
    let mut redis = app.redis.client().await;
    let () = redis::cmd("HSET")
        .arg(format!("authn:{{users}}:user:{alice}"))
        .arg("disabled")
        .arg("1")
        .query_async::<i64>(&mut redis)
        .await
        .map(drop)
        .expect("disable");

    let mut answers = Vec::new();
    for (from, username, password) in [
        ("203.0.113.1", "bob", "wrong password"),
        ("203.0.113.2", "nobody", PASSWORD),
        ("203.0.113.3", "alice", PASSWORD),
        ("203.0.113.4", "not a valid name!", PASSWORD),
        ("203.0.113.5", "bob", &"x".repeat(2000)),
    ] {
        let response = app.login_from(from, username, password).await;
        assert_eq!(response.status(), 401, "{username}");
        assert_eq!(header(&response, "www-authenticate").as_deref(), Some("Bearer"));
        answers.push(response.bytes().await.expect("body"));
    }
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]), "bodies differ: {answers:?}");
    assert!(app.token_service.mints().is_empty());
}

#[tokio::test]
async fn without_trusted_proxies_the_peer_is_the_client() {
    let app = spawn_app_with(|settings| settings.trusted_proxies = TrustedProxies::none()).await;
    app.register_user("alice").await;
    assert_eq!(app.login_from("198.51.100.23", "alice", PASSWORD).await.status(), 200);
    assert_eq!(app.token_service.mints()[0].ip.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn token_service_down_is_503_with_retry_after() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let app = spawn_app_with(|settings| settings.token_service_url = closed.parse().expect("a URL")).await;
    app.register_user("alice").await;
    let response = app.login("alice", PASSWORD).await;
    assert_eq!(response.status(), 503);
    assert!(header(&response, "retry-after").is_some());
    let body = problem(response).await;
    assert!(body["detail"].as_str().expect("detail").contains("token service"), "{body}");
}

#[tokio::test]
async fn a_missing_field_is_400() {
    let app = spawn_app().await;
    let response =
        app.http.post(app.url("/login")).json(&serde_json::json!({"username": "alice"})).send().await.expect("request");
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_login_with_an_outdated_hash_stores_one_with_todays_parameters() {
    let app = spawn_app().await;
    let alice = app.register_user("alice").await;
    let redis = app.redis.client().await;
    let key = format!("authn:{{users}}:user:{alice}");
    let stored = |mut redis: redis::aio::MultiplexedConnection| {
        let key = key.clone();
        async move {
            redis::cmd("HGET").arg(key).arg("password_hash").query_async::<String>(&mut redis).await.expect("hget")
        }
    };
    let old = stored(redis.clone()).await;
    assert!(old.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{old}");

    // The same Redis behind a replica configured with stronger parameters.
    let mut settings = test_settings(Some(app.redis.url()), &app.token_service.url);
    settings.hashing.iterations = 2;
    let stronger = start(settings).await;
    let login = |password: &'static str| {
        let http = app.http.clone();
        let url = format!("{stronger}/login");
        async move {
            http.post(url).json(&json!({"username": "alice", "password": password})).send().await.expect("request")
        }
    };
    assert_eq!(login("wrong password").await.status(), 401);
    assert_eq!(stored(redis.clone()).await, old, "a wrong password changes nothing");
    assert_eq!(login(PASSWORD).await.status(), 200);
    let fresh = stored(redis.clone()).await;
    assert!(fresh.starts_with("$argon2id$v=19$m=1024,t=2,p=1$"), "{fresh}");
    assert_eq!(login(PASSWORD).await.status(), 200, "the new hash verifies");
    assert_eq!(stored(redis.clone()).await, fresh, "an up-to-date hash is left alone");
}
