//! `GET /.well-known/jwks.json`: the public keys, current and previous, of the ring in force (serialized
//! once per ring: at start and at each reload).

use crate::state::AppState;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

/// Verifiers may cache the set this long; a rotation publishes the new key before it signs.
const JWKS_MAX_AGE_SECONDS: u32 = 300;

#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "token",
    responses((status = 200, description = "RFC 7517 JWK set of the current and previous public keys; empty with HS256", body = Object, content_type = "application/jwk-set+json")))]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/jwk-set+json"))
        .insert_header((CACHE_CONTROL, format!("public, max-age={JWKS_MAX_AGE_SECONDS}")))
        .body(state.keys.load().jwks_json().to_owned())
}
