//! A dependency that is down gives 503 with Retry-After, never a hang or a crash, and the platform
//! recovers by itself when it comes back.

use std::future::Future;
use std::time::{Duration, Instant};

use e2e_tests::api::{Api, Reply};
use e2e_tests::checks::{assert_invalid_token, assert_unavailable};
use e2e_tests::jwt;
use e2e_tests::platform::{Platform, Service, generate_private_key_pem};
use serde_json::json;

/// How fast a refusal must come once a dependency is gone.
const PROMPT: Duration = Duration::from_secs(5);

async fn timed(what: &str, request: impl Future<Output = Reply>) -> Reply {
    let started = Instant::now();
    let reply = request.await;
    let took = started.elapsed();
    assert!(took < PROMPT, "{what} took {took:?} (more than {PROMPT:?}): {reply}");
    reply
}

/// Retries `request` for up to `limit` until it answers `status`; every answer before must be a 503.
async fn eventually<F, Fut>(limit: Duration, status: u16, mut request: F) -> Reply
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Reply>,
{
    let deadline = Instant::now() + limit;
    loop {
        let reply = request().await;
        if reply.status == status {
            return reply;
        }
        assert_eq!(reply.status, 503, "while recovering, only 503 is acceptable before {status}: {reply}");
        assert!(Instant::now() < deadline, "still no {status} after {limit:?}: {reply}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `/readyz` of `service` stays 200 and reports the peer `peer` down: one service's outage never takes
/// another out of rotation.
async fn assert_ready_reporting_peer_down(api: &Api, service: Service, peer: &str) {
    let reply = timed(&format!("{service:?} /readyz"), api.get(service, "/readyz")).await;
    reply.expect_status(200);
    let peers = reply.json()["peers"].clone();
    let reported = peers.as_array().into_iter().flatten().find(|check| check["name"] == peer);
    assert_eq!(
        reported.map(|check| check["ok"].clone()),
        Some(json!(false)),
        "{service:?} must report {peer}: {reply}"
    );
}

async fn assert_readyz_names(api: &Api, service: Service, dependency: &str) {
    let reply = timed(&format!("{service:?} /readyz"), api.get(service, "/readyz")).await;
    reply.expect_status(503);
    assert!(reply.body.to_lowercase().contains(dependency), "/readyz of {service:?} must name {dependency}: {reply}");
}

#[tokio::test]
async fn redis_down_gives_503_and_the_platform_recovers_without_a_restart() {
    let mut platform = Platform::start().await;
    let api = platform.api().clone();
    let (account, tokens) = api.signed_in().await;
    api.session_status(&tokens.access_token).await.expect_status(200);

    platform.stop_redis();

    let status = timed("session status", api.session_status(&tokens.access_token)).await;
    assert_unavailable(&status);
    let verify = timed("session verify", api.session_verify(&tokens.access_token)).await;
    assert_unavailable(&verify);
    let login = timed("login", api.login(&account.username, &account.password)).await;
    assert_unavailable(&login);
    let register = timed("register", api.register("newcomer", "good password")).await;
    assert_unavailable(&register);
    let refresh = timed("refresh", api.refresh(&tokens.refresh_token)).await;
    assert_unavailable(&refresh);
    assert_readyz_names(&api, Service::Session, "redis").await;
    assert_readyz_names(&api, Service::Authn, "redis").await;
    // Still 503 a second time (no crash, no hang after the first failure).
    assert_unavailable(&timed("session status again", api.session_status(&tokens.access_token)).await);

    platform.start_redis();

    // Redis came back empty: register and log in again, no service restarted.
    eventually(Duration::from_secs(10), 201, || api.register(&account.username, &account.password)).await;
    let login = eventually(Duration::from_secs(10), 200, || api.login(&account.username, &account.password)).await;
    let fresh = e2e_tests::checks::token_response(&login);
    api.session_status(&fresh.access_token).await.expect_status(200);
    api.session_verify(&fresh.access_token).await.expect_status(200);
    api.refresh(&fresh.refresh_token).await.expect_status(200);
    for service in [Service::Session, Service::Authn] {
        api.get(service, "/readyz").await.expect_status(200);
    }
    // The old session was in the lost data: refused, not an error.
    assert_invalid_token(&api.session_status(&tokens.access_token).await);
}

#[tokio::test]
async fn token_service_down_fails_login_with_503_but_sessions_keep_verifying() {
    let mut platform = Platform::start().await;
    let api = platform.api().clone();
    let (account, tokens) = api.signed_in().await;
    // The session service has fetched the JWKS once.
    api.session_status(&tokens.access_token).await.expect_status(200);

    platform.stop_service(Service::Token);

    let login = timed("login", api.login(&account.username, &account.password)).await;
    assert_unavailable(&login);
    let status = timed("session status", api.session_status(&tokens.access_token)).await;
    status.expect_status(200);
    timed("session verify", api.session_verify(&tokens.access_token)).await.expect_status(200);
    assert_ready_reporting_peer_down(&api, Service::Authn, "token service").await;

    platform.start_service(Service::Token).await;

    let login = eventually(Duration::from_secs(10), 200, || api.login(&account.username, &account.password)).await;
    let fresh = e2e_tests::checks::token_response(&login);
    api.session_status(&fresh.access_token).await.expect_status(200);
    api.refresh(&tokens.refresh_token).await.expect_status(200);
}

#[tokio::test]
async fn session_service_down_fails_login_and_refresh_with_503() {
    let mut platform = Platform::start().await;
    let api = platform.api().clone();
    let (account, tokens) = api.signed_in().await;

    platform.stop_service(Service::Session);

    assert_unavailable(&timed("login", api.login(&account.username, &account.password)).await);
    assert_unavailable(&timed("refresh", api.refresh(&tokens.refresh_token)).await);
    assert_ready_reporting_peer_down(&api, Service::Token, "session service").await;

    platform.start_service(Service::Session).await;

    eventually(Duration::from_secs(10), 200, || api.login(&account.username, &account.password)).await;
    api.session_status(&tokens.access_token).await.expect_status(200);
    api.refresh(&tokens.refresh_token).await.expect_status(200);
}

#[tokio::test]
async fn session_needs_a_key_set_once_then_stays_ready_through_a_token_outage() {
    let mut platform = Platform::start().await;
    let api = platform.api().clone();
    let (account, tokens) = api.signed_in().await;

    // No start-up order: session started while token is down is not ready (no key set yet)...
    platform.stop_service(Service::Token);
    // While token is down its port stays bound here (not listening: connections are refused), so that
    // no other process on the machine takes it before token starts there again.
    let token_port = std::net::SocketAddr::from(([127, 0, 0, 1], platform.port(Service::Token)));
    let hold = tokio::net::TcpSocket::new_v4().unwrap();
    // As the service's own listener does: the killed process's connections may linger in TIME_WAIT.
    hold.set_reuseaddr(true).unwrap();
    hold.bind(token_port).unwrap();
    platform.stop_service(Service::Session);
    platform.start_service(Service::Session).await;
    assert_readyz_names(&api, Service::Session, "jwks").await;
    // ...and becomes ready by itself once token serves (the key set is fetched in the background).
    drop(hold);
    platform.start_service(Service::Token).await;
    eventually(Duration::from_secs(10), 200, || api.get(Service::Session, "/readyz")).await;

    // Once it has the key set, token's outage leaves it ready and verifying.
    platform.stop_service(Service::Token);
    api.session_status(&tokens.access_token).await.expect_status(200);
    // A token with an unknown kid makes session re-fetch the JWKS now (rather than at its next periodic
    // refresh), which fails: the report says so, readiness does not change.
    let claims = jwt::valid_claims(&account.user_id, &tokens.session_id, &account.username);
    let unknown_kid = jwt::sign_eddsa(&generate_private_key_pem(), "a-kid-nobody-published", &claims);
    assert_invalid_token(&api.session_status(&unknown_kid).await);
    assert_ready_reporting_peer_down(&api, Service::Session, "token service (jwks)").await;
    api.session_verify(&tokens.access_token).await.expect_status(200);
}
