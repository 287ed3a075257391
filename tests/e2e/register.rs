//! `POST /register`.

use e2e_tests::checks::{assert_client_error, assert_problem};
use e2e_tests::platform::{Platform, Service};
use serde_json::json;

#[tokio::test]
async fn register_answers_201_with_user_id_and_username() {
    let platform = Platform::start().await;
    let api = platform.api();
    let reply = api
        .post_json(
            Service::Authn,
            "/register",
            &json!({"username": "dora", "password": "long enough", "email": "dora@example.com"}),
        )
        .await;
    reply.expect_status(201);
    let body = reply.json();
    assert!(body["user_id"].as_str().is_some_and(|id| !id.is_empty()), "{reply}");
    assert_eq!(body["username"], json!("dora"), "{reply}");
    // Two users get two ids.
    let other = api.new_account().await;
    assert_ne!(body["user_id"].as_str(), Some(other.user_id.as_str()));
}

#[tokio::test]
async fn taken_username_is_409_case_insensitively() {
    let platform = Platform::start().await;
    let api = platform.api();
    api.register("Alice", "password-one").await.expect_status(201);
    assert_problem(&api.register("Alice", "password-two").await, 409);
    assert_problem(&api.register("alice", "password-two").await, 409);
    assert_problem(&api.register("ALICE", "password-two").await, 409);
}

#[tokio::test]
async fn usernames_are_one_account_whatever_the_case_at_login() {
    let platform = Platform::start().await;
    let api = platform.api();
    let reply = api.register("Carol", "password-one").await;
    reply.expect_status(201);
    let user_id = reply.json()["user_id"].as_str().unwrap().to_owned();
    for spelling in ["Carol", "carol", "CAROL"] {
        let login = api.login(spelling, "password-one").await;
        login.expect_status(200);
        let access = login.json()["access_token"].as_str().unwrap().to_owned();
        assert_eq!(e2e_tests::jwt::claims(&access)["sub"].as_str(), Some(user_id.as_str()), "login as {spelling}");
    }
}

#[tokio::test]
async fn invalid_usernames_and_passwords_are_400() {
    let platform = Platform::start().await;
    let api = platform.api();
    let long_name = "a".repeat(65);
    let long_password = "p".repeat(1025);
    let cases: Vec<(&str, String, String)> = vec![
        ("empty username", String::new(), "good password".into()),
        ("65-character username", long_name, "good password".into()),
        ("space in username", "bad name".into(), "good password".into()),
        ("slash in username", "bad/name".into(), "good password".into()),
        ("colon in username", "bad:name".into(), "good password".into()),
        ("quote in username", "bad\"name".into(), "good password".into()),
        ("emoji in username", "bad\u{1F600}".into(), "good password".into()),
        ("7-character password", "shortpw".into(), "1234567".into()),
        ("1025-character password", "longpw".into(), long_password),
        ("empty password", "nopw".into(), String::new()),
    ];
    for (what, username, password) in cases {
        let reply = api.register(&username, &password).await;
        assert_eq!(reply.status, 400, "{what}: {reply}");
        assert_problem(&reply, 400);
    }
}

#[tokio::test]
async fn malformed_register_bodies_are_4xx() {
    let platform = Platform::start().await;
    let api = platform.api();
    let bodies: [(&str, &str); 6] = [
        ("not JSON", "{"),
        ("empty body", ""),
        ("missing password", r#"{"username": "erin"}"#),
        ("missing username", r#"{"password": "good password"}"#),
        ("username is a number", r#"{"username": 42, "password": "good password"}"#),
        ("a JSON array", r#"["erin", "good password"]"#),
    ];
    for (what, body) in bodies {
        let reply = api.post_raw(Service::Authn, "/register", "application/json", body.as_bytes().to_vec()).await;
        assert!((400..500).contains(&reply.status), "{what}: {reply}");
        assert_client_error(&reply);
    }
}

#[tokio::test]
async fn boundary_lengths_are_accepted() {
    let platform = Platform::start().await;
    let api = platform.api();
    let name_64 = format!("a.b_c@d-e{}", "x".repeat(55));
    assert_eq!(name_64.len(), 64);
    api.register(&name_64, "password").await.expect_status(201);
    api.register("z", "12345678").await.expect_status(201);
    let password_1024 = "p".repeat(1024);
    api.register("maxpw", &password_1024).await.expect_status(201);
    api.login("maxpw", &password_1024).await.expect_status(200);
    api.login(&name_64, "password").await.expect_status(200);
}

#[tokio::test]
async fn register_is_403_when_registration_is_off() {
    let platform = Platform::builder().env(Service::Authn, "ALLOW_REGISTRATION", "false").start().await;
    let api = platform.api();
    assert_problem(&api.register("frank", "good password").await, 403);
}

#[tokio::test]
async fn registration_is_off_by_default_in_prod() {
    let platform = Platform::builder().env_remove(Service::Authn, "ALLOW_REGISTRATION").start().await;
    let api = platform.api();
    assert_problem(&api.register("grace", "good password").await, 403);
}

#[tokio::test]
async fn bodies_over_64_kib_are_413() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (_, tokens) = api.signed_in().await;
    let padding = "x".repeat(70 * 1024);
    let big = json!({"username": "heidi", "password": "good password", "padding": padding}).to_string().into_bytes();
    for (service, path) in [
        (Service::Authn, "/register"),
        (Service::Authn, "/login"),
        (Service::Token, "/token/refresh"),
        (Service::Token, "/token/revoke"),
    ] {
        let reply = api.post_raw(service, path, "application/json", big.clone()).await;
        assert_problem(&reply, 413);
    }
    let reply = api
        .send(
            api.request(reqwest::Method::POST, Service::Session, "/session/invalidate")
                .bearer_auth(&tokens.access_token)
                .header("content-type", "application/json")
                .body(big.clone()),
        )
        .await;
    assert_problem(&reply, 413);
    // The oversized register created nobody.
    api.register("heidi", "good password").await.expect_status(201);
}
