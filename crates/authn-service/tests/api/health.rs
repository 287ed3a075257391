//! `/healthz` and `/readyz`.

use crate::helpers::{free_port, header, problem, spawn_app, spawn_app_with};
use serde_json::Value;

#[tokio::test]
async fn healthz_is_200() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/healthz")).send().await.expect("request");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn readyz_checks_redis_and_reports_the_token_service() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/readyz")).send().await.expect("request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["checks"], serde_json::json!([{"name": "redis", "ok": true, "detail": "standalone"}]), "{body}");
    assert_eq!(body["peers"], serde_json::json!([{"name": "token service", "ok": true}]), "{body}");
}

#[tokio::test]
async fn readyz_stays_200_reporting_the_token_service_down() {
    // A peer's outage must not take authn out of rotation: readiness follows only what authn itself
    // cannot serve without.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let app = spawn_app_with(|settings| settings.token_service_url = closed.parse().expect("a URL")).await;
    let response = app.http.get(app.url("/readyz")).send().await.expect("request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["checks"], serde_json::json!([{"name": "redis", "ok": true, "detail": "standalone"}]), "{body}");
    assert_eq!(body["peers"], serde_json::json!([{"name": "token service", "ok": false}]), "{body}");
}

#[tokio::test]
async fn readyz_is_503_naming_redis_when_it_is_down() {
    let closed = format!("redis://127.0.0.1:{}", free_port());
    let app = spawn_app_with(|settings| settings.redis_url = Some(closed.parse().expect("a redis URL"))).await;
    let response = app.http.get(app.url("/readyz")).send().await.expect("request");
    assert_eq!(response.status(), 503);
    assert!(header(&response, "retry-after").is_some());
    let body = problem(response).await;
    let detail = body["detail"].as_str().expect("detail");
    assert!(detail.contains("redis") && !detail.contains("token service"), "{detail}");
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_metrics_are_served() {
    let app = spawn_app().await;
    let doc: Value = app.http.get(app.url("/openapi.json")).send().await.expect("request").json().await.expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with('3'));
    for path in ["/healthz", "/readyz", "/register", "/login"] {
        assert!(doc["paths"].get(path).is_some(), "{path} is missing from the document");
    }
    let metrics = app.http.get(app.url("/metrics")).send().await.expect("request");
    assert_eq!(metrics.status(), 200);
    assert!(metrics.text().await.expect("text").contains("authn_http_requests_total"));
}
