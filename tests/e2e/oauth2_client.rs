//! The platform used as an application team would wire it: through a mainstream OAuth 2.0 client library
//! (the `oauth2` crate), behind the repository's nginx gateway over HTTPS (the crate refuses a revocation
//! URL that is not `https`, as RFC 7009 asks). The password grant goes to `/login`, the refresh grant to
//! `/token/refresh`, revocation to `/token/revoke` and introspection to `/token/introspect` with client
//! credentials from `INTROSPECTION_CREDENTIALS`. Every success is a typed answer of the library and every
//! failure the typed RFC 6749 error it should be (`invalid_grant`, …): never a parse error, never a token.

use e2e_tests::api::Account;
use e2e_tests::gateway::Gateway;
use e2e_tests::oauth2_http::{OAuth2Http, TransportError};
use e2e_tests::platform::{Platform, PlatformBuilder, Service};
use oauth2::basic::{
    BasicClient, BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse, BasicTokenType,
};
use oauth2::{
    AccessToken, ClientId, ClientSecret, EndpointNotSet, EndpointSet, IntrospectionUrl, RefreshToken,
    RequestTokenError, ResourceOwnerPassword, ResourceOwnerUsername, RevocationErrorResponseType, RevocationUrl,
    StandardRevocableToken, TokenIntrospectionResponse, TokenResponse, TokenUrl,
};

/// The resource server's credentials, as `INTROSPECTION_CREDENTIALS` lists them. The secret has
/// characters that RFC 6749 §2.3.1's form encoding (which the library applies) changes.
const RESOURCE_SERVER_ID: &str = "orders-api";
const RESOURCE_SERVER_SECRET: &str = "orders-api secret+/=%-0123456789";
/// The application's public client id: the platform needs none, and the library sends it in the body.
const APPLICATION_ID: &str = "orders-web";

/// A client whose token endpoint is `token_url` and no other endpoint.
type GrantClient = BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;
/// A client for revocation (application) or introspection (resource server).
type RevokingClient = BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet, EndpointNotSet>;
type IntrospectingClient = BasicClient<EndpointNotSet, EndpointNotSet, EndpointSet, EndpointNotSet, EndpointNotSet>;

/// The platform behind an HTTPS gateway, and the clients an application team would configure.
struct OAuthSetup {
    platform: Platform,
    gateway: Gateway,
    http: OAuth2Http,
    /// The password grant: token URL `/login`.
    login: GrantClient,
    /// The refresh grant: token URL `/token/refresh`.
    refresh: GrantClient,
    revocation: RevokingClient,
    introspection: IntrospectingClient,
}

impl OAuthSetup {
    async fn start() -> Self {
        Self::start_with(|builder| builder).await
    }

    async fn start_with(configure: impl FnOnce(PlatformBuilder) -> PlatformBuilder) -> Self {
        let credentials = format!("{RESOURCE_SERVER_ID}:{RESOURCE_SERVER_SECRET}");
        let platform =
            configure(Platform::builder().env(Service::Token, "INTROSPECTION_CREDENTIALS", credentials)).start().await;
        let gateway = Gateway::start_with_tls(&platform).await;
        let http = OAuth2Http::trusting(gateway.tls_certificate_pem());
        let application = || BasicClient::new(ClientId::new(APPLICATION_ID.to_owned()));
        let login = application().set_token_uri(TokenUrl::new(gateway.tls_url("/login")).unwrap());
        let refresh = application().set_token_uri(TokenUrl::new(gateway.tls_url("/token/refresh")).unwrap());
        let revocation =
            application().set_revocation_url(RevocationUrl::new(gateway.tls_url("/token/revoke")).unwrap());
        let introspection = resource_server(&gateway, RESOURCE_SERVER_SECRET);
        Self { platform, gateway, http, login, refresh, revocation, introspection }
    }

    async fn password_grant(
        &self,
        username: &str,
        password: &str,
    ) -> Result<oauth2::basic::BasicTokenResponse, RequestTokenError<TransportError, BasicErrorResponse>> {
        let username = ResourceOwnerUsername::new(username.to_owned());
        let password = ResourceOwnerPassword::new(password.to_owned());
        self.login.exchange_password(&username, &password).request_async(&self.http).await
    }

    async fn refresh_grant(
        &self,
        refresh_token: &str,
    ) -> Result<oauth2::basic::BasicTokenResponse, RequestTokenError<TransportError, BasicErrorResponse>> {
        let refresh_token = RefreshToken::new(refresh_token.to_owned());
        self.refresh.exchange_refresh_token(&refresh_token).request_async(&self.http).await
    }

    async fn introspect(&self, token: &str, hint: &str) -> oauth2::basic::BasicTokenIntrospectionResponse {
        let token = AccessToken::new(token.to_owned());
        let request = self.introspection.introspect(&token).set_token_type_hint(hint);
        request.request_async(&self.http).await.unwrap_or_else(|error| panic!("introspection failed: {error:?}"))
    }

    async fn revoke(
        &self,
        token: StandardRevocableToken,
    ) -> Result<(), RequestTokenError<TransportError, BasicRevocationErrorResponse>> {
        let request = self.revocation.revoke_token(token).expect("an https revocation URL");
        request.request_async(&self.http).await
    }
}

/// The resource server's client, with `secret`.
fn resource_server(gateway: &Gateway, secret: &str) -> IntrospectingClient {
    BasicClient::new(ClientId::new(RESOURCE_SERVER_ID.to_owned()))
        .set_client_secret(ClientSecret::new(secret.to_owned()))
        .set_introspection_url(IntrospectionUrl::new(gateway.tls_url("/token/introspect")).unwrap())
}

/// The typed error response of a failed call: anything else (a token, a parse error) fails the test.
fn server_error<T: std::fmt::Debug, E: oauth2::ErrorResponse>(
    result: Result<T, RequestTokenError<TransportError, E>>,
) -> E {
    match result {
        Err(RequestTokenError::ServerResponse(error)) => error,
        Err(other) => panic!("expected an RFC 6749 error response, the client reported {other:?}"),
        Ok(answer) => panic!("expected an RFC 6749 error response, the client returned {answer:?}"),
    }
}

fn assert_code(error: &BasicErrorResponse, code: BasicErrorResponseType) {
    assert_eq!(error.error(), &code, "{error:?}");
    assert!(error.error_description().is_some_and(|description| !description.is_empty()), "{error:?}");
}

#[tokio::test]
async fn password_grant_refresh_revocation_and_introspection_through_oauth2_rs() {
    let setup = OAuthSetup::start().await;
    let api = setup.gateway.api();
    let account = api.new_account().await;

    let tokens = setup.password_grant(&account.username, &account.password).await.expect("the password grant");
    assert_eq!(tokens.token_type(), &BasicTokenType::Bearer);
    assert!(tokens.expires_in().is_some_and(|lifetime| lifetime.as_secs() > 0));
    let first_refresh = tokens.refresh_token().expect("a refresh token").secret().clone();
    api.session_status(tokens.access_token().secret()).await.expect_status(200);

    let access = setup.introspect(tokens.access_token().secret(), "access_token").await;
    assert!(access.active());
    assert_eq!(access.sub(), Some(account.user_id.as_str()));
    assert_eq!(access.username(), Some(account.username.as_str()));
    assert_eq!(access.token_type(), Some(&BasicTokenType::Extension("access_token".to_owned())));

    let refreshed = setup.refresh_grant(&first_refresh).await.expect("the refresh grant");
    let second_refresh = refreshed.refresh_token().expect("a new refresh token").secret().clone();
    assert_ne!(second_refresh, first_refresh, "every refresh rotates the refresh token");
    api.session_status(refreshed.access_token().secret()).await.expect_status(200);
    assert!(setup.introspect(&second_refresh, "refresh_token").await.active());

    // Revoking the access token refuses it at once; revoking the refresh token ends the session.
    let revoked_access = StandardRevocableToken::AccessToken(refreshed.access_token().clone());
    setup.revoke(revoked_access).await.expect("revocation of the access token");
    api.session_status(refreshed.access_token().secret()).await.expect_status(401);
    assert!(!setup.introspect(refreshed.access_token().secret(), "access_token").await.active());
    setup
        .revoke(StandardRevocableToken::RefreshToken(RefreshToken::new(second_refresh.clone())))
        .await
        .expect("revocation of the refresh token");
    assert!(!setup.introspect(&second_refresh, "refresh_token").await.active());
    assert_code(&server_error(setup.refresh_grant(&second_refresh).await), BasicErrorResponseType::InvalidGrant);
    // RFC 7009: an unknown token is no error.
    let unknown = StandardRevocableToken::RefreshToken(RefreshToken::new("never-issued".to_owned()));
    setup.revoke(unknown).await.expect("an unknown token revokes fine");
}

#[tokio::test]
async fn token_responses_are_not_cached() {
    let setup = OAuthSetup::start().await;
    let api = setup.gateway.api();
    let account = api.new_account().await;
    let login = api.login(&account.username, &account.password).await;
    login.expect_status(200);
    let refresh = api.refresh(&e2e_tests::checks::token_response(&login).refresh_token).await;
    refresh.expect_status(200);
    for reply in [&login, &refresh] {
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{reply}");
        assert_eq!(reply.header("pragma"), Some("no-cache"), "RFC 6749 §5.1: {reply}");
    }
}

#[tokio::test]
async fn each_failure_of_the_grants_is_the_typed_error_the_client_expects() {
    let setup = OAuthSetup::start().await;
    let api = setup.gateway.api();
    let account: Account = api.new_account().await;

    // Wrong credentials: an unknown user and a wrong password alike.
    let wrong = server_error(setup.password_grant(&account.username, "not the password").await);
    assert_code(&wrong, BasicErrorResponseType::InvalidGrant);
    let unknown = server_error(setup.password_grant("nobody-here", "whatever password").await);
    assert_code(&unknown, BasicErrorResponseType::InvalidGrant);
    assert_eq!(wrong.error_description(), unknown.error_description(), "one answer for both");

    // Another grant type, at either token URL.
    let client_credentials = setup.login.exchange_client_credentials().request_async(&setup.http).await;
    assert_code(&server_error(client_credentials), BasicErrorResponseType::UnsupportedGrantType);
    let username = ResourceOwnerUsername::new(account.username.clone());
    let password = ResourceOwnerPassword::new(account.password.clone());
    let password_at_refresh = setup.refresh.exchange_password(&username, &password).request_async(&setup.http).await;
    assert_code(&server_error(password_at_refresh), BasicErrorResponseType::UnsupportedGrantType);

    // A malformed request: a parameter sent twice.
    let repeated = setup
        .login
        .exchange_password(&username, &password)
        .add_extra_param("username", "someone-else")
        .request_async(&setup.http)
        .await;
    assert_code(&server_error(repeated), BasicErrorResponseType::InvalidRequest);

    // A bad refresh token, and a reused one (which also ends the session).
    assert_code(&server_error(setup.refresh_grant("not-a-refresh-token").await), BasicErrorResponseType::InvalidGrant);
    let tokens = setup.password_grant(&account.username, &account.password).await.expect("the password grant");
    let first = tokens.refresh_token().expect("a refresh token").secret().clone();
    let second = setup.refresh_grant(&first).await.expect("the first refresh");
    let reused = server_error(setup.refresh_grant(&first).await);
    assert_code(&reused, BasicErrorResponseType::InvalidGrant);
    let successor = second.refresh_token().expect("a refresh token").secret();
    assert_code(&server_error(setup.refresh_grant(successor).await), BasicErrorResponseType::InvalidGrant);

    // A malformed revocation: no token.
    let empty = StandardRevocableToken::AccessToken(AccessToken::new(String::new()));
    let error = server_error(setup.revoke(empty).await);
    assert_eq!(error.error(), &RevocationErrorResponseType::Basic(BasicErrorResponseType::InvalidRequest));

    // A disabled account.
    let (disabled, _) = setup.platform.admin(Service::Authn, &["users", "disable", &account.username], "").await;
    assert!(disabled, "users disable");
    let refused = server_error(setup.password_grant(&account.username, &account.password).await);
    assert_code(&refused, BasicErrorResponseType::InvalidGrant);
}

#[tokio::test]
async fn a_locked_account_is_an_invalid_grant() {
    let setup = OAuthSetup::start_with(|builder| builder.env(Service::Authn, "LOGIN_MAX_FAILURES", "2")).await;
    let account = setup.gateway.api().new_account().await;
    for _ in 0..2 {
        let wrong = server_error(setup.password_grant(&account.username, "not the password").await);
        assert_code(&wrong, BasicErrorResponseType::InvalidGrant);
    }
    // Locked (429 with Retry-After): even the right password is refused, as an invalid grant.
    let locked = server_error(setup.password_grant(&account.username, &account.password).await);
    assert_code(&locked, BasicErrorResponseType::InvalidGrant);
}

#[tokio::test]
async fn introspection_needs_client_credentials_and_they_open_nothing_else() {
    let setup = OAuthSetup::start().await;
    let api = setup.gateway.api();
    let (_, tokens) = api.signed_in().await;
    let token = AccessToken::new(tokens.access_token.clone());

    for client in [
        resource_server(&setup.gateway, "a wrong secret"),
        // A public client: the library sends its id in the body and no Authorization header.
        BasicClient::new(ClientId::new(RESOURCE_SERVER_ID.to_owned()))
            .set_introspection_url(IntrospectionUrl::new(setup.gateway.tls_url("/token/introspect")).unwrap()),
    ] {
        let error = server_error(client.introspect(&token).request_async(&setup.http).await);
        assert_code(&error, BasicErrorResponseType::InvalidClient);
    }
    assert!(setup.introspect(&tokens.access_token, "access_token").await.active());

    // The same credentials at an internal route, straight to the token service (the gateway routes
    // no `/internal/` at all).
    let basic = reqwest::Client::new()
        .post(api_url(&setup.platform, "/internal/tokens"))
        .basic_auth(RESOURCE_SERVER_ID, Some(RESOURCE_SERVER_SECRET))
        .json(&serde_json::json!({"user_id": uuid::Uuid::new_v4().to_string(), "username": "x", "amr": ["pwd"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401, "introspection credentials open no internal route");
}

fn api_url(platform: &Platform, path: &str) -> String {
    platform.api().url(Service::Token, path)
}
