//! `authn-service users create|disable` against the configured store.

use e2e_tests::checks::{assert_invalid_token, assert_unauthorized, token_response};
use e2e_tests::platform::{Platform, Service};

#[tokio::test]
async fn users_create_reads_the_password_from_stdin_and_disable_ends_the_sessions() {
    let platform = Platform::builder().env(Service::Authn, "ALLOW_REGISTRATION", "false").start().await;
    let api = platform.api();

    let (ok, output) = platform.admin(Service::Authn, &["users", "create", "olivia"], "olivia's password\n").await;
    assert!(ok, "`users create olivia` failed: {output}");
    let login = api.login("olivia", "olivia's password").await;
    login.expect_status(200);
    let tokens = token_response(&login);
    api.session_status(&tokens.access_token).await.expect_status(200);

    let (ok, output) = platform.admin(Service::Authn, &["users", "disable", "olivia"], "").await;
    assert!(ok, "`users disable olivia` failed: {output}");
    assert_unauthorized(&api.login("olivia", "olivia's password").await);
    assert_invalid_token(&api.session_status(&tokens.access_token).await);
    assert_unauthorized(&api.refresh(&tokens.refresh_token).await);
}
