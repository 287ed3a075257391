//! The platform behind a real Caddy running the repository's `deploy/gateway/Caddyfile`: the same checks
//! as the nginx gateway's (`gateway.rs`): the public flow routed by prefix, a protected upstream behind
//! `forward_auth` to `/session/verify` that gets the verified identity, a revoked token refused at once,
//! and the routes the gateway must never forward.

use e2e_tests::api::Reply;
use e2e_tests::caddy::CaddyGateway;
use e2e_tests::checks::{
    assert_invalid_token, assert_problem, assert_unauthorized, assert_unavailable, token_response,
};
use e2e_tests::gateway::Echoed;
use e2e_tests::platform::{Platform, Service};
use reqwest::Method;
use serde_json::json;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// `GET /api/orders?page=2` through Caddy, with these extra headers.
async fn protected_get(gateway: &CaddyGateway, headers: &[(&str, &str)]) -> Reply {
    let api = gateway.api();
    let mut request = api.request(Method::GET, Service::Session, "/api/orders?page=2");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    api.send(request).await
}

#[tokio::test]
async fn caddy_routes_the_public_flow_and_forward_auth_passes_the_verified_identity() {
    let platform = Platform::builder().env(Service::Authn, "TRUSTED_PROXIES", "127.0.0.1/32").start().await;
    let gateway = CaddyGateway::start(&platform).await;
    let api = gateway.api();

    // Every public prefix reaches its service: /register and /login (authn), /token/ and
    // /.well-known/ (token), /session/ (session), /oauth/ (authn).
    let account = api.new_account().await;
    let first = api.login_ok(&account).await;
    let refreshed = api.refresh(&first.refresh_token).await;
    refreshed.expect_status(200);
    let second = token_response(&refreshed);
    assert_eq!(second.session_id, first.session_id, "a refresh through Caddy keeps the session");
    let status = api.session_status(&second.access_token).await;
    status.expect_status(200);
    assert_eq!(status.json()["user_id"].as_str(), Some(account.user_id.as_str()), "{status}");
    api.jwks().await.expect_status(200);
    api.session_verify(&second.access_token).await.expect_status(200);
    // A callback without code and state: authn's own 400 (the gateway answers no 400 of its own).
    assert_problem(&api.get(Service::Authn, "/oauth/callback").await, 400);

    // The protected upstream gets the verified identity, never the client's own claim of one, and the
    // trace context and client address pass through.
    let bearer = format!("Bearer {}", second.access_token);
    let reply = protected_get(
        &gateway,
        &[
            ("authorization", bearer.as_str()),
            ("x-user-id", "someone-else"),
            ("x-username", "admin"),
            ("x-session-id", "forged"),
            ("traceparent", TRACEPARENT),
            ("tracestate", "vendor=value"),
            ("x-forwarded-for", "203.0.113.7"),
        ],
    )
    .await;
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
        "a client's own X-Forwarded-For is replaced: {reply}"
    );
    assert_eq!(echoed.header("x-real-ip"), Some("127.0.0.1"), "{reply}");
    assert_eq!(echoed.target(), "/api/orders?page=2", "{reply}");
    assert_eq!(reply.header("server"), None, "Caddy does not announce itself: {reply}");

    // No token: 401 with the verifier's challenge, once, as problem+json; the upstream is not reached.
    let anonymous = protected_get(&gateway, &[("x-user-id", "someone-else")]).await;
    assert_unauthorized(&anonymous);
    assert_eq!(anonymous.headers.get_all("www-authenticate").iter().count(), 1, "{anonymous:?}");
    let garbage = protected_get(&gateway, &[("authorization", "Bearer not-a-jwt")]).await;
    assert_invalid_token(&garbage);
    assert_eq!(garbage.headers.get_all("www-authenticate").iter().count(), 1, "{garbage:?}");

    // Revoked through the gateway: refused at once by the verifier, the session goes on.
    api.revoke(&second.access_token).await.expect_status(200);
    assert_invalid_token(&protected_get(&gateway, &[("authorization", bearer.as_str())]).await);
    assert_invalid_token(&api.session_status(&second.access_token).await);

    // Logout through the gateway ends the session for the protected upstream too.
    let third = token_response(api.refresh(&second.refresh_token).await.expect_status(200));
    let third_bearer = format!("Bearer {}", third.access_token);
    protected_get(&gateway, &[("authorization", third_bearer.as_str())]).await.expect_status(200);
    let logout = api.session_invalidate(&third.access_token, None).await;
    logout.expect_status(200);
    assert_eq!(logout.json(), json!({"invalidated": 1}), "{logout}");
    assert_invalid_token(&protected_get(&gateway, &[("authorization", third_bearer.as_str())]).await);
    assert_unauthorized(&api.refresh(&third.refresh_token).await);
}

#[tokio::test]
async fn caddy_never_routes_internal_routes_or_operational_endpoints() {
    let platform = Platform::start().await;
    let gateway = CaddyGateway::start(&platform).await;
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
    // ... but Caddy never forwards it, whatever the credentials.
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
    for path in ["/metrics", "/healthz", "/readyz", "/openapi.json", "/", "/registerx", "/sessions", "/api"] {
        assert_problem(&api.get(Service::Session, path).await, 404);
    }

    // Raw request targets that clean to a routed prefix but would reach /internal/ as sent.
    let routed = gateway.raw_get("/session/status").await;
    assert_eq!(routed.status, 401, "the raw client reaches the session service: {routed:?}");
    for target in [
        "/internal/sessions",
        "//internal/sessions",
        "/INTERNAL/sessions",
        "/session/../internal/sessions",
        "/session/%2e%2e/internal/sessions",
        "/session/%2E%2E%2Finternal%2Fsessions",
        "/session/..%2Finternal/sessions",
        "/session/%2Finternal/sessions",
        "/internal/sessions/../../session/status",
        "/token/./../internal/tokens",
    ] {
        let reply = gateway.raw_get(target).await;
        assert_eq!(reply.status, 404, "{target} must not be routed: {reply:?}");
        assert!(reply.head.to_ascii_lowercase().contains("application/problem+json"), "{reply:?}");
    }
}

#[tokio::test]
async fn caddy_answers_oversized_bodies_and_dead_services_with_problems() {
    let mut platform = Platform::start().await;
    let gateway = CaddyGateway::start(&platform).await;
    let api = gateway.api();
    let (_, tokens) = api.signed_in().await;
    let bearer = format!("Bearer {}", tokens.access_token);

    // Just under the services' 64 KiB limit the service answers (bad JSON: 400); just over it, 413.
    let under = api.post_raw(Service::Authn, "/login", "application/json", vec![b'x'; 60 * 1024]).await;
    assert_problem(&under, 400);
    let over = api.post_raw(Service::Authn, "/login", "application/json", vec![b'x'; 64 * 1024 + 1]).await;
    assert_problem(&over, 413);

    // A service down behind the gateway: 503 with Retry-After, for a routed path and for the
    // protected upstream whose verifier is gone.
    platform.stop_service(Service::Session);
    assert_unavailable(&api.session_status(&tokens.access_token).await);
    assert_unavailable(&protected_get(&gateway, &[("authorization", bearer.as_str())]).await);
    platform.start_service(Service::Session).await;
    protected_get(&gateway, &[("authorization", bearer.as_str())]).await.expect_status(200);
}

/// Caddy's access log shows an SSO callback's path but never its code or state, nor a referrer's query.
#[tokio::test]
async fn caddy_logs_no_query_string_so_no_sso_code_or_state() {
    let platform = Platform::start().await;
    let gateway = CaddyGateway::start(&platform).await;
    let api = gateway.api();
    let callback = "/oauth/callback?code=code-seen-by-the-gateway-0&state=state-seen-by-the-gateway-0";
    let referer = "https://idp.example.test/consent?code=code-in-a-referer-0";
    let reply = api.send(api.request(Method::GET, Service::Authn, callback).header("referer", referer)).await;
    assert_problem(&reply, 400);

    let mut log = gateway.log();
    for _ in 0..50 {
        if log.contains("\"/oauth/callback\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        log = gateway.log();
    }
    assert!(log.contains("\"uri\":\"/oauth/callback\""), "the callback is logged by path:\n{log}");
    assert!(log.contains("https://idp.example.test/consent"), "the referrer is logged without its query:\n{log}");
    for secret in ["code-seen-by-the-gateway", "state-seen-by-the-gateway", "code-in-a-referer"] {
        assert!(!log.contains(secret), "the gateway logged {secret}:\n{log}");
    }
}
