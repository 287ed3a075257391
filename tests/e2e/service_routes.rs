//! What every service answers: health, readiness, metrics, OpenAPI, 404s and the internal API's guard.

use e2e_tests::checks::{assert_client_error, assert_problem, assert_unauthorized};
use e2e_tests::platform::{Platform, Service};
use serde_json::json;

#[tokio::test]
async fn healthz_and_readyz_answer_200_on_every_service() {
    let platform = Platform::start().await;
    let api = platform.api();
    for service in Service::ALL {
        api.get(service, "/healthz").await.expect_status(200);
        api.get(service, "/readyz").await.expect_status(200);
    }
}

#[tokio::test]
async fn metrics_and_openapi_are_served_by_every_service() {
    let platform = Platform::start().await;
    let api = platform.api();
    let mut failures = Vec::new();
    for service in Service::ALL {
        let metrics = api.get(service, "/metrics").await;
        if metrics.status != 200 || !metrics.content_type().starts_with("text/plain") {
            failures.push(format!("Prometheus text expected: {metrics}"));
        }
        let openapi = api.get(service, "/openapi.json").await;
        let version = serde_json::from_str::<serde_json::Value>(&openapi.body)
            .ok()
            .and_then(|doc| doc["openapi"].as_str().map(str::to_owned))
            .unwrap_or_default();
        if openapi.status != 200 || !version.starts_with('3') {
            failures.push(format!("an OpenAPI 3 document expected: {openapi}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn every_answer_carries_nosniff_whatever_its_status() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (_, tokens) = api.signed_in().await;
    let oversized = vec![b'a'; 65 * 1024];
    let mut failures = Vec::new();
    for service in Service::ALL {
        let post_only = match service {
            Service::Authn => "/login",
            Service::Token => "/token/refresh",
            Service::Session => "/session/invalidate",
        };
        let replies = [
            api.get(service, "/healthz").await,
            api.get(service, "/readyz").await,
            api.get(service, "/metrics").await,
            api.get(service, "/openapi.json").await,
            api.get(service, "/docs/").await,
            api.get(service, "/no/such/route").await,
            api.get(service, post_only).await,
            api.post_raw(service, post_only, "application/json", oversized.clone()).await,
            api.post_json(service, "/internal/sessions", &json!({})).await,
        ];
        failures.extend(
            replies
                .iter()
                .filter(|reply| reply.header("x-content-type-options") != Some("nosniff"))
                .map(|reply| format!("no nosniff: {reply}")),
        );
    }
    let hot_path = [
        api.session_status(&tokens.access_token).await,
        api.session_verify(&tokens.access_token).await,
        api.session_verify("not-a-token").await,
        api.jwks().await,
        api.refresh(&tokens.refresh_token).await,
    ];
    failures.extend(
        hot_path
            .iter()
            .filter(|reply| reply.header("x-content-type-options") != Some("nosniff"))
            .map(|reply| format!("no nosniff: {reply}")),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_swagger_page_is_off_in_prod_unless_enabled_and_the_document_stays_served() {
    let platform = Platform::start().await;
    let api = platform.api();
    for service in Service::ALL {
        for path in ["/docs", "/docs/", "/docs/swagger-ui-bundle.js"] {
            let reply = api.get(service, path).await;
            assert_problem(&reply, 404);
            assert!(reply.body.contains("SWAGGER_UI"), "the 404 says how to turn the page on: {reply}");
        }
        api.get(service, "/openapi.json").await.expect_status(200);
    }
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let platform = Platform::start().await;
    let api = platform.api();
    for service in Service::ALL {
        assert_problem(&api.get(service, "/no/such/route").await, 404);
        assert_problem(&api.post_json(service, "/no/such/route", &json!({})).await, 404);
    }
}

#[tokio::test]
async fn wrong_methods_are_4xx_problems() {
    let platform = Platform::start().await;
    let api = platform.api();
    for (service, path) in [
        (Service::Authn, "/register"),
        (Service::Authn, "/login"),
        (Service::Token, "/token/refresh"),
        (Service::Token, "/token/revoke"),
        (Service::Session, "/session/invalidate"),
    ] {
        assert_client_error(&api.get(service, path).await);
    }
}

#[tokio::test]
async fn internal_routes_require_the_internal_token() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens) = api.signed_in().await;
    let mint = json!({"user_id": account.user_id, "username": account.username, "amr": ["pwd"]});
    let wrong = format!("Bearer {}", "f".repeat(48));
    let user_token = format!("Bearer {}", tokens.access_token);

    for (service, path) in [(Service::Token, "/internal/tokens"), (Service::Session, "/internal/sessions")] {
        let reply = api.post_json(service, path, &mint).await;
        assert_unauthorized(&reply);
        for authorization in [&wrong, &user_token] {
            let reply = api
                .send(
                    api.request(reqwest::Method::POST, service, path)
                        .header("authorization", authorization)
                        .json(&mint),
                )
                .await;
            assert_unauthorized(&reply);
        }
    }
}

/// Every route a service serves, as the contract lists them (plus the operations routes every service has).
fn served_routes(service: Service) -> Vec<(&'static str, &'static str)> {
    let mut routes =
        vec![("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics"), ("get", "/openapi.json"), ("get", "/docs/")];
    routes.extend(match service {
        Service::Authn => {
            vec![("post", "/register"), ("post", "/login"), ("get", "/oauth/login"), ("get", "/oauth/callback")]
        }
        Service::Token => vec![
            ("post", "/token/refresh"),
            ("post", "/token/revoke"),
            ("post", "/token/introspect"),
            ("get", "/.well-known/jwks.json"),
            ("post", "/internal/tokens"),
            ("post", "/internal/users/{user_id}/sessions/invalidate"),
        ],
        Service::Session => vec![
            ("get", "/session/status"),
            ("get", "/session/list"),
            ("post", "/session/invalidate"),
            ("get", "/session/verify"),
            ("post", "/internal/sessions"),
            ("post", "/internal/sessions/rotate"),
            ("post", "/internal/sessions/check"),
            ("post", "/internal/sessions/lookup"),
            ("post", "/internal/sessions/end"),
            ("post", "/internal/revocations"),
            ("post", "/internal/users/{user_id}/sessions/invalidate"),
        ],
    });
    routes
}

#[tokio::test]
async fn the_openapi_document_lists_every_served_route_and_every_documented_route_is_served() {
    // The Swagger UI page is one of the documented routes; it is off in prod by default.
    let platform = Platform::builder().env_all("SWAGGER_UI", "true").start().await;
    let api = platform.api();
    let mut failures = Vec::new();
    for service in Service::ALL {
        let document: serde_json::Value =
            serde_json::from_str(&api.get(service, "/openapi.json").await.body).expect("the document is JSON");
        for (method, path) in served_routes(service) {
            if document["paths"][path].get(method).is_none() {
                failures
                    .push(format!("{service:?}: {} {path} is served but not in /openapi.json", method.to_uppercase()));
            }
        }
        let documented = document["paths"].as_object().expect("paths is an object");
        for (path, item) in documented {
            let concrete = path.replace("{user_id}", &uuid::Uuid::new_v4().to_string());
            for method in item.as_object().expect("a path item").keys() {
                let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("an HTTP method");
                let reply = api.send(api.request(method.clone(), service, &concrete)).await;
                if reply.status == 404 && reply.body.contains("no route for") {
                    failures.push(format!("{service:?}: {method} {path} is documented but not served: {reply}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
