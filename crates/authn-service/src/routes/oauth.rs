//! `GET /oauth/login` and `GET /oauth/callback`: single sign-on through an OpenID Connect provider.
//! The rules are in [`crate::oidc`]; these handlers read the query and shape the answer.

use crate::error::Error;
use crate::lockout::FailureStore;
use crate::metrics::LoginMethod;
use crate::oidc::callback::{CallbackParams, complete_login};
use crate::oidc::login::begin_login;
use crate::routes::login::user_agent;
use crate::session_opening::LoginClient;
use crate::state::AppState;
use crate::users::UserStore;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_proto::problem::Problem;
use auth_proto::public::TokenResponse;
use serde::Deserialize;
use url::Url;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoginParams {
    /// The provider's name (`default` when absent).
    pub provider: Option<String>,
    /// A front-end URL from `OIDC_FRONTEND_REDIRECT_URLS` (exact match): the callback then redirects
    /// there with the result in the URL fragment instead of answering JSON.
    pub redirect_uri: Option<String>,
}

#[utoipa::path(get, path = "/oauth/login", tag = "sso", params(LoginParams),
    responses(
        (status = 302, description = "To the provider's authorization endpoint, with response_type=code, state, nonce and a PKCE S256 challenge; sets the HttpOnly, SameSite=Lax state cookie that binds the login to this browser",
            headers(
                ("Location" = String, description = "The provider's authorization URL"),
                ("Set-Cookie" = String, description = "authn_sso_<16 hex>=<random>; HttpOnly; SameSite=Lax; Path=<the redirect URL's path>; Max-Age=600 (and Secure over https): the callback needs it back"),
            )),
        (status = 400, description = "Malformed query, or redirect_uri not on the allow-list", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "SSO is not configured, or no provider has that name", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Over RATE_LIMIT_PER_MINUTE requests from this client address (with /register) in the minute; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The provider or Redis is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn login<U: UserStore, F: FailureStore>(
    req: HttpRequest,
    state: web::Data<AppState<U, F>>,
) -> Result<HttpResponse, Error> {
    // Every login started stores a flow state for 10 minutes: limited per address before anything else.
    state.rate_limit.admit(state.trusted_proxies.client_address_of(&req)).await?;
    let params = web::Query::<LoginParams>::from_query(req.query_string())
        .map_err(|_| Error::InvalidInput { field: "query", reason: "is malformed" })?
        .into_inner();
    let start = begin_login(&state.sso, params.provider.as_deref(), params.redirect_uri.as_deref()).await?;
    Ok(HttpResponse::Found()
        .insert_header((LOCATION, start.authorization_url.as_str()))
        .cookie(start.state_cookie)
        .finish())
}

#[utoipa::path(get, path = "/oauth/callback", tag = "sso", params(CallbackParams),
    responses(
        (status = 200, description = "Logged in: a new session and its tokens (amr [\"oidc\"])", body = TokenResponse),
        (status = 302, description = "Front-end redirect mode: to the front-end URL with the token response, or error and error_description, in the fragment"),
        (status = 400, description = "Unknown, expired, replayed or malformed state; no state cookie of this browser, or another login's; no code (error invalid_request)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The provider answered error= (error: the provider's code when it is a standard one, else access_denied), the code exchange failed, the ID token failed verification, or the account is disabled (error access_denied)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The provider, Redis or the token service is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn callback<U: UserStore, F: FailureStore>(
    req: HttpRequest,
    state: web::Data<AppState<U, F>>,
) -> Result<HttpResponse, Error> {
    let params = web::Query::<CallbackParams>::from_query(req.query_string())
        .map_err(|_| Error::InvalidInput { field: "query", reason: "is malformed" })?
        .into_inner();
    let client = LoginClient { address: state.trusted_proxies.client_address_of(&req), user_agent: user_agent(&req) };
    let outcome = complete_login(&state, params, |name| req.cookie(name).map(|c| c.value().to_owned()), client).await;
    state.metrics.record_login(LoginMethod::Oidc, &outcome.result);
    let mut response = match (outcome.frontend_redirect, outcome.result) {
        (None, Ok(tokens)) => HttpResponse::Ok().json(tokens),
        // Built here rather than returned, so that the state cookie is cleared on failures too; the
        // error stays attached to the response for the request's span.
        (None, Err(error)) => HttpResponse::from_error(error),
        (Some(frontend), Ok(tokens)) => redirect(frontend, &token_fragment(&tokens)),
        (Some(frontend), Err(error)) => {
            let (code, description) = error.redirect_error();
            let fragment = form(&[("error", code.as_code()), ("error_description", &description)]);
            redirect(frontend, &fragment)
        }
    };
    // The cookie's name, path and (empty) value are ours and always valid header text; were one not, the
    // cookie would simply expire with its state.
    if let Some(cookie) = outcome.clear_cookie
        && let Err(error) = response.add_cookie(&cookie)
    {
        tracing::warn!(%error, "could not clear the SSO state cookie");
    }
    Ok(response)
}

/// The token response as `application/x-www-form-urlencoded`, as OAuth 2.0 puts results in a fragment
/// (the fragment never reaches a server, so tokens stay out of access logs and `Referer`).
fn token_fragment(tokens: &TokenResponse) -> String {
    form(&[
        ("access_token", &tokens.access_token),
        ("token_type", &tokens.token_type),
        ("expires_in", &tokens.expires_in.to_string()),
        ("refresh_token", &tokens.refresh_token),
        ("refresh_expires_in", &tokens.refresh_expires_in.to_string()),
        ("session_id", &tokens.session_id),
    ])
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

fn redirect(mut frontend: Url, fragment: &str) -> HttpResponse {
    frontend.set_fragment(Some(fragment));
    HttpResponse::Found().insert_header((LOCATION, frontend.as_str())).finish()
}
