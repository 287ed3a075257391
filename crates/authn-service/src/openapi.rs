//! The authn service's OpenAPI 3 document, generated from its handlers' annotations and the wire types.

use crate::routes::{health, login, oauth, register};
use service_kit::api_doc::{OperationsRoutes, SecuritySchemes, render};
use std::sync::LazyLock;
use utoipa::OpenApi;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "authn-service", description = "User accounts, registration, password login and single sign-on (OpenID Connect)."),
    paths(service_kit::health::healthz, health::readyz, register::register, login::login, oauth::login, oauth::callback),
    modifiers(&SecuritySchemes, &OperationsRoutes)
)]
pub struct ApiDoc;

static RENDERED: LazyLock<String> = LazyLock::new(|| render(&ApiDoc::openapi()));

/// The document served at `GET /openapi.json`, rendered once.
pub fn rendered() -> &'static str {
    &RENDERED
}
