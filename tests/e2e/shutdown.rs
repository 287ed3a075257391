//! Graceful shutdown on SIGTERM, as Kubernetes sends it: `/readyz` turns 503 first while everything
//! else is still served, in-flight requests finish, and the process exits 0.

use std::time::{Duration, Instant};

use e2e_tests::checks::assert_problem;
use e2e_tests::platform::{Platform, Service};

/// A deadline for the process to be gone, not a timing bound.
const EXIT_WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn sigterm_turns_readyz_503_first_while_requests_are_still_served() {
    let mut platform = Platform::builder().env(Service::Session, "SHUTDOWN_DRAIN_SECONDS", "4").start().await;
    let (_account, tokens) = platform.api().signed_in().await;
    platform.api().get(Service::Session, "/readyz").await.expect_status(200);

    platform.terminate(Service::Session);
    let api = platform.api().clone();
    let deadline = Instant::now() + Duration::from_secs(3);
    let not_ready = loop {
        let reply = api.get(Service::Session, "/readyz").await;
        if reply.status == 503 || Instant::now() > deadline {
            break reply;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_problem(&not_ready, 503);
    assert!(not_ready.body.contains("shutting down"), "{not_ready}");
    assert_eq!(not_ready.header("x-content-type-options"), Some("nosniff"), "{not_ready}");
    // Still draining: live traffic is answered.
    api.get(Service::Session, "/healthz").await.expect_status(200);
    api.session_status(&tokens.access_token).await.expect_status(200);

    let status = platform.wait_exit(Service::Session, EXIT_WAIT).await.expect("session-service exits after the drain");
    assert!(status.success(), "a graceful stop exits 0: {status}");
}

#[tokio::test]
async fn a_request_in_flight_at_sigterm_still_gets_its_answer() {
    // Expensive hashing keeps the login on the server for a while; no drain, so the stop begins at once.
    let mut platform = Platform::builder()
        .env(Service::Authn, "SHUTDOWN_DRAIN_SECONDS", "0")
        .env(Service::Authn, "ARGON2_MEMORY_KIB", "65536")
        .env(Service::Authn, "ARGON2_ITERATIONS", "12")
        .start()
        .await;
    let api = platform.api().clone();
    let account = api.new_account().await;

    let login = tokio::spawn({
        let api = api.clone();
        async move {
            let reply = api.login(&account.username, &account.password).await;
            (reply, Instant::now())
        }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let signalled = Instant::now();
    platform.terminate(Service::Authn);

    let (reply, answered) = login.await.expect("the login task");
    reply.expect_status(200);
    assert!(
        answered > signalled,
        "precondition: the login must still be running when SIGTERM is sent (raise ARGON2_ITERATIONS)"
    );
    let status = platform.wait_exit(Service::Authn, EXIT_WAIT).await.expect("authn-service exits");
    assert!(status.success(), "a graceful stop exits 0: {status}");
}
