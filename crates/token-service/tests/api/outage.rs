//! The session service down (gone, or answering 503): every route that needs it answers 503 with
//! Retry-After, promptly; `/healthz` does not depend on it, and neither does `/readyz`, which reports it
//! under `peers` (one service's outage must not take the others out of rotation).

use crate::helpers::{INTERNAL_TOKEN, TestApp, assert_problem, spawn_app};
use std::time::{Duration, Instant};

async fn assert_dependent_routes_are_503(app: &TestApp, refresh_token: &str, access_token: &str) {
    let started = Instant::now();
    let refresh = app.refresh(refresh_token).await;
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert!(refresh.headers().get("retry-after").is_some(), "{} {:?}", refresh.status(), refresh.headers());
    assert_problem(refresh, 503).await;

    let mint = app.mint_response("u").await;
    assert!(mint.headers().get("retry-after").is_some());
    assert_problem(mint, 503).await;
    assert_problem(app.revoke(refresh_token).await, 503).await;
    assert_problem(app.revoke(access_token).await, 503).await;
    let introspect = app
        .client
        .post(app.url("/token/introspect"))
        .bearer_auth(INTERNAL_TOKEN)
        .form(&[("token", access_token)])
        .send()
        .await
        .unwrap();
    assert_problem(introspect, 503).await;

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["checks"], serde_json::json!([{"name": "signing key", "ok": true}]), "{body}");
    assert_eq!(body["peers"], serde_json::json!([{"name": "session service", "ok": false}]), "{body}");
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn a_session_service_that_is_gone_gives_503_with_retry_after() {
    let app = spawn_app().await;
    let tokens = app.mint("u-down").await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.session.stop().await;
    assert_dependent_routes_are_503(&app, &tokens.refresh_token, &tokens.access_token).await;
}

#[tokio::test]
async fn a_session_service_answering_503_gives_503_with_retry_after() {
    let app = spawn_app().await;
    let tokens = app.mint("u-failing").await;
    app.session.script(|script| script.unavailable = true);
    assert_dependent_routes_are_503(&app, &tokens.refresh_token, &tokens.access_token).await;
}
