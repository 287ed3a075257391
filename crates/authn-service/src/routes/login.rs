//! `POST /login`: JSON `{"username", "password"}` or an OAuth2 password-grant form → 200 token response.

use crate::error::Error;
use crate::lockout::FailureStore;
use crate::metrics::LoginMethod;
use crate::password_login::{LoginAttempt, log_in};
use crate::state::AppState;
use crate::users::UserStore;
use actix_web::http::header::USER_AGENT;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_proto::problem::Problem;
use auth_proto::public::LoginRequest;
use auth_proto::public::TokenResponse;
use service_kit::body::GrantBody;

/// The session service shows the user agent in session lists; longer ones are cut, not refused.
pub const MAX_USER_AGENT_CHARS: usize = 256;

#[utoipa::path(post, path = "/login", tag = "authn",
    request_body(content((LoginRequest = "application/json"), (LoginRequest = "application/x-www-form-urlencoded")),
        description = "JSON, or an OAuth2 password-grant form (grant_type=password optional)"),
    responses(
        (status = 200, description = "Logged in: a new session and its tokens", body = TokenResponse),
        (status = 400, description = "Malformed body (error invalid_request), or a grant_type other than password (error unsupported_grant_type, checked first)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown user, wrong password or disabled account, one answer for all (error invalid_grant)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB (error invalid_request)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor a form (error invalid_request)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures for this username or client address; see Retry-After (error invalid_grant)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Redis, the token service or the hashing pool is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn login<U: UserStore, F: FailureStore>(
    req: HttpRequest,
    state: web::Data<AppState<U, F>>,
    body: GrantBody<LoginRequest>,
) -> Result<HttpResponse, Error> {
    if body.grant_type.as_deref().is_some_and(|grant_type| grant_type != "password") {
        return Err(Error::UnsupportedGrantType);
    }
    let body = body.body?;
    let attempt = LoginAttempt {
        username: body.username,
        password: body.password,
        client_address: state.trusted_proxies.client_address_of(&req),
        user_agent: user_agent(&req),
    };
    let result = log_in(&state, attempt).await;
    state.metrics.record_login(LoginMethod::Password, &result);
    Ok(HttpResponse::Ok().json(result?))
}

pub fn user_agent(req: &HttpRequest) -> Option<String> {
    let raw = req.headers().get(USER_AGENT)?;
    let text = String::from_utf8_lossy(raw.as_bytes());
    Some(text.chars().take(MAX_USER_AGENT_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn user_agents_are_cut_to_256_characters() {
        let long = "é".repeat(300);
        let req = TestRequest::default().insert_header((USER_AGENT, long.as_str())).to_http_request();
        assert_eq!(user_agent(&req).expect("present").chars().count(), 256);
        assert_eq!(user_agent(&TestRequest::default().to_http_request()), None);
    }
}
