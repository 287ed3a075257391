//! `POST /register` `{"username", "password", "email"?}` → 201 `{"user_id", "username"}`.

use crate::error::Error;
use crate::lockout::FailureStore;
use crate::registration::{NewAccount, create_account};
use crate::state::AppState;
use crate::users::UserStore;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_proto::problem::Problem;
use auth_proto::public::{RegisterRequest, RegisterResponse};
use service_kit::body::ApiBody;

#[utoipa::path(post, path = "/register", tag = "authn",
    request_body(content((RegisterRequest = "application/json"), (RegisterRequest = "application/x-www-form-urlencoded"))),
    responses(
        (status = 201, description = "The account was created", body = RegisterResponse),
        (status = 400, description = "Username outside 1-64 letters, digits and ._@-; password outside 8-1024 characters; malformed email or body", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Registration is off (ALLOW_REGISTRATION)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The username is taken (case-insensitively)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Over RATE_LIMIT_PER_MINUTE requests from this client address (with /oauth/login) in the minute; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Redis or the hashing pool is unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn register<U: UserStore, F: FailureStore>(
    req: HttpRequest,
    state: web::Data<AppState<U, F>>,
    ApiBody(body): ApiBody<RegisterRequest>,
) -> Result<HttpResponse, Error> {
    state.rate_limit.admit(state.trusted_proxies.client_address_of(&req)).await?;
    if !state.allow_registration {
        return Err(Error::RegistrationClosed);
    }
    let account = NewAccount::parse(&body.username, body.password, body.email.as_deref())?;
    let user = create_account(&state.users, &state.hasher, account).await?;
    Ok(HttpResponse::Created()
        .json(RegisterResponse { user_id: user.id.to_string(), username: user.username.to_string() }))
}
