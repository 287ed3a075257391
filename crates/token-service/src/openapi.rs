//! The token service's OpenAPI 3 document, generated from its handlers' annotations and the wire types.

use crate::routes::{health, introspect, jwks, mint, refresh, revoke, users};
use service_kit::api_doc::{OperationsRoutes, SecuritySchemes, render};
use std::sync::LazyLock;
use utoipa::OpenApi;

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
    modifiers(&SecuritySchemes, &OperationsRoutes)
)]
pub struct ApiDoc;

static RENDERED: LazyLock<String> = LazyLock::new(|| render(&ApiDoc::openapi()));

/// The document served at `GET /openapi.json`, rendered once.
pub fn rendered() -> &'static str {
    &RENDERED
}
