//! Traces, metrics and API docs as an operator sees them: a login is one trace over the three services
//! (exported over OTLP/HTTP to a real receiver), /metrics carries the domain counters, and each service
//! serves an offline docs page over its own OpenAPI document.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use e2e_tests::checks::{sample, token_response};
use e2e_tests::otlp::OtlpReceiver;
use e2e_tests::platform::{Platform, Service};
use serde_json::json;

const SERVICES: [&str; 3] = ["authn-service", "token-service", "session-service"];
/// Exporters send in batches; generous for a loaded machine (it is a deadline, not a timing bound).
const EXPORT_WAIT: Duration = Duration::from_secs(30);

async fn traced_platform(receiver: &OtlpReceiver) -> Platform {
    Platform::builder()
        .env_all("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
        // Export every 200 ms instead of every 5 s, so the test does not wait long.
        .env_all("OTEL_BSP_SCHEDULE_DELAY", "200")
        .start()
        .await
}

fn all_services() -> BTreeSet<String> {
    SERVICES.iter().map(|service| (*service).to_owned()).collect()
}

#[tokio::test]
async fn a_login_continues_the_callers_trace_across_authn_token_and_session() {
    let receiver = OtlpReceiver::start();
    let platform = traced_platform(&receiver).await;
    let api = platform.api();
    let account = api.new_account().await;

    // A gateway (or the client) started the trace: its traceparent must carry through all three hops.
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let caller_span = &uuid::Uuid::new_v4().simple().to_string()[..16];
    let login = api
        .send(
            api.request(reqwest::Method::POST, Service::Authn, "/login")
                .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
                .json(&json!({"username": account.username, "password": account.password})),
        )
        .await;
    login.expect_status(200);

    let seen = receiver.wait_for_services(&trace_id, &SERVICES, EXPORT_WAIT).await;
    assert_eq!(seen, all_services(), "services with spans in trace {trace_id}: {:#?}", receiver.spans());

    let spans: Vec<_> = receiver.spans().into_iter().filter(|span| span.trace_id == trace_id).collect();
    let ids_of = |service: &str| -> HashSet<String> {
        spans.iter().filter(|span| span.service == service).map(|span| span.span_id.clone()).collect()
    };
    let (authn, token) = (ids_of("authn-service"), ids_of("token-service"));
    assert!(
        spans.iter().any(|span| span.service == "authn-service" && span.parent_span_id == caller_span),
        "authn's request span is a child of the caller's span: {spans:#?}"
    );
    assert!(
        spans.iter().any(|span| span.service == "token-service" && authn.contains(&span.parent_span_id)),
        "a token-service span is a child of an authn span: {spans:#?}"
    );
    assert!(
        spans.iter().any(|span| span.service == "session-service" && token.contains(&span.parent_span_id)),
        "a session-service span is a child of a token span: {spans:#?}"
    );
    assert!(spans.iter().any(|span| span.name == "mint"), "the outbound mint call has a span: {spans:#?}");
}

#[tokio::test]
async fn a_login_without_a_caller_trace_starts_one_that_spans_the_three_services() {
    let receiver = OtlpReceiver::start();
    let platform = traced_platform(&receiver).await;
    let api = platform.api();
    let (_account, tokens) = api.signed_in().await;
    // Refresh goes token → session: a second trace, started by the token service.
    token_response(&api.refresh(&tokens.refresh_token).await);

    let mut deadline_left = EXPORT_WAIT;
    loop {
        let spans = receiver.spans();
        let login_traces: BTreeSet<String> = spans
            .iter()
            .filter(|span| span.service == "authn-service" && span.parent_span_id.is_empty())
            .map(|span| span.trace_id.clone())
            .collect();
        let complete = login_traces.iter().any(|trace| receiver.services_in(trace) == all_services());
        if complete {
            return;
        }
        assert!(!deadline_left.is_zero(), "no authn-rooted trace reached all three services: {spans:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        deadline_left = deadline_left.saturating_sub(Duration::from_millis(200));
    }
}

#[tokio::test]
async fn metrics_count_logins_refreshes_reuse_revocations_and_logouts() {
    let platform = Platform::builder().env(Service::Token, "REFRESH_REUSE_GRACE_SECONDS", "0").start().await;
    let api = platform.api();
    let (account, tokens) = api.signed_in().await;
    api.login(&account.username, "not-the-password").await.expect_status(401);
    let rotated = token_response(&api.refresh(&tokens.refresh_token).await);
    // The first refresh token again: reuse, which ends the session.
    api.refresh(&tokens.refresh_token).await.expect_status(401);
    let (_, second) = api.signed_in().await;
    api.revoke(&second.access_token).await.expect_status(200);
    let (_, third) = api.signed_in().await;
    api.session_invalidate(&third.access_token, None).await.expect_status(200);
    drop(rotated);

    let authn = api.get(Service::Authn, "/metrics").await.body;
    assert_eq!(sample(&authn, r#"authn_login_attempts_total{method="password",outcome="success"}"#), 3.0, "{authn}");
    assert_eq!(
        sample(&authn, r#"authn_login_attempts_total{method="password",outcome="bad_credentials"}"#),
        1.0,
        "{authn}"
    );
    assert!(authn.contains("authn_argon2_queue_depth 0"), "{authn}");
    assert!(authn.contains("authn_argon2_in_flight 0"), "{authn}");
    assert!(sample(&authn, r#"peer_request_duration_seconds_count{operation="mint",peer="token"}"#) >= 3.0, "{authn}");
    assert!(sample(&authn, r#"redis_command_duration_seconds_count{operation="find_user_by_username"}"#) >= 4.0);
    assert!(authn.contains(r#"authn_http_requests_total{endpoint="/login",method="POST",status="401"} 1"#));

    let token = api.get(Service::Token, "/metrics").await.body;
    assert_eq!(sample(&token, r#"token_refresh_total{outcome="rotated"}"#), 1.0, "{token}");
    assert_eq!(sample(&token, r#"token_refresh_total{outcome="reuse_detected"}"#), 1.0, "{token}");
    assert_eq!(sample(&token, r#"token_revocations_total{token_type="access_token"}"#), 1.0, "{token}");
    assert!(sample(&token, r#"peer_request_duration_seconds_count{operation="rotate",peer="session"}"#) >= 2.0);
    assert!(sample(&token, r#"peer_request_errors_total{kind="refused",operation="rotate",peer="session"}"#) >= 1.0);

    let session = api.get(Service::Session, "/metrics").await.body;
    assert_eq!(sample(&session, r#"session_invalidations_total{scope="current"}"#), 1.0, "{session}");
    assert!(sample(&session, r#"redis_command_duration_seconds_count{operation="rotate_refresh"}"#) >= 2.0);
}

#[tokio::test]
async fn every_service_serves_an_offline_docs_page_over_its_openapi_document() {
    // Off by default in prod (see service_routes.rs); SWAGGER_UI turns it on.
    let platform = Platform::builder().env_all("SWAGGER_UI", "true").start().await;
    let api = platform.api();
    for service in Service::ALL {
        let redirect = api.get(service, "/docs").await;
        assert_eq!(redirect.status, 308, "{redirect}");
        assert_eq!(redirect.header("location"), Some("/docs/"), "{redirect}");
        let page = api.get(service, "/docs/").await;
        page.expect_status(200);
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"), "{page}");
        assert!(page.content_type().starts_with("text/html"), "{page}");
        assert!(page.body.contains("swagger-ui"), "{page}");
        // Every asset the page loads is served by the service itself: no CDN.
        assert!(!page.body.contains("https://"), "the page loads nothing from the internet: {page}");
        let initializer = api.get(service, "/docs/swagger-initializer.js").await;
        initializer.expect_status(200);
        assert!(initializer.body.contains("/openapi.json"), "{initializer}");
        api.get(service, "/docs/swagger-ui-bundle.js").await.expect_status(200);
        api.get(service, "/docs/swagger-ui.css").await.expect_status(200);
    }
}

/// Every metric name a query of the Grafana dashboard in `deploy/` uses.
fn dashboard_metric_names() -> BTreeSet<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/grafana/auth-platform.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read the dashboard")).expect("dashboard JSON");
    let mut queries = Vec::new();
    collect_queries(&dashboard, &mut queries);
    assert!(!queries.is_empty(), "the dashboard has queries");
    let suffixes = ["_total", "_bucket", "_count", "_sum", "_queue_depth", "_in_flight", "_capacity"];
    queries
        .iter()
        .flat_map(|query| query.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
        .filter(|word| suffixes.iter().any(|suffix| word.ends_with(suffix)) && !word.starts_with("__"))
        .map(str::to_owned)
        .collect()
}

fn collect_queries(value: &serde_json::Value, queries: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr", serde_json::Value::String(query)) => queries.push(query.clone()),
                    _ => collect_queries(value, queries),
                }
            }
        }
        serde_json::Value::Array(values) => values.iter().for_each(|value| collect_queries(value, queries)),
        _ => {}
    }
}

#[tokio::test]
async fn the_grafana_dashboard_queries_only_metrics_the_services_export() {
    let mut platform = Platform::builder().env(Service::Token, "REFRESH_REUSE_GRACE_SECONDS", "0").start().await;
    let api = platform.api().clone();
    let (_account, tokens) = api.signed_in().await;
    token_response(&api.refresh(&tokens.refresh_token).await);
    api.refresh(&tokens.refresh_token).await.expect_status(401);
    let (account, other) = api.signed_in().await;
    api.revoke(&other.access_token).await.expect_status(200);
    let (_, third) = api.signed_in().await;
    api.session_invalidate(&third.access_token, None).await.expect_status(200);
    // A Redis outage, so that the error counters have samples too.
    platform.stop_redis();
    api.login(&account.username, &account.password).await.expect_status(503);
    platform.start_redis();

    let mut exported = BTreeSet::new();
    for service in Service::ALL {
        let metrics = api.get(service, "/metrics").await.body;
        exported.extend(
            metrics
                .lines()
                .filter(|line| !line.starts_with('#'))
                .filter_map(|line| line.split(['{', ' ']).next())
                .map(str::to_owned),
        );
    }
    let missing: Vec<String> = dashboard_metric_names().difference(&exported).cloned().collect();
    assert!(
        missing.is_empty(),
        "the dashboard queries metrics no service exports: {missing:?}\nexported: {exported:?}"
    );
}
