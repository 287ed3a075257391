//! A revoked access token is refused everywhere, while the user's other sessions go on.

use e2e_tests::checks::assert_invalid_token;
use e2e_tests::platform::Platform;
use serde_json::json;

#[tokio::test]
async fn a_revoked_access_token_is_refused_while_another_session_keeps_working() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, revoked) = api.signed_in().await;
    let other = api.login_ok(&account).await;
    api.session_status(&revoked.access_token).await.expect_status(200);

    api.revoke(&revoked.access_token).await.expect_status(200);

    assert_invalid_token(&api.session_status(&revoked.access_token).await);
    assert_invalid_token(&api.session_verify(&revoked.access_token).await);
    assert_invalid_token(&api.session_list(&revoked.access_token).await);
    assert_invalid_token(&api.session_invalidate(&revoked.access_token, Some(&json!({"all": true}))).await);
    let introspection = api.introspect(&revoked.access_token).await;
    introspection.expect_status(200);
    assert_eq!(introspection.json()["active"], json!(false), "{introspection}");

    api.session_status(&other.access_token).await.expect_status(200);
    api.session_verify(&other.access_token).await.expect_status(200);
    let list = api.session_list(&other.access_token).await;
    list.expect_status(200);
    // Revoking an access token did not end its session: both sessions are still listed.
    assert_eq!(list.json()["sessions"].as_array().map(Vec::len), Some(2), "{list}");

    // Revoking twice is fine.
    api.revoke(&revoked.access_token).await.expect_status(200);
}
