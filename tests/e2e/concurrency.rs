//! Twenty simultaneous refreshes of one refresh token; forty simultaneous password guesses on two authn
//! replicas.

use e2e_tests::api::Reply;
use e2e_tests::binaries::binary;
use e2e_tests::checks::token_response;
use e2e_tests::platform::{Platform, Service};
use futures_util::future::join_all;
use serde_json::json;
use std::time::Duration;
use test_support::{GroupCommand, free_port};

const RACERS: usize = 20;

async fn race(platform: &Platform, refresh_token: &str) -> Vec<Reply> {
    let api = platform.api();
    join_all((0..RACERS).map(|_| api.refresh(refresh_token))).await
}

#[tokio::test]
async fn without_grace_exactly_one_of_twenty_concurrent_refreshes_succeeds() {
    let platform = Platform::start().await;
    let (_, tokens) = platform.api().signed_in().await;
    let replies = race(&platform, &tokens.refresh_token).await;
    let ok: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    let summary: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(ok.len(), 1, "exactly one 200 among {RACERS} racing refreshes, got statuses {summary:?}");
    for reply in &replies {
        assert!(reply.status == 200 || reply.status == 401, "the losers get 401, never a 5xx: {reply}");
    }
}

#[tokio::test]
async fn within_grace_all_twenty_concurrent_refreshes_get_the_same_token() {
    let platform = Platform::builder().env(Service::Token, "REFRESH_REUSE_GRACE_SECONDS", "10").start().await;
    let api = platform.api();
    let (_, tokens) = api.signed_in().await;
    let replies = race(&platform, &tokens.refresh_token).await;
    let summary: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert!(replies.iter().all(|r| r.status == 200), "all {RACERS} get 200 within the grace window, got {summary:?}");
    let successors: Vec<String> = replies.iter().map(|r| token_response(r).refresh_token).collect();
    assert!(
        successors.iter().all(|s| s == &successors[0]),
        "all get the same successor refresh token: {} distinct",
        successors.iter().collect::<std::collections::HashSet<_>>().len()
    );
    assert_ne!(successors[0], tokens.refresh_token);
    // The session survived the race and the successor works.
    let last = token_response(&replies[0]);
    api.session_status(&last.access_token).await.expect_status(200);
    api.refresh(&successors[0]).await.expect_status(200);
}

/// Forty simultaneous wrong guesses for one username, half on the platform's authn and half on a second
/// authn process over the same Redis: exactly `LOGIN_MAX_FAILURES` are checked against the password
/// (401), the rest are refused before hashing (429), and both replicas then refuse the right password.
#[tokio::test]
async fn forty_simultaneous_wrong_guesses_on_two_authn_replicas_check_only_login_max_failures() {
    const MAX_FAILURES: usize = 5;
    let platform =
        Platform::builder().env(Service::Authn, "LOGIN_MAX_FAILURES", MAX_FAILURES.to_string()).start().await;
    let api = platform.api();
    api.register("target", "correct horse battery").await.expect_status(201);

    let port = free_port();
    let log = std::fs::File::create(platform.dir().join("authn-replica.log")).unwrap();
    let _replica = GroupCommand::new(binary("authn-service"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(platform.env(Service::Authn))
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .current_dir(platform.dir())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let replicas = [api.url(Service::Authn, ""), format!("http://127.0.0.1:{port}")];
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let mut ready = false;
    for _ in 0..100 {
        let answer = http.get(format!("{}/readyz", replicas[1])).send().await;
        if answer.is_ok_and(|answer| answer.status() == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the second authn replica did not get ready");

    let login = |replica: &str, password: &str| {
        http.post(format!("{replica}/login")).json(&json!({"username": "target", "password": password})).send()
    };
    let replies = join_all((0..40).map(|n| login(&replicas[n % 2], "a wrong guess"))).await;
    let statuses: Vec<u16> = replies.into_iter().map(|reply| reply.unwrap().status().as_u16()).collect();
    let checked = statuses.iter().filter(|status| **status == 401).count();
    let refused = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!((checked, refused), (MAX_FAILURES, 40 - MAX_FAILURES), "{statuses:?}");
    for replica in &replicas {
        let answer = login(replica, "correct horse battery").await.unwrap();
        assert_eq!(answer.status(), 429, "locked on {replica}");
        assert!(answer.headers().contains_key("retry-after"));
    }
}
