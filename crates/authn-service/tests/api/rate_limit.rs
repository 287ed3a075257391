//! `RATE_LIMIT_PER_MINUTE`: requests per client address and minute to `/register` and `/oauth/login`,
//! counted together, in Redis, across replicas; over it, 429 with `Retry-After`.

use crate::helpers::{PASSWORD, header, problem, spawn_app_with, start, test_settings};
use serde_json::json;

const LIMIT: u32 = 4;

#[tokio::test]
async fn register_and_oauth_login_share_one_count_per_address_across_replicas() {
    let app = spawn_app_with(|settings| settings.rate_limit_per_minute = LIMIT).await;
    let mut settings = test_settings(Some(app.redis.url()), &app.token_service.url);
    settings.rate_limit_per_minute = LIMIT;
    let second = start(settings).await;
    let register = |base: String, n: usize| {
        let http = app.http.clone();
        async move {
            http.post(format!("{base}/register"))
                .header("X-Forwarded-For", "203.0.113.50")
                .json(&json!({"username": format!("user{n}"), "password": PASSWORD}))
                .send()
                .await
                .expect("request")
        }
    };
    let oauth_login = |base: String| {
        let http = app.http.clone();
        async move {
            http.get(format!("{base}/oauth/login"))
                .header("X-Forwarded-For", "203.0.113.50")
                .send()
                .await
                .expect("request")
        }
    };
    assert_eq!(register(app.address.clone(), 0).await.status(), 201);
    assert_eq!(register(second.clone(), 1).await.status(), 201);
    // SSO is not configured here (404), but the request still counts: the limit comes first.
    assert_eq!(oauth_login(app.address.clone()).await.status(), 404);
    assert_eq!(oauth_login(second.clone()).await.status(), 404);
    for response in [register(app.address.clone(), 2).await, oauth_login(second.clone()).await] {
        assert_eq!(response.status(), 429);
        let retry_after: u64 = header(&response, "retry-after").expect("retry-after").parse().expect("seconds");
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        let body = problem(response).await;
        assert!(body["type"].as_str().expect("type").ends_with("rate-limited"), "{body}");
    }
    let mut redis = app.redis.client().await;
    let exists: i64 =
        redis::cmd("EXISTS").arg("authn:{users}:username:user2").query_async(&mut redis).await.expect("exists");
    assert_eq!(exists, 0, "the refused registration created nothing");
    // Another address has its own count.
    let other = app
        .http
        .post(format!("{}/register", app.address))
        .header("X-Forwarded-For", "203.0.113.51")
        .json(&json!({"username": "user3", "password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(other.status(), 201);
}

#[tokio::test]
async fn login_is_not_rate_limited_only_locked_out() {
    let app = spawn_app_with(|settings| settings.rate_limit_per_minute = 1).await;
    app.register_user("alice").await;
    for _ in 0..5 {
        assert_eq!(app.login("alice", PASSWORD).await.status(), 200);
    }
}
