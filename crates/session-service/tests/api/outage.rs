//! Redis stopped while the service runs: 503 with Retry-After, quickly; back again: served with no restart.

use crate::helpers::{assert_problem, spawn_app};
use std::time::{Duration, Instant};

#[tokio::test]
async fn redis_outage_gives_503_and_the_service_recovers_by_itself() {
    let mut app = spawn_app().await;
    let (session, _) = app.open_session("user-outage").await;
    let token = app.access_token(&session);
    assert_eq!(app.get_with_token("/session/status", &token).await.status(), 200);

    app.redis.as_mut().unwrap().stop();
    let started = Instant::now();
    let response = app.get_with_token("/session/status", &token).await;
    assert!(started.elapsed() < Duration::from_secs(5), "answered in {:?}", started.elapsed());
    assert!(response.headers().get("retry-after").is_some());
    assert_problem(response, 503).await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert!(ready.headers().get("retry-after").is_some());
    let body = assert_problem(ready, 503).await;
    assert!(body["detail"].as_str().unwrap().contains("redis"));
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200, "the process still serves");

    app.redis.as_mut().unwrap().restart();
    // The restarted Redis is empty: a new session must work without restarting the service.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
        if ready.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "never became ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (again, _) = app.open_session("user-outage").await;
    assert_eq!(app.get_with_token("/session/status", &app.access_token(&again)).await.status(), 200);
    assert_eq!(app.get_with_token("/session/status", &token).await.status(), 401, "the lost session is gone");
}
