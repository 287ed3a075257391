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
async fn readyz_checks_redis_and_the_token_service() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/readyz")).send().await.expect("request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    let names: Vec<&str> =
        body["checks"].as_array().expect("checks").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["redis", "token service"]);
}

#[tokio::test]
async fn readyz_is_503_naming_the_token_service_when_it_is_down() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let app = spawn_app_with(|settings| settings.token_service_url = closed.parse().expect("a URL")).await;
    let response = app.http.get(app.url("/readyz")).send().await.expect("request");
    assert_eq!(response.status(), 503);
    assert!(header(&response, "retry-after").is_some());
    let body = problem(response).await;
    let detail = body["detail"].as_str().expect("detail");
    assert!(detail.contains("token service") && !detail.contains("redis"), "{detail}");
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
