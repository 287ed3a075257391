//! `MAX_SESSIONS_PER_USER` (session) and `SESSION_MAX_LIFETIME_MINUTES` (token), through the real
//! binaries: the cap ends the least recently used session at once for every route, and the lifetime the
//! token service sets is the one the session service enforces and `refresh_expires_in` reports.

use e2e_tests::checks::token_response;
use e2e_tests::platform::{Platform, Service};
use std::time::Duration;

#[tokio::test]
async fn a_fourth_login_ends_the_first_session_with_a_cap_of_three() {
    let platform = Platform::builder().env(Service::Session, "MAX_SESSIONS_PER_USER", "3").start().await;
    let api = platform.api();
    let account = api.new_account().await;
    let mut logins = Vec::new();
    for _ in 0..4 {
        logins.push(api.login_ok(&account).await);
    }
    let first = &logins[0];
    api.session_verify(&first.access_token).await.expect_status(401);
    api.session_status(&first.access_token).await.expect_status(401);
    api.refresh(&first.refresh_token).await.expect_status(401);
    for later in &logins[1..] {
        api.session_verify(&later.access_token).await.expect_status(200);
    }
    let listed = api.session_list(&logins[3].access_token).await;
    listed.expect_status(200);
    let ids: Vec<String> = listed.json()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|session| session["session_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3, "{listed}");
    assert!(!ids.contains(&first.session_id), "{listed}");
}

#[tokio::test]
async fn the_session_used_most_recently_survives_the_cap() {
    let platform = Platform::builder().env(Service::Session, "MAX_SESSIONS_PER_USER", "2").start().await;
    let api = platform.api();
    let account = api.new_account().await;
    let older = api.login_ok(&account).await;
    let newer = api.login_ok(&account).await;
    // The gateway records activity at most once a second: let a second pass, then use the older session.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    api.session_verify(&older.access_token).await.expect_status(200);
    let third = api.login_ok(&account).await;
    api.session_verify(&newer.access_token).await.expect_status(401);
    api.session_verify(&older.access_token).await.expect_status(200);
    api.session_verify(&third.access_token).await.expect_status(200);

    // A refresh is a use too.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let refreshed = api.refresh(&older.refresh_token).await;
    refreshed.expect_status(200);
    api.login_ok(&account).await;
    api.session_verify(&third.access_token).await.expect_status(401);
    api.session_verify(&token_response(&refreshed).access_token).await.expect_status(200);
}

#[tokio::test]
async fn no_refresh_extends_a_session_past_its_maximum_lifetime() {
    let platform = Platform::builder().env(Service::Token, "SESSION_MAX_LIFETIME_MINUTES", "1").start().await;
    let api = platform.api();
    let (_, tokens) = api.signed_in().await;
    assert!(tokens.refresh_expires_in <= 60, "capped at the lifetime, not 14 days: {}", tokens.refresh_expires_in);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let refreshed = api.refresh(&tokens.refresh_token).await;
    refreshed.expect_status(200);
    let refreshed = token_response(&refreshed);
    assert!(
        refreshed.refresh_expires_in <= 58,
        "a refresh does not slide past the lifetime: {}",
        refreshed.refresh_expires_in
    );
    let status = api.session_status(&refreshed.access_token).await;
    status.expect_status(200);
    let body = status.json();
    let created = time::OffsetDateTime::parse(
        body["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires - created).whole_seconds(), 60, "{status}");
}
