//! The platform behind a real Caddy running the repository's `deploy/gateway/Caddyfile`: the same checks
//! as the nginx gateway's (shared in `gateway_scenarios.rs`): the public flow routed by prefix, a
//! protected upstream behind `forward_auth` to `/session/verify` that gets the verified identity, a
//! revoked token refused at once, and the routes the gateway must never forward; plus what differs in
//! Caddy (a client's own X-Forwarded-For, the `server` header, case-sensitive paths, its JSON log).

use crate::gateway_scenarios::{
    assert_no_sso_secret_logged, internal_and_operational_paths_are_never_routed,
    oversized_bodies_and_dead_services_are_problems, send_an_sso_callback, the_protected_flow,
};
use e2e_tests::caddy::CaddyGateway;
use e2e_tests::forward_auth::log_when;
use e2e_tests::platform::{Platform, Service};

#[tokio::test]
async fn caddy_routes_the_public_flow_and_forward_auth_passes_the_verified_identity() {
    let platform = Platform::builder().env(Service::Authn, "TRUSTED_PROXIES", "127.0.0.1/32").start().await;
    let gateway = CaddyGateway::start(&platform).await;
    // Caddy replaces a client's own X-Forwarded-For (the shared check wants exactly 127.0.0.1), and
    // does not announce itself.
    the_protected_flow(&gateway, &[("x-forwarded-for", "203.0.113.7")], |reply| {
        assert_eq!(reply.header("server"), None, "Caddy does not announce itself: {reply}");
    })
    .await;
}

#[tokio::test]
async fn caddy_never_routes_internal_routes_or_operational_endpoints() {
    let platform = Platform::start().await;
    let gateway = CaddyGateway::start(&platform).await;
    // Caddy's own: `/api` without the slash is not the protected prefix (nginx's prefix location answers
    // it differently), and its path matchers are case-sensitive, so an upper-case `/INTERNAL/` is no way in.
    internal_and_operational_paths_are_never_routed(&gateway, &platform, &["/api"], &["/INTERNAL/sessions"]).await;
}

#[tokio::test]
async fn caddy_answers_oversized_bodies_and_dead_services_with_problems() {
    let mut platform = Platform::start().await;
    let gateway = CaddyGateway::start(&platform).await;
    oversized_bodies_and_dead_services_are_problems(&gateway, &mut platform).await;
}

/// Caddy's access log shows an SSO callback's path but never its code or state, nor a referrer's query.
#[tokio::test]
async fn caddy_logs_no_query_string_so_no_sso_code_or_state() {
    let platform = Platform::start().await;
    let gateway = CaddyGateway::start(&platform).await;
    send_an_sso_callback(&gateway).await;

    let log = log_when(&gateway, |log| log.contains("\"/oauth/callback\"")).await;
    assert!(log.contains("\"uri\":\"/oauth/callback\""), "the callback is logged by path:\n{log}");
    assert!(log.contains("https://idp.example.test/consent"), "the referrer is logged without its query:\n{log}");
    assert_no_sso_secret_logged(&log);
}
