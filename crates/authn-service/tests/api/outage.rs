//! Redis going away and coming back while the app runs.

use crate::helpers::{PASSWORD, header, problem, spawn_app};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn redis_down_is_503_quickly_and_recovery_needs_no_restart() {
    let mut app = spawn_app().await;
    app.register_user("alice").await;
    app.redis.stop();

    for (path, body) in [
        ("/register", json!({"username": "bob", "password": PASSWORD})),
        ("/login", json!({"username": "alice", "password": PASSWORD})),
    ] {
        let started = Instant::now();
        let response = app.http.post(app.url(path)).json(&body).send().await.expect("request");
        assert!(started.elapsed() < Duration::from_secs(5), "{path} took {:?}", started.elapsed());
        assert_eq!(response.status(), 503, "{path}");
        assert!(header(&response, "retry-after").is_some(), "{path}");
        let detail = problem(response).await["detail"].as_str().expect("detail").to_owned();
        assert!(detail.contains("redis"), "{detail}");
    }
    let started = Instant::now();
    let ready = app.http.get(app.url("/readyz")).send().await.expect("request");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(ready.status(), 503);
    assert!(problem(ready).await["detail"].as_str().expect("detail").contains("redis"));

    // Redis comes back empty on the same port (nothing was persisted); the app recovers by itself.
    app.redis.restart().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut status = 0;
    while Instant::now() < deadline {
        status = app.register(json!({"username": "alice", "password": PASSWORD})).await.status().as_u16();
        if status == 201 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, 201, "the app did not recover");
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200);
    assert_eq!(app.http.get(app.url("/readyz")).send().await.expect("request").status(), 200);
}
