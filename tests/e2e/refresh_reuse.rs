//! Presenting an already-rotated refresh token is theft: the session ends. With
//! `REFRESH_REUSE_GRACE_SECONDS` the just-rotated token gets the same successor for a short while.

use std::time::Duration;

use e2e_tests::checks::{assert_invalid_token, assert_unauthorized, token_response};
use e2e_tests::platform::{Platform, Service};

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_session() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, first) = api.signed_in().await;
    let bystander = api.login_ok(&account).await;

    let rotated = api.refresh(&first.refresh_token).await;
    rotated.expect_status(200);
    let second = token_response(&rotated);
    api.session_status(&second.access_token).await.expect_status(200);

    // The thief (or the victim) presents the old token again.
    let reuse = api.refresh(&first.refresh_token).await;
    assert_unauthorized(&reuse);
    // The platform says why, through both services: the session service detects the reuse, the token
    // service passes its problem type on.
    assert_eq!(reuse.json()["type"], "urn:auth-platform:problem:refresh-token-reused", "{reuse}");

    // The session is dead: its newest access token and its newest refresh token are refused.
    assert_invalid_token(&api.session_status(&second.access_token).await);
    assert_invalid_token(&api.session_status(&first.access_token).await);
    assert_unauthorized(&api.refresh(&second.refresh_token).await);
    // Only that session: the user's other session lives on.
    api.session_status(&bystander.access_token).await.expect_status(200);
    api.refresh(&bystander.refresh_token).await.expect_status(200);
}

#[tokio::test]
async fn within_the_grace_window_reuse_returns_the_same_successor() {
    let platform = Platform::builder().env(Service::Token, "REFRESH_REUSE_GRACE_SECONDS", "10").start().await;
    let api = platform.api();
    let (_, first) = api.signed_in().await;

    let once = api.refresh(&first.refresh_token).await;
    once.expect_status(200);
    let once = token_response(&once);
    let again = api.refresh(&first.refresh_token).await;
    again.expect_status(200);
    let again = token_response(&again);
    assert_eq!(again.refresh_token, once.refresh_token, "the same successor refresh token within the grace window");
    assert_eq!(again.session_id, first.session_id);

    api.session_status(&once.access_token).await.expect_status(200);
    api.session_status(&again.access_token).await.expect_status(200);
    let next = api.refresh(&once.refresh_token).await;
    next.expect_status(200);
    assert_ne!(token_response(&next).refresh_token, once.refresh_token);
}

#[tokio::test]
async fn after_the_grace_window_reuse_is_theft_again() {
    let platform = Platform::builder().env(Service::Token, "REFRESH_REUSE_GRACE_SECONDS", "2").start().await;
    let api = platform.api();
    let (_, first) = api.signed_in().await;

    let rotated = api.refresh(&first.refresh_token).await;
    rotated.expect_status(200);
    let second = token_response(&rotated);
    tokio::time::sleep(Duration::from_millis(3500)).await;

    assert_unauthorized(&api.refresh(&first.refresh_token).await);
    assert_invalid_token(&api.session_status(&second.access_token).await);
    assert_unauthorized(&api.refresh(&second.refresh_token).await);
}

#[tokio::test]
async fn within_the_grace_window_reuse_is_theft_once_the_successor_has_rotated() {
    let platform = Platform::builder().env(Service::Token, "REFRESH_REUSE_GRACE_SECONDS", "10").start().await;
    let api = platform.api();
    let (_, first) = api.signed_in().await;

    let once = api.refresh(&first.refresh_token).await;
    once.expect_status(200);
    let once = token_response(&once);
    let next = api.refresh(&once.refresh_token).await;
    next.expect_status(200);
    let next = token_response(&next);

    // Still within the window, but the successor `first` would get is no longer current.
    assert_unauthorized(&api.refresh(&first.refresh_token).await);
    assert_invalid_token(&api.session_status(&next.access_token).await);
    assert_unauthorized(&api.refresh(&next.refresh_token).await);
}
