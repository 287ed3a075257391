//! `/token/refresh`: rotation, reuse detection, the grace window, and concurrency, end to end through the
//! session service on Redis.

use crate::helpers::{Options, assert_problem, spawn_platform, spawn_with};
use auth_proto::public::TokenResponse;
use std::collections::HashSet;

#[tokio::test]
async fn minted_tokens_open_a_session_the_session_service_accepts() {
    let platform = spawn_platform().await;
    let tokens = platform.mint("u1").await;
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, 1800);
    assert_eq!(tokens.refresh_expires_in, 3600);
    assert!(tokens.refresh_token.len() >= 43, "at least 256 bits");
    let status = platform.status(&tokens.access_token).await;
    assert_eq!(status.status(), 200);
    let body: serde_json::Value = status.json().await.unwrap();
    assert_eq!(body["session_id"], tokens.session_id);
}

#[tokio::test]
async fn refresh_rotates_and_keeps_the_session() {
    let platform = spawn_platform().await;
    let tokens = platform.mint("u2").await;
    let response = platform.refresh(&tokens.refresh_token).await;
    assert_eq!(response.status(), 200);
    let refreshed: TokenResponse = response.json().await.unwrap();
    assert_ne!(refreshed.refresh_token, tokens.refresh_token);
    assert_ne!(refreshed.access_token, tokens.access_token);
    assert_eq!(refreshed.session_id, tokens.session_id);
    assert_eq!(platform.status(&refreshed.access_token).await.status(), 200);

    // The form encoding of OAuth2 clients works as well.
    let form = platform
        .client
        .post(format!("{}/token/refresh", platform.token_url))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refreshed.refresh_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
}

#[tokio::test]
async fn reusing_a_rotated_token_ends_the_session() {
    let platform = spawn_platform().await;
    let tokens = platform.mint("u3").await;
    let refreshed: TokenResponse = platform.refresh(&tokens.refresh_token).await.json().await.unwrap();

    let reuse = platform.refresh(&tokens.refresh_token).await;
    assert!(reuse.headers().get("www-authenticate").is_some());
    let problem = assert_problem(reuse, 401).await;
    assert_eq!(problem["type"], "urn:auth-platform:problem:refresh-token-reused");
    assert_eq!(platform.status(&refreshed.access_token).await.status(), 401, "the session is dead");
    assert_problem(platform.refresh(&refreshed.refresh_token).await, 401).await;
}

#[tokio::test]
async fn unknown_malformed_and_wrongly_granted_refreshes_are_refused() {
    let platform = spawn_platform().await;
    assert_problem(platform.refresh("x".repeat(43).as_str()).await, 401).await;
    assert_problem(platform.refresh("not-a-token").await, 401).await;
    let wrong_grant = platform
        .client
        .post(format!("{}/token/refresh", platform.token_url))
        .form(&[("grant_type", "password"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_problem(wrong_grant, 400).await;
    let missing = platform
        .client
        .post(format!("{}/token/refresh", platform.token_url))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(missing, 400).await;
}

async fn concurrent_refreshes(grace_seconds: u64) -> Vec<(u16, Option<TokenResponse>)> {
    let platform = spawn_with(Options { grace_seconds, ..Options::default() }).await;
    let tokens = platform.mint("racer").await;
    let requests = (0..20).map(|_| {
        let client = platform.client.clone();
        let url = format!("{}/token/refresh", platform.token_url);
        let refresh_token = tokens.refresh_token.clone();
        tokio::spawn(async move {
            let response =
                client.post(url).json(&serde_json::json!({ "refresh_token": refresh_token })).send().await.unwrap();
            let status = response.status().as_u16();
            (status, if status == 200 { response.json::<TokenResponse>().await.ok() } else { None })
        })
    });
    let mut results = Vec::new();
    for request in requests.collect::<Vec<_>>() {
        results.push(request.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_mode_lets_exactly_one_of_20_concurrent_refreshes_win() {
    let results = concurrent_refreshes(0).await;
    let statuses: Vec<u16> = results.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 401), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grace_mode_gives_all_20_concurrent_refreshes_the_same_successor() {
    let results = concurrent_refreshes(10).await;
    let statuses: Vec<u16> = results.iter().map(|(status, _)| *status).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let successors: HashSet<String> =
        results.into_iter().filter_map(|(_, body)| body.map(|tokens| tokens.refresh_token)).collect();
    assert_eq!(successors.len(), 1);
}

#[tokio::test]
async fn grace_is_honoured_only_while_the_successor_is_current() {
    let platform = spawn_with(Options { grace_seconds: 10, ..Options::default() }).await;
    let tokens = platform.mint("tabs").await;
    let first: TokenResponse = platform.refresh(&tokens.refresh_token).await.json().await.unwrap();
    let again: TokenResponse = platform.refresh(&tokens.refresh_token).await.json().await.unwrap();
    assert_eq!(first.refresh_token, again.refresh_token, "a retried refresh gets the same successor");
    let next: TokenResponse = platform.refresh(&first.refresh_token).await.json().await.unwrap();
    assert_ne!(next.refresh_token, first.refresh_token);
    // The oldest token's successor has rotated: presenting it now is theft.
    assert_problem(platform.refresh(&tokens.refresh_token).await, 401).await;
    assert_eq!(platform.status(&next.access_token).await.status(), 401);
}
