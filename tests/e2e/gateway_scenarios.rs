//! The checks every forward-auth gateway the repository ships must pass, written once against
//! [`ForwardAuthGateway`] and run by `gateway.rs` (nginx) and `caddy_gateway.rs` (Caddy), which keep
//! only what is specific to their gateway.

use e2e_tests::api::Reply;
use e2e_tests::checks::{
    assert_invalid_token, assert_problem, assert_unauthorized, assert_unavailable, token_response,
};
use e2e_tests::forward_auth::{ForwardAuthGateway, protected_get, raw_get_through};
use e2e_tests::gateway::Echoed;
use e2e_tests::platform::{Platform, Service};
use reqwest::Method;
use serde_json::json;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// The public flow through `gateway` (every public prefix reaches its service), then the protected
/// upstream: it gets the verified identity, never the client's own claim of one, with the trace context
/// and the client address; without a token or with a bad one the verifier's 401 comes back once; a
/// revoked token and a logged-out session are refused at once. `client_headers` go with the identity
/// request besides the forged identity, and `check_identity_reply` adds the gateway's own checks of
/// that answer. The platform must trust `127.0.0.1` as a proxy (authn's `TRUSTED_PROXIES`).
pub async fn the_protected_flow(
    gateway: &impl ForwardAuthGateway,
    client_headers: &[(&str, &str)],
    check_identity_reply: impl FnOnce(&Reply),
) {
    let api = gateway.api();
    let name = gateway.name();

    let account = api.new_account().await;
    let first = api.login_ok(&account).await;
    api.session_status(&first.access_token).await.expect_status(200);
    let refreshed = api.refresh(&first.refresh_token).await;
    refreshed.expect_status(200);
    let second = token_response(&refreshed);
    assert_eq!(second.session_id, first.session_id, "a refresh through {name} keeps the session");
    let status = api.session_status(&second.access_token).await;
    status.expect_status(200);
    assert_eq!(status.json()["user_id"].as_str(), Some(account.user_id.as_str()), "{status}");
    api.jwks().await.expect_status(200);
    api.session_verify(&second.access_token).await.expect_status(200);
    // A callback without code and state: authn's own 400 (the gateway answers no 400 of its own).
    assert_problem(&api.get(Service::Authn, "/oauth/callback").await, 400);

    let bearer = format!("Bearer {}", second.access_token);
    let mut headers = vec![
        ("authorization", bearer.as_str()),
        ("x-user-id", "someone-else"),
        ("x-username", "admin"),
        ("x-session-id", "forged"),
        ("traceparent", TRACEPARENT),
        ("tracestate", "vendor=value"),
    ];
    headers.extend_from_slice(client_headers);
    let reply = protected_get(gateway, &headers).await;
    reply.expect_status(200);
    let echoed = Echoed(reply.json());
    assert_eq!(echoed.header("x-user-id"), Some(account.user_id.as_str()), "{reply}");
    assert_eq!(echoed.header("x-session-id"), Some(second.session_id.as_str()), "{reply}");
    assert_eq!(echoed.header("x-username"), Some(account.username.as_str()), "{reply}");
    assert_eq!(echoed.header("traceparent"), Some(TRACEPARENT), "{reply}");
    assert_eq!(echoed.header("tracestate"), Some("vendor=value"), "{reply}");
    assert_eq!(
        echoed.header("x-forwarded-for"),
        Some("127.0.0.1"),
        "the gateway sets X-Forwarded-For to the client's address: {reply}"
    );
    assert_eq!(echoed.header("x-real-ip"), Some("127.0.0.1"), "{reply}");
    assert_eq!(echoed.target(), "/api/orders?page=2", "{reply}");
    check_identity_reply(&reply);

    // No token: 401 with the verifier's challenge, once, as problem+json; the upstream is not reached.
    let anonymous = protected_get(gateway, &[("x-user-id", "someone-else")]).await;
    assert_unauthorized(&anonymous);
    assert_eq!(anonymous.headers.get_all("www-authenticate").iter().count(), 1, "{anonymous:?}");
    let garbage = protected_get(gateway, &[("authorization", "Bearer not-a-jwt")]).await;
    assert_invalid_token(&garbage);
    assert_eq!(garbage.headers.get_all("www-authenticate").iter().count(), 1, "{garbage:?}");

    // Revoked through the gateway: refused at once by the verifier, the session goes on.
    api.revoke(&second.access_token).await.expect_status(200);
    assert_invalid_token(&protected_get(gateway, &[("authorization", bearer.as_str())]).await);
    assert_invalid_token(&api.session_status(&second.access_token).await);

    // Logout through the gateway ends the session for the protected upstream too.
    let third = token_response(api.refresh(&second.refresh_token).await.expect_status(200));
    let third_bearer = format!("Bearer {}", third.access_token);
    protected_get(gateway, &[("authorization", third_bearer.as_str())]).await.expect_status(200);
    let logout = api.session_invalidate(&third.access_token, None).await;
    logout.expect_status(200);
    assert_eq!(logout.json(), json!({"invalidated": 1}), "{logout}");
    assert_invalid_token(&protected_get(gateway, &[("authorization", third_bearer.as_str())]).await);
    assert_unauthorized(&api.refresh(&third.refresh_token).await);
}

/// The internal routes and the operational endpoints are never forwarded, whatever the credentials,
/// nor are raw request targets that normalise to a routed prefix but would reach `/internal/` as sent.
/// `more_paths` and `more_raw_targets` are further paths and raw targets this gateway must refuse.
pub async fn internal_and_operational_paths_are_never_routed(
    gateway: &impl ForwardAuthGateway,
    platform: &Platform,
    more_paths: &[&str],
    more_raw_targets: &[&str],
) {
    let api = gateway.api();
    let internal_bearer = format!("Bearer {}", platform.internal_token());

    // The service itself answers its internal route (a 4xx for an empty body, not 404) ...
    let direct = platform
        .api()
        .send(
            platform
                .api()
                .request(Method::POST, Service::Token, "/internal/tokens")
                .header("authorization", internal_bearer.as_str())
                .json(&json!({})),
        )
        .await;
    assert_ne!(direct.status, 404, "the token service has POST /internal/tokens: {direct}");
    // ... but the gateway never forwards it, whatever the credentials.
    for path in ["/internal/tokens", "/internal/sessions", "/internal/sessions/rotate", "/internal/revocations"] {
        let reply = api
            .send(
                api.request(Method::POST, Service::Token, path)
                    .header("authorization", internal_bearer.as_str())
                    .json(&json!({})),
            )
            .await;
        assert_problem(&reply, 404);
    }
    let paths = ["/metrics", "/healthz", "/readyz", "/openapi.json", "/", "/registerx", "/sessions"];
    for path in paths.iter().chain(more_paths) {
        assert_problem(&api.get(Service::Session, path).await, 404);
    }

    let routed = raw_get_through(gateway, "/session/status").await;
    assert_eq!(routed.status, 401, "the raw client reaches the session service: {routed:?}");
    let targets = [
        "/internal/sessions",
        "//internal/sessions",
        "/session/../internal/sessions",
        "/session/%2e%2e/internal/sessions",
        "/session/%2E%2E%2Finternal%2Fsessions",
        "/session/..%2Finternal/sessions",
        "/session/%2Finternal/sessions",
        "/internal/sessions/../../session/status",
        "/token/./../internal/tokens",
    ];
    for target in targets.iter().chain(more_raw_targets) {
        let reply = raw_get_through(gateway, target).await;
        assert_eq!(reply.status, 404, "{target} must not be routed by {}: {reply:?}", gateway.name());
        assert!(reply.head.to_ascii_lowercase().contains("application/problem+json"), "{reply:?}");
    }
}

/// Just under the services' 64 KiB body limit the service answers (bad JSON: 400), just over it 413; a
/// service down behind the gateway is a 503 with Retry-After, for a routed path and for the protected
/// upstream whose verifier is gone, and the gateway recovers when it is back.
pub async fn oversized_bodies_and_dead_services_are_problems(
    gateway: &impl ForwardAuthGateway,
    platform: &mut Platform,
) {
    let api = gateway.api();
    let (_, tokens) = api.signed_in().await;
    let bearer = format!("Bearer {}", tokens.access_token);

    let under = api.post_raw(Service::Authn, "/login", "application/json", vec![b'x'; 60 * 1024]).await;
    assert_problem(&under, 400);
    let over = api.post_raw(Service::Authn, "/login", "application/json", vec![b'x'; 64 * 1024 + 1]).await;
    assert_problem(&over, 413);

    platform.stop_service(Service::Session);
    assert_unavailable(&api.session_status(&tokens.access_token).await);
    assert_unavailable(&protected_get(gateway, &[("authorization", bearer.as_str())]).await);
    platform.start_service(Service::Session).await;
    protected_get(gateway, &[("authorization", bearer.as_str())]).await.expect_status(200);
}

/// An SSO callback with its code and state, and a referrer with a code in its query, through `gateway`:
/// authn's 400 (no code exchange happens).
pub async fn send_an_sso_callback(gateway: &impl ForwardAuthGateway) {
    let api = gateway.api();
    let callback = "/oauth/callback?code=code-seen-by-the-gateway-0&state=state-seen-by-the-gateway-0";
    let referer = "https://idp.example.test/consent?code=code-in-a-referer-0";
    let reply = api.send(api.request(Method::GET, Service::Authn, callback).header("referer", referer)).await;
    assert_problem(&reply, 400);
}

/// No code or state the callbacks carried (in their query or their referrer's) is in `log`.
pub fn assert_no_sso_secret_logged(log: &str) {
    for secret in ["code-seen-by-the-gateway", "state-seen-by-the-gateway", "code-in-a-referer"] {
        assert!(!log.contains(secret), "the gateway logged {secret}:\n{log}");
    }
}
