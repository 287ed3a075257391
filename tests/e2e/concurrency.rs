//! Twenty simultaneous refreshes of one refresh token.

use e2e_tests::api::Reply;
use e2e_tests::checks::token_response;
use e2e_tests::platform::{Platform, Service};
use futures_util::future::join_all;

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
