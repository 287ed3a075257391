//! `authn-service users create|disable` against the configured store.

use std::process::Stdio;
use std::time::Duration;

use e2e_tests::checks::{assert_invalid_token, assert_unauthorized, token_response};
use e2e_tests::platform::{Platform, Service};
use tokio::io::AsyncWriteExt;

async fn admin(platform: &Platform, args: &[&str], stdin: &str) -> (bool, String) {
    let mut command = tokio::process::Command::from(platform.command(Service::Authn));
    command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("`authn-service {}` did not finish within 20 s", args.join(" ")))
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[tokio::test]
async fn users_create_reads_the_password_from_stdin_and_disable_ends_the_sessions() {
    let platform = Platform::builder().env(Service::Authn, "ALLOW_REGISTRATION", "false").start().await;
    let api = platform.api();

    let (ok, output) = admin(&platform, &["users", "create", "olivia"], "olivia's password\n").await;
    assert!(ok, "`users create olivia` failed: {output}");
    let login = api.login("olivia", "olivia's password").await;
    login.expect_status(200);
    let tokens = token_response(&login);
    api.session_status(&tokens.access_token).await.expect_status(200);

    let (ok, output) = admin(&platform, &["users", "disable", "olivia"], "").await;
    assert!(ok, "`users disable olivia` failed: {output}");
    assert_unauthorized(&api.login("olivia", "olivia's password").await);
    assert_invalid_token(&api.session_status(&tokens.access_token).await);
    assert_unauthorized(&api.refresh(&tokens.refresh_token).await);
}
