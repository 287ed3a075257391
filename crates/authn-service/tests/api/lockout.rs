//! Login lockout: per username and per client address, 429 with `Retry-After` even for the right password;
//! under concurrency and across replicas, at most `LOGIN_MAX_FAILURES` guesses are checked per window.

use crate::helpers::{
    MAX_FAILURES, PASSWORD, TestApp, header, problem, spawn_app, spawn_app_with, start, test_settings,
};
use std::time::Duration;

#[tokio::test]
async fn a_username_locks_after_max_failures_even_for_the_right_password() {
    let app = spawn_app().await;
    app.register_user("alice").await;
    // Each failure from its own address, so only the username's counter reaches the limit.
    for attempt in 0..MAX_FAILURES {
        let response = app.login_from(&format!("203.0.113.{}", 10 + attempt), "alice", "wrong password").await;
        assert_eq!(response.status(), 401);
    }
    let response = app.login_from("203.0.113.99", "ALICE", PASSWORD).await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = header(&response, "retry-after").expect("retry-after").parse().expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body = problem(response).await;
    assert_eq!(body["status"], 429);
    assert_eq!(body["error"], "invalid_grant", "a locked account is an invalid grant to OAuth clients: {body}");
    assert!(app.token_service.mints().is_empty());
    // Another user is not affected.
    app.register_user("bob").await;
    assert_eq!(app.login_from("203.0.113.99", "bob", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn an_unknown_username_locks_the_same_way() {
    let app = spawn_app().await;
    for attempt in 0..MAX_FAILURES {
        let response = app.login_from(&format!("203.0.113.{}", 10 + attempt), "ghost", "whatever pw").await;
        assert_eq!(response.status(), 401);
    }
    assert_eq!(app.login_from("203.0.113.99", "ghost", "whatever pw").await.status(), 429);
}

#[tokio::test]
async fn a_client_address_locks_across_usernames() {
    let app = spawn_app().await;
    app.register_user("alice").await;
    for attempt in 0..MAX_FAILURES {
        let response = app.login_from("198.51.100.7", &format!("guess{attempt}"), "wrong password").await;
        assert_eq!(response.status(), 401);
    }
    let locked = app.login_from("198.51.100.7", "alice", PASSWORD).await;
    assert_eq!(locked.status(), 429);
    assert!(header(&locked, "retry-after").is_some());
    // The same account from another address is fine: only the address is locked.
    assert_eq!(app.login_from("198.51.100.8", "alice", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn the_lock_lifts_when_the_window_passes() {
    let app = spawn_app_with(|settings| settings.lockout.window = Duration::from_secs(2)).await;
    app.register_user("alice").await;
    for _ in 0..MAX_FAILURES {
        assert_eq!(app.login("alice", "wrong password").await.status(), 401);
    }
    let locked = app.login("alice", PASSWORD).await;
    assert_eq!(locked.status(), 429);
    let retry_after: u64 = header(&locked, "retry-after").expect("retry-after").parse().expect("seconds");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_success_clears_the_username_counter() {
    let app = spawn_app().await;
    app.register_user("alice").await;
    let mut address = 0;
    let mut login = |password: &'static str| {
        address += 1;
        let from = format!("203.0.113.{address}");
        let app = &app;
        async move { app.login_from(&from, "alice", password).await.status() }
    };
    for _ in 0..MAX_FAILURES - 1 {
        assert_eq!(login("wrong password").await, 401);
    }
    assert_eq!(login(PASSWORD).await, 200);
    for _ in 0..MAX_FAILURES - 1 {
        assert_eq!(login("wrong password").await, 401);
    }
    assert_eq!(login(PASSWORD).await, 200);
}

#[tokio::test]
async fn counters_live_in_redis_with_an_expiry() {
    let app = spawn_app().await;
    assert_eq!(app.login_from("203.0.113.5", "Alice", "wrong password").await.status(), 401);
    let mut redis = app.redis.client().await;
    for key in ["authn:login-failures:user:alice", "authn:login-failures:ip:203.0.113.5"] {
        let count: i64 = redis::cmd("GET").arg(key).query_async(&mut redis).await.expect("get");
        assert_eq!(count, 1, "{key}");
        let ttl: i64 = redis::cmd("PTTL").arg(key).query_async(&mut redis).await.expect("pttl");
        assert!(ttl > 0 && ttl <= 60_000, "{key}: {ttl}");
    }
}

/// Two replicas of the app over one Redis, each with its own pool and hashing threads.
async fn two_replicas() -> (TestApp, String) {
    let app = spawn_app().await;
    let second = start(test_settings(Some(app.redis.url()), &app.token_service.url)).await;
    (app, second)
}

/// A JSON login against the replica at `base`, from client address `from`.
async fn login_at(app: &TestApp, base: &str, from: &str, username: &str, password: &str) -> u16 {
    app.http
        .post(format!("{base}/login"))
        .header("X-Forwarded-For", from)
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

/// Forty guesses at once, alternately on each replica; the statuses they got.
async fn simultaneous_guesses(app: &TestApp, second: &str, guess: impl Fn(usize) -> (String, String)) -> Vec<u16> {
    let replies = (0..40).map(|n| {
        let (from, username) = guess(n);
        let base = if n % 2 == 0 { app.address.clone() } else { second.to_owned() };
        async move { login_at(app, &base, &from, &username, "wrong password").await }
    });
    futures_util::future::join_all(replies).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_forty_simultaneous_guesses_for_one_username_on_two_replicas_only_the_limit_is_checked() {
    let (app, second) = two_replicas().await;
    app.register_user("alice").await;
    // Each guess from its own address, so only the username's counter can refuse.
    let statuses = simultaneous_guesses(&app, &second, |n| (format!("203.0.113.{}", 10 + n), "alice".to_owned())).await;
    let checked = statuses.iter().filter(|status| **status == 401).count();
    let refused = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!((checked, refused), (MAX_FAILURES as usize, 40 - MAX_FAILURES as usize), "{statuses:?}");
    assert_eq!(login_at(&app, &second, "198.51.100.1", "alice", PASSWORD).await, 429, "locked on both replicas");
    assert_eq!(login_at(&app, &app.address, "198.51.100.2", "alice", PASSWORD).await, 429);
    assert!(app.token_service.mints().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_forty_simultaneous_guesses_from_one_address_on_two_replicas_only_the_limit_is_checked() {
    let (app, second) = two_replicas().await;
    app.register_user("alice").await;
    let statuses = simultaneous_guesses(&app, &second, |n| ("198.51.100.7".to_owned(), format!("user{n}"))).await;
    let checked = statuses.iter().filter(|status| **status == 401).count();
    assert_eq!(checked, MAX_FAILURES as usize, "{statuses:?}");
    assert!(statuses.iter().all(|status| *status == 401 || *status == 429), "{statuses:?}");
    assert_eq!(login_at(&app, &second, "198.51.100.7", "alice", PASSWORD).await, 429);
    // Only the address is locked: the account itself is fine from elsewhere.
    assert_eq!(login_at(&app, &second, "198.51.100.8", "alice", PASSWORD).await, 200);
}

#[tokio::test]
async fn a_right_password_gives_the_address_its_attempt_back() {
    let app = spawn_app().await;
    app.register_user("alice").await;
    for attempt in 0..MAX_FAILURES - 1 {
        assert_eq!(app.login_from("198.51.100.7", &format!("guess{attempt}"), "wrong password").await.status(), 401);
    }
    // Logging in to an own account does not reset the address's failures, but does not add one either.
    for _ in 0..3 {
        assert_eq!(app.login_from("198.51.100.7", "alice", PASSWORD).await.status(), 200);
    }
    assert_eq!(app.login_from("198.51.100.7", "guess-last", "wrong password").await.status(), 401);
    assert_eq!(app.login_from("198.51.100.7", "alice", PASSWORD).await.status(), 429);
}
