//! The session service's OpenAPI 3 document, generated from its handlers' annotations and the wire types.

use crate::routes::{health, internal, invalidate, list, status, verify};
use service_kit::api_doc::{OperationsRoutes, SecuritySchemes, render};
use std::sync::LazyLock;
use utoipa::OpenApi;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "session-service", description = "Sessions, refresh-token families and revocations; session status, listing, invalidation and gateway verification."),
    paths(
        service_kit::health::healthz,
        health::readyz,
        status::status,
        list::list,
        invalidate::invalidate,
        verify::verify,
        internal::create,
        internal::rotate,
        internal::check,
        internal::lookup,
        internal::end_by_refresh,
        internal::revoke_access,
        internal::end_user_sessions,
    ),
    modifiers(&SecuritySchemes, &OperationsRoutes)
)]
pub struct ApiDoc;

static RENDERED: LazyLock<String> = LazyLock::new(|| render(&ApiDoc::openapi()));

/// The document served at `GET /openapi.json`, rendered once.
pub fn rendered() -> &'static str {
    &RENDERED
}
