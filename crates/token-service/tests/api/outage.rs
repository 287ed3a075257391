//! The session service down: refresh and mint answer 503 with Retry-After, promptly.

use crate::helpers::{INTERNAL_TOKEN, assert_problem, spawn_platform};
use std::time::{Duration, Instant};
use test_support::uuid_for;

#[tokio::test]
async fn a_dead_session_service_gives_503_with_retry_after() {
    let platform = spawn_platform().await;
    let tokens = platform.mint("u-down").await;
    platform.session_server.stop(false).await;

    let started = Instant::now();
    let refresh = platform.refresh(&tokens.refresh_token).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(refresh.headers().get("retry-after").is_some());
    assert_problem(refresh, 503).await;

    let mint = platform
        .client
        .post(format!("{}/internal/tokens", platform.token_url))
        .bearer_auth(INTERNAL_TOKEN)
        .json(&serde_json::json!({ "user_id": uuid_for("u"), "username": "u", "amr": ["pwd"] }))
        .send()
        .await
        .unwrap();
    assert_problem(mint, 503).await;

    let ready = platform.client.get(format!("{}/readyz", platform.token_url)).send().await.unwrap();
    assert_problem(ready, 503).await;
    assert_eq!(platform.client.get(format!("{}/healthz", platform.token_url)).send().await.unwrap().status(), 200);
}
