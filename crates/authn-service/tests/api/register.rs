//! `POST /register`.

use crate::helpers::{PASSWORD, TestApp, header, problem, spawn_app, spawn_app_with};
use authn_service::users::redis_store::LAYOUT_KEY;
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[tokio::test]
async fn register_creates_an_account() {
    let app = spawn_app().await;
    let response = app.register(json!({"username": "Alice", "password": PASSWORD, "email": "alice@example.com"})).await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "cache-control").as_deref(), Some("no-store"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["username"], "alice");
    let id = uuid::Uuid::parse_str(body["user_id"].as_str().expect("user_id")).expect("a UUID");
    assert_eq!(id.get_version_num(), 4);
}

#[tokio::test]
async fn register_accepts_a_form_too() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/register"))
        .form(&[("username", "bob"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn a_taken_username_is_409_whatever_its_case() {
    let app = spawn_app().await;
    app.register_user("Alice").await;
    for name in ["alice", "ALICE", "aLiCe"] {
        let response = app.register(json!({"username": name, "password": "another password"})).await;
        assert_eq!(response.status(), 409, "{name}");
        assert_eq!(problem(response).await["status"], 409);
    }
}

#[tokio::test]
async fn concurrent_registrations_of_one_name_have_one_winner() {
    let app = spawn_app().await;
    let attempts = ["carol", "Carol", "CAROL", "carol", "cArol", "caroL", "carol", "CaRoL"]
        .map(|name| app.register(json!({"username": name, "password": PASSWORD})));
    let statuses: Vec<u16> = join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|status| **status == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|status| *status == 201 || *status == 409), "{statuses:?}");
}

#[tokio::test]
async fn invalid_fields_are_400() {
    let app = spawn_app().await;
    let cases = [
        json!({"username": "", "password": PASSWORD}),
        json!({"username": "a".repeat(65), "password": PASSWORD}),
        json!({"username": "al ice", "password": PASSWORD}),
        json!({"username": "al/ice", "password": PASSWORD}),
        json!({"username": "ålice", "password": PASSWORD}),
        json!({"username": "alice", "password": "1234567"}),
        json!({"username": "alice", "password": "x".repeat(1025)}),
        json!({"username": "alice", "password": "é".repeat(7)}),
        json!({"username": "alice", "password": PASSWORD, "email": "not-an-email"}),
        json!({"username": "alice", "password": PASSWORD, "email": "alice@exa mple.com"}),
        json!({"username": "alice"}),
        json!({"password": PASSWORD}),
        json!({"username": 42, "password": PASSWORD}),
    ];
    for body in cases {
        let response = app.register(body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(problem(response).await["status"], 400);
    }
    let malformed = app
        .http
        .post(app.url("/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(malformed.status(), 400);
    assert_eq!(stored_keys(&app).await, BTreeMap::new(), "nothing stored");
}

#[tokio::test]
async fn password_lengths_count_characters() {
    let app = spawn_app().await;
    // 8 two-byte characters and 1024 four-byte characters are both within 8..=1024 characters.
    let short = app.register(json!({"username": "dave", "password": "é".repeat(8)})).await;
    assert_eq!(short.status(), 201);
    let long = app.register(json!({"username": "erin", "password": "😀".repeat(1024)})).await;
    assert_eq!(long.status(), 201);
}

#[tokio::test]
async fn registration_off_is_403() {
    let app = spawn_app_with(|settings| settings.allow_registration = false).await;
    let response = app.register(json!({"username": "alice", "password": PASSWORD})).await;
    assert_eq!(response.status(), 403);
    assert_eq!(problem(response).await["status"], 403);
    assert_eq!(stored_keys(&app).await, BTreeMap::new());
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let app = spawn_app().await;
    let body = json!({"username": "alice", "password": PASSWORD, "padding": "x".repeat(70 * 1024)});
    let response = app.register(body).await;
    assert_eq!(response.status(), 413);
    assert_eq!(problem(response).await["status"], 413);
}

#[tokio::test]
async fn an_unsupported_content_type_is_415() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/register"))
        .header("content-type", "text/plain")
        .body("username=alice")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 415);
    assert_eq!(problem(response).await["status"], 415);
}

#[tokio::test]
async fn other_methods_and_unknown_routes_are_problems() {
    let app = spawn_app().await;
    let get = app.http.get(app.url("/register")).send().await.expect("request");
    assert_eq!(get.status(), 405);
    assert_eq!(header(&get, "allow").as_deref(), Some("POST"));
    let unknown = app.http.get(app.url("/nope")).send().await.expect("request");
    assert_eq!(unknown.status(), 404);
    assert_eq!(problem(unknown).await["status"], 404);
}

#[tokio::test]
async fn bad_input_leaves_stored_data_untouched() {
    let app = spawn_app().await;
    app.register_user("alice").await;
    let before = stored_keys(&app).await;
    assert_eq!(before.len(), 2, "{before:?}");
    for body in [
        json!({"username": "ALICE", "password": "a different password"}),
        json!({"username": "alice", "password": "short"}),
        json!({"username": "alice", "password": PASSWORD, "email": "bad"}),
        json!({"username": "alice!", "password": PASSWORD}),
    ] {
        let status = app.register(body).await.status();
        assert!(status == 400 || status == 409, "{status}");
    }
    assert_eq!(stored_keys(&app).await, before);
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn the_stored_record_follows_the_documented_layout() {
    let app = spawn_app().await;
    let response = app.register(json!({"username": "Alice", "password": PASSWORD, "email": "alice@example.com"})).await;
    let id = response.json::<Value>().await.expect("json")["user_id"].as_str().expect("id").to_owned();
    let mut redis = app.redis.client().await;
    let indexed: String =
        redis::cmd("GET").arg("authn:{users}:username:alice").query_async(&mut redis).await.expect("get");
    assert_eq!(indexed, id);
    let record: BTreeMap<String, String> =
        redis::cmd("HGETALL").arg(format!("authn:{{users}}:user:{id}")).query_async(&mut redis).await.expect("hgetall");
    assert_eq!(record["id"], id);
    assert_eq!(record["username"], "alice");
    assert_eq!(record["email"], "alice@example.com");
    assert_eq!(record["disabled"], "0");
    assert!(record["password_hash"].starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
    assert!(record["created_at"].parse::<i64>().expect("unix seconds") > 1_700_000_000);
}

/// Every key in the test Redis with its value (strings and hashes), to compare before and after.
pub async fn stored_keys(app: &TestApp) -> BTreeMap<String, String> {
    let mut redis = app.redis.client().await;
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query_async(&mut redis).await.expect("keys");
    let mut values = BTreeMap::new();
    // The layout marker is written once at start by the key migration, never by a request.
    for key in keys.into_iter().filter(|key| key != LAYOUT_KEY) {
        let kind: String = redis::cmd("TYPE").arg(&key).query_async(&mut redis).await.expect("type");
        let value = if kind == "hash" {
            let hash: BTreeMap<String, String> =
                redis::cmd("HGETALL").arg(&key).query_async(&mut redis).await.expect("hgetall");
            format!("{hash:?}")
        } else {
            redis::cmd("GET").arg(&key).query_async(&mut redis).await.expect("get")
        };
        values.insert(key, value);
    }
    values
}
