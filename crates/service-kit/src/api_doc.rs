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
pub fn openapi_response(rendered: &str) -> HttpResponse {
    HttpResponse::Ok().insert_header((CONTENT_TYPE, "application/json")).body(rendered.to_owned())
}
