//! OpenAPI plumbing shared by the services: the security schemes every document declares and the
//! `GET /openapi.json` answer. Each service derives its own document from its handlers' annotations
//! and the wire types of `auth-proto`.

use actix_web::HttpResponse;
use actix_web::http::header::CONTENT_TYPE;
use utoipa::Modify;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Security scheme of routes that take an access token.
pub const BEARER: &str = "bearer";
/// Security scheme of `/internal/` routes and introspection: `INTERNAL_API_TOKEN`.
pub const INTERNAL: &str = "internal";

/// Adds the `bearer` (access token, a JWT) and `internal` (`INTERNAL_API_TOKEN`) schemes.
#[derive(Debug)]
pub struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            INTERNAL,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("the shared INTERNAL_API_TOKEN"))
                    .build(),
            ),
        );
    }
}

/// Serializes a document once, for a service to keep and serve.
pub fn render(document: &utoipa::openapi::OpenApi) -> String {
    document.to_json().unwrap_or_else(|_| r#"{"openapi":"3.1.0"}"#.to_owned())
}

/// The `GET /openapi.json` answer for an already rendered document.
pub fn openapi_response(rendered: &'static str) -> HttpResponse {
    HttpResponse::Ok().insert_header((CONTENT_TYPE, "application/json")).body(rendered)
}

/// `GET /docs/`: Swagger UI over the service's own `/openapi.json` when `SWAGGER_UI` is on (see
/// [`docs_page`]), else a 404 problem that says how to turn it on.
pub fn docs_routes(enabled: bool) -> impl Fn(&mut actix_web::web::ServiceConfig) + Clone {
    move |config| {
        if enabled {
            docs_page(config);
        } else {
            config
                .route("/docs", actix_web::web::get().to(docs_off))
                .route("/docs/{_:.*}", actix_web::web::get().to(docs_off));
        }
    }
}

/// The answer under `/docs` while `SWAGGER_UI` is off (the default in `prod`).
async fn docs_off() -> HttpResponse {
    crate::problem::HttpProblem::not_found("the Swagger UI page is off (SWAGGER_UI); the document is at /openapi.json")
        .to_response()
}

/// Swagger UI over the service's own `/openapi.json`. Its assets are compiled into the binary
/// (utoipa-swagger-ui's `vendored` feature), so the page works with no internet access; `/docs`
/// redirects there.
pub fn docs_page(config: &mut actix_web::web::ServiceConfig) {
    use utoipa_swagger_ui::{Config, SwaggerUi};
    config
        .route(
            "/docs",
            actix_web::web::get()
                .to(|| async { HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish() }),
        )
        .service(SwaggerUi::new("/docs/{_:.*}").config(Config::new(["/openapi.json"])));
}

/// Adds the operations routes that shared plumbing serves rather than the service's own handlers:
/// `GET /metrics` (actix-web-prom), `GET /openapi.json` and the `GET /docs/` page, so that the document
/// lists every route the service answers.
#[derive(Debug)]
pub struct OperationsRoutes;

impl Modify for OperationsRoutes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{HttpMethod, OperationBuilder};
        use utoipa::openapi::{ContentBuilder, ResponseBuilder};
        let routes = [
            (
                "/metrics",
                "Prometheus metrics: requests by route and status, and the service's domain counters",
                "text/plain",
            ),
            ("/openapi.json", "This document", "application/json"),
            (
                "/docs/",
                "API documentation page (Swagger UI, served offline) over this document, when SWAGGER_UI is on",
                "text/html",
            ),
        ];
        for (path, summary, content_type) in routes {
            let response =
                ResponseBuilder::new().description(summary).content(content_type, ContentBuilder::new().build());
            let operation =
                OperationBuilder::new().tag("operations").summary(Some(summary)).response("200", response.build());
            openapi.paths.add_path_operation(path, vec![HttpMethod::Get], operation.build());
        }
    }
}
