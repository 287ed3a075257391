//! `/healthz` (the process serves) and `/readyz` (its dependencies answer) bodies.

use crate::problem::HttpProblem;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use auth_proto::problem::ProblemType;
use auth_proto::public::{DependencyCheck, HealthResponse};

/// `GET /healthz`: 200 while the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process serves requests", body = HealthResponse)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok".to_owned(), checks: Vec::new() })
}

/// The `/readyz` answer for a set of dependency checks: 200 when all pass, else 503 naming the failures.
pub fn readiness_response(checks: Vec<DependencyCheck>) -> HttpResponse {
    let failing: Vec<String> = checks
        .iter()
        .filter(|check| !check.ok)
        .map(|check| match &check.detail {
            Some(detail) => format!("{} ({detail})", check.name),
            None => check.name.clone(),
        })
        .collect();
    if failing.is_empty() {
        return HttpResponse::Ok().json(HealthResponse { status: "ready".to_owned(), checks });
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
