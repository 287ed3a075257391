//! The whole life of a session, as a client sees it.

use e2e_tests::checks::{assert_invalid_token, assert_unauthorized, rfc3339, token_response};
use e2e_tests::platform::Platform;
use serde_json::json;

#[tokio::test]
async fn register_login_status_refresh_revoke_logout() {
    let platform = Platform::start().await;
    let api = platform.api();

    let account = api.new_account().await;
    let first = api.login_ok(&account).await;

    let status = api.session_status(&first.access_token).await;
    status.expect_status(200);
    let body = status.json();
    assert_eq!(body["active"], json!(true), "{status}");
    assert_eq!(body["session_id"].as_str(), Some(first.session_id.as_str()), "{status}");
    assert_eq!(body["user_id"].as_str(), Some(account.user_id.as_str()), "{status}");
    let created_at = rfc3339(&body["created_at"], "created_at");
    let expires_at = rfc3339(&body["expires_at"], "expires_at");
    rfc3339(&body["last_seen_at"], "last_seen_at");
    assert!(expires_at > created_at, "a session expires after it was created: {status}");

    let refreshed = api.refresh(&first.refresh_token).await;
    refreshed.expect_status(200);
    let second = token_response(&refreshed);
    assert_ne!(second.refresh_token, first.refresh_token, "every refresh rotates the refresh token");
    assert_eq!(second.session_id, first.session_id, "a refresh keeps the session");

    // The old access token stays valid until it is revoked or expires.
    api.session_status(&first.access_token).await.expect_status(200);
    api.session_status(&second.access_token).await.expect_status(200);

    api.revoke(&first.access_token).await.expect_status(200);
    assert_invalid_token(&api.session_status(&first.access_token).await);
    // Revoking one access token does not end the session.
    api.session_status(&second.access_token).await.expect_status(200);

    let logout = api.session_invalidate(&second.access_token, None).await;
    logout.expect_status(200);
    assert_eq!(logout.json(), json!({"invalidated": 1}), "{logout}");
    assert_invalid_token(&api.session_status(&second.access_token).await);
    assert_unauthorized(&api.refresh(&second.refresh_token).await);
}
