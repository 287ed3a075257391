//! `/session/verify`: the forward-auth target for nginx `auth_request`, Traefik ForwardAuth and Envoy
//! `ext_authz`. 200 with identity headers and an empty body, or 401. Any method is accepted, and any path
//! below it (Envoy appends the original path to its `path_prefix`).

use crate::authenticate::authenticate;
use crate::error::Error;
use crate::state::AppState;
use crate::store::SessionStore;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_proto::problem::Problem;

pub const USER_ID_HEADER: &str = "X-User-Id";
pub const SESSION_ID_HEADER: &str = "X-Session-Id";
pub const USERNAME_HEADER: &str = "X-Username";

#[utoipa::path(get, path = "/session/verify", tag = "session", security(("bearer" = [])),
    description = "Forward-auth target (nginx auth_request, Traefik ForwardAuth, Envoy ext_authz). Any method and any path below /session/verify are accepted.",
    responses(
        (status = 200, description = "Allowed; identity in the headers, empty body", headers(
            ("X-User-Id" = String, description = "The user id"),
            ("X-Session-Id" = String, description = "The session id"),
            ("X-Username" = String, description = "The username"),
        )),
        (status = 401, description = "No valid access token, or its session has ended", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The session store is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", name = "session verify", skip_all)]
pub async fn verify<S: SessionStore>(req: HttpRequest, state: web::Data<AppState<S>>) -> Result<HttpResponse, Error> {
    let authenticated = authenticate(&req, &state).await?;
    let claims = authenticated.claims;
    let mut response = HttpResponse::Ok();
    response.insert_header((USER_ID_HEADER, claims.sub.as_str()));
    response.insert_header((SESSION_ID_HEADER, claims.sid.as_str()));
    // Usernames are restricted to header-safe characters at registration; others are left out, not mangled.
    if claims.preferred_username.bytes().all(|byte| byte.is_ascii_graphic()) {
        response.insert_header((USERNAME_HEADER, claims.preferred_username.as_str()));
    }
    Ok(response.finish())
}
