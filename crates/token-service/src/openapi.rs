//! The token service's OpenAPI 3 document, generated from its handlers' annotations and the wire types.

use crate::routes::{health, introspect, jwks, mint, refresh, revoke, users};
use service_kit::api_doc::{OperationsRoutes, SecuritySchemes, render};
use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "token-service", description = "Signing keys, JWT minting, refresh with rotation, revocation, introspection and the JWKS."),
    paths(
        service_kit::health::healthz,
        health::readyz,
        refresh::refresh,
        revoke::revoke,
        introspect::introspect,
        jwks::jwks,
        mint::mint,
        users::end_user_sessions,
    ),
    modifiers(&SecuritySchemes, &IntrospectionClientScheme, &OperationsRoutes)
)]
pub struct ApiDoc;

/// The `introspection_client` scheme: HTTP Basic with a pair from `INTROSPECTION_CREDENTIALS`.
struct IntrospectionClientScheme;

impl Modify for IntrospectionClientScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.components.get_or_insert_with(Default::default).add_security_scheme(
            "introspection_client",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("a client_id:secret pair from INTROSPECTION_CREDENTIALS"))
                    .build(),
            ),
        );
    }
}

static RENDERED: LazyLock<String> = LazyLock::new(|| render(&ApiDoc::openapi()));

/// The document served at `GET /openapi.json`, rendered once.
pub fn rendered() -> &'static str {
    &RENDERED
}
