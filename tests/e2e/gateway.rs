//! The platform behind a real nginx running the repository's `deploy/gateway/nginx.conf`: the public
//! flow through the gateway, a protected upstream behind `auth_request` to `/session/verify`, and the
//! routes the gateway must never forward (the checks shared with Caddy are in `gateway_scenarios.rs`),
//! and nginx's own logging.

use crate::gateway_scenarios::{
    assert_no_sso_secret_logged, internal_and_operational_paths_are_never_routed,
    oversized_bodies_and_dead_services_are_problems, send_an_sso_callback, the_protected_flow,
};
use e2e_tests::checks::assert_unavailable;
use e2e_tests::forward_auth::log_when;
use e2e_tests::gateway::Gateway;
use e2e_tests::platform::{Platform, Service};

#[tokio::test]
async fn register_login_refresh_status_protected_upstream_and_revoke_through_the_gateway() {
    let platform = Platform::builder().env(Service::Authn, "TRUSTED_PROXIES", "127.0.0.1/32").start().await;
    let gateway = Gateway::start(&platform).await;
    // nginx appends the client's address to an X-Forwarded-For the client sent (the upstreams trust
    // only the last hop), so the shared check of the exact header sends none.
    the_protected_flow(&gateway, &[], |_| {}).await;
}

#[tokio::test]
async fn internal_routes_and_operational_endpoints_are_never_routed() {
    let platform = Platform::start().await;
    let gateway = Gateway::start(&platform).await;
    internal_and_operational_paths_are_never_routed(&gateway, &platform, &[], &[]).await;
}

#[tokio::test]
async fn oversized_bodies_and_services_down_are_problems_at_the_gateway() {
    let mut platform = Platform::start().await;
    let gateway = Gateway::start(&platform).await;
    oversized_bodies_and_dead_services_are_problems(&gateway, &mut platform).await;
}

/// The gateway's access log, and its error log when authn is down, show an SSO callback's path but
/// never its code or state (the query string is not logged at all).
#[tokio::test]
async fn the_gateway_logs_no_query_string_so_no_sso_code_or_state() {
    let mut platform = Platform::start().await;
    let gateway = Gateway::start(&platform).await;
    send_an_sso_callback(&gateway).await;
    platform.stop_service(Service::Authn);
    let down = "/oauth/callback?code=code-seen-by-the-gateway-1&state=state-seen-by-the-gateway-1";
    assert_unavailable(&gateway.api().get(Service::Authn, down).await);

    let log = log_when(&gateway, |log| log.matches("GET /oauth/callback HTTP/1.1").count() >= 2).await;
    assert_eq!(log.matches("GET /oauth/callback HTTP/1.1").count(), 2, "both callbacks are logged by path:\n{log}");
    assert!(log.contains("\"https://idp.example.test/consent\""), "the referrer is logged without its query:\n{log}");
    assert_no_sso_secret_logged(&log);
}
