//! `/healthz` (the process serves) and `/readyz` bodies.
//!
//! `/readyz` answers 503 only for what the service itself cannot serve without (authn its Redis, token its
//! signing key, session its Redis and a loaded key set). Peer services are reported in the body and never
//! make it 503: readiness that followed peers would cascade (token not ready while session is down, so
//! authn's logins lose both), and would need a start-up order where there is none. Peer checks are
//! bounded by [`PEER_CHECK_TIMEOUT`] so a hanging peer never makes the probe itself time out.

use crate::problem::HttpProblem;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use auth_proto::problem::ProblemType;
use auth_proto::public::{DependencyCheck, HealthResponse};
use std::future::Future;
use std::time::Duration;

/// How long `/readyz` waits for a peer service's answer before reporting it down: well below the
/// Kubernetes probe timeouts of `k8s/` (2 s).
pub const PEER_CHECK_TIMEOUT: Duration = Duration::from_millis(500);

/// `GET /healthz`: 200 while the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process serves requests", body = HealthResponse)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok".to_owned(), checks: Vec::new(), peers: Vec::new() })
}

/// The `/readyz` answer for the service's own dependency checks: 200 when all pass, else 503 naming the
/// failures.
pub fn readiness_response(checks: Vec<DependencyCheck>) -> HttpResponse {
    readiness_with_peers(checks, Vec::new())
}

/// The `/readyz` answer: 200 when every one of the service's own `checks` passes, whatever the `peers`
/// (which the 200 body reports); else 503 naming the failing checks.
pub fn readiness_with_peers(checks: Vec<DependencyCheck>, peers: Vec<DependencyCheck>) -> HttpResponse {
    let failing: Vec<String> = checks
        .iter()
        .filter(|check| !check.ok)
        .map(|check| match &check.detail {
            Some(detail) => format!("{} ({detail})", check.name),
            None => check.name.clone(),
        })
        .collect();
    if failing.is_empty() {
        return HttpResponse::Ok().json(HealthResponse { status: "ready".to_owned(), checks, peers });
    }
    HttpProblem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        ProblemType::NotReady,
        "Not ready",
        format!("not ready: {} unavailable", failing.join(", ")),
    )
    .with_retry_after(crate::problem::DEPENDENCY_RETRY_AFTER_SECONDS)
    .to_response()
}

pub fn check(name: &str, ok: bool) -> DependencyCheck {
    DependencyCheck { name: name.to_owned(), ok, detail: None }
}

/// A check with a word on the dependency, such as Redis's topology.
pub fn check_with_detail(name: &str, ok: bool, detail: String) -> DependencyCheck {
    DependencyCheck { name: name.to_owned(), ok, detail: Some(detail) }
}

/// A peer service's check: `answers` resolving to `true` within [`PEER_CHECK_TIMEOUT`].
pub async fn peer_check(name: &str, answers: impl Future<Output = bool>) -> DependencyCheck {
    check(name, tokio::time::timeout(PEER_CHECK_TIMEOUT, answers).await.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body(response: HttpResponse) -> serde_json::Value {
        let bytes = response.into_body().try_into_bytes().unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    #[test]
    fn a_peer_down_is_reported_but_never_a_503() {
        let response = readiness_with_peers(vec![check("redis", true)], vec![check("token service", false)]);
        assert_eq!(response.status(), StatusCode::OK);
        let body = body(response);
        assert_eq!(body["checks"], serde_json::json!([{"name": "redis", "ok": true}]));
        assert_eq!(body["peers"], serde_json::json!([{"name": "token service", "ok": false}]));
    }

    #[test]
    fn an_own_dependency_down_is_a_503_naming_it() {
        let response = readiness_with_peers(vec![check("redis", false)], vec![check("token service", true)]);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key("retry-after"));
        let body = body(response);
        assert!(body["detail"].as_str().is_some_and(|detail| detail.contains("redis")), "{body}");
    }

    #[tokio::test]
    async fn a_hanging_peer_is_reported_down_within_the_bound() {
        let started = std::time::Instant::now();
        let hanging = peer_check("session service", std::future::pending::<bool>()).await;
        assert!(!hanging.ok);
        assert!(started.elapsed() < PEER_CHECK_TIMEOUT * 2);
        assert!(peer_check("session service", async { true }).await.ok);
    }
}
