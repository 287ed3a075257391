//! Single sign-on (`/oauth/login`, `/oauth/callback`) against a real OpenID Connect provider
//! (`oidc-provider` under Node), driven through its login and consent pages as a browser would.

use e2e_tests::api::{Api, Reply};
use e2e_tests::checks::{assert_problem, assert_unauthorized, assert_unavailable, sample, token_response};
use e2e_tests::jwt;
use e2e_tests::oidc_provider::{Browser, Consent, OidcProvider, ProviderOptions};
use e2e_tests::platform::{Platform, PlatformBuilder, Service};
use serde_json::{Value, json};
use test_support::free_port;

const CLIENT_ID: &str = "auth-platform-e2e";
const CLIENT_SECRET: &str = "e2e-client-secret-0123456789abcdef";
const FRONTEND: &str = "https://app.example.test/sso/done";

/// A platform whose authn has the provider `default` (and maybe more) configured.
struct Sso {
    platform: Platform,
    idp: OidcProvider,
    callback: String,
}

impl Sso {
    async fn start() -> Self {
        Self::start_with(|options| options, |builder| builder).await
    }

    async fn start_with(
        provider: impl FnOnce(ProviderOptions) -> ProviderOptions,
        platform: impl FnOnce(PlatformBuilder) -> PlatformBuilder,
    ) -> Self {
        let authn_port = free_port();
        let callback = format!("http://127.0.0.1:{authn_port}/oauth/callback");
        let idp = OidcProvider::start(provider(ProviderOptions::new(CLIENT_ID, CLIENT_SECRET, &callback))).await;
        let builder = Platform::builder()
            .port(Service::Authn, authn_port)
            .env(Service::Authn, "OIDC_ISSUER_URL", idp.issuer())
            .env(Service::Authn, "OIDC_CLIENT_ID", CLIENT_ID)
            .env(Service::Authn, "OIDC_CLIENT_SECRET", CLIENT_SECRET)
            .env(Service::Authn, "OIDC_REDIRECT_URL", callback.clone());
        let platform = platform(builder).start().await;
        Self { platform, idp, callback }
    }

    fn api(&self) -> &Api {
        self.platform.api()
    }

    /// `GET /oauth/login` with the given query; asserts the 302 and returns the provider URL.
    async fn authorization_url(&self, query: &str) -> String {
        let reply = self.api().get(Service::Authn, &format!("/oauth/login{query}")).await;
        reply.expect_status(302);
        reply.header("location").unwrap_or_else(|| panic!("no Location: {reply}")).to_owned()
    }

    /// The whole browser flow up to the callback URL (not yet requested).
    async fn callback_url(&self, query: &str, login: &str, consent: Consent) -> String {
        let authorization = self.authorization_url(query).await;
        Browser::new().sign_in(&authorization, login, consent, &self.callback).await
    }

    /// Requests the callback URL at authn.
    async fn callback(&self, url: &str) -> Reply {
        let base = self.api().url(Service::Authn, "");
        let path = url.strip_prefix(&base).unwrap_or_else(|| panic!("{url} is not at authn ({base})"));
        self.api().get(Service::Authn, path).await
    }

    /// Login, consent, callback: the token response's values.
    async fn log_in(&self, login: &str) -> e2e_tests::api::Tokens {
        let url = self.callback_url("", login, Consent::Grant).await;
        let reply = self.callback(&url).await;
        reply.expect_status(200);
        token_response(&reply)
    }

    /// How many Redis keys match `pattern`: proof that nothing was created.
    async fn keys(&self, pattern: &str) -> usize {
        let client = redis::Client::open(self.platform.redis().url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS").arg(pattern).query_async(&mut connection).await.unwrap();
        keys.len()
    }

    /// authn's `authn_login_attempts_total{method="oidc",outcome=…}` now.
    async fn sso_logins(&self, outcome: &str) -> f64 {
        let metrics = self.api().get(Service::Authn, "/metrics").await.body;
        sample(&metrics, &format!(r#"authn_login_attempts_total{{method="oidc",outcome="{outcome}"}}"#))
    }

    async fn assert_nothing_created(&self) {
        assert_eq!(self.keys("authn:{users}:user:*").await, 0, "no user was created");
        assert_eq!(self.keys("authn:{users}:identity:*").await, 0, "no identity was created");
        assert_eq!(self.keys("session:*").await, 0, "no session was created");
    }
}

/// A query parameter of a URL (or of its fragment).
fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once(['?', '#']).map_or("", |(_, rest)| rest);
    query.split(['&', '#']).filter_map(|pair| pair.split_once('=')).find(|(key, _)| *key == name).map(|(_, value)| {
        url::form_urlencoded::parse(format!("v={value}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    })
}

#[tokio::test]
async fn sso_login_gives_a_session_with_amr_oidc_and_the_same_user_next_time() {
    let sso = Sso::start().await;
    let api = sso.api();

    let authorization = sso.authorization_url("?provider=default").await;
    assert!(authorization.starts_with(&format!("{}/auth?", sso.idp.issuer())), "{authorization}");
    assert_eq!(param(&authorization, "response_type").as_deref(), Some("code"));
    assert_eq!(param(&authorization, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param(&authorization, "client_id").as_deref(), Some(CLIENT_ID));
    for name in ["state", "nonce", "code_challenge"] {
        assert!(param(&authorization, name).is_some_and(|value| value.len() >= 22), "{name} in {authorization}");
    }
    let scope = param(&authorization, "scope").unwrap_or_default();
    assert!(["openid", "email", "profile"].iter().all(|s| scope.split(' ').any(|x| x == *s)), "scope {scope}");

    let callback = Browser::new().sign_in(&authorization, "jane", Consent::Grant, &sso.callback).await;
    let reply = sso.callback(&callback).await;
    reply.expect_status(200);
    let tokens = token_response(&reply);
    let claims = jwt::claims(&tokens.access_token);
    assert_eq!(claims["amr"], json!(["oidc"]), "{claims}");
    assert_eq!(claims["preferred_username"], json!("jane"), "{claims}");
    let user_id = claims["sub"].as_str().unwrap().to_owned();

    let status = api.session_status(&tokens.access_token).await;
    status.expect_status(200);
    assert_eq!(status.json()["user_id"], json!(user_id));
    assert_eq!(status.json()["session_id"], json!(tokens.session_id));

    // Refresh and revoke are the password login's.
    let refreshed = api.refresh(&tokens.refresh_token).await;
    refreshed.expect_status(200);
    let refreshed = token_response(&refreshed);
    assert_eq!(jwt::claims(&refreshed.access_token)["amr"], json!(["oidc"]));
    api.revoke(&refreshed.refresh_token).await.expect_status(200);
    assert_unauthorized(&api.session_status(&refreshed.access_token).await);

    // The same subject again: the same account, a new session. Another subject: another account.
    let again = sso.log_in("jane").await;
    assert_eq!(jwt::claims(&again.access_token)["sub"], json!(user_id));
    assert_ne!(again.session_id, tokens.session_id);
    let other = sso.log_in("john").await;
    assert_ne!(jwt::claims(&other.access_token)["sub"], json!(user_id));
    assert_eq!(sso.keys("authn:{users}:user:*").await, 2);

    // An SSO account has no password: password login is refused.
    assert_unauthorized(&api.login("jane", "any password").await);
}

#[tokio::test]
async fn a_replayed_callback_is_refused_and_creates_no_session() {
    let sso = Sso::start().await;
    let url = sso.callback_url("", "jane", Consent::Grant).await;
    let first = sso.callback(&url).await;
    first.expect_status(200);
    let tokens = token_response(&first);
    let sessions_before = sso.keys("session:*").await;

    let replay = sso.callback(&url).await;
    assert_problem(&replay, 400);
    assert!(replay.json()["detail"].as_str().unwrap_or_default().contains("state"), "{replay}");
    assert_eq!(sso.keys("session:*").await, sessions_before, "no session was created");
    let list = sso.api().session_list(&tokens.access_token).await;
    list.expect_status(200);
    assert_eq!(list.json()["sessions"].as_array().map(Vec::len), Some(1), "{list}");
}

#[tokio::test]
async fn a_wrong_tampered_or_missing_state_is_refused_and_the_real_one_still_works() {
    let sso = Sso::start().await;
    let url = sso.callback_url("", "jane", Consent::Grant).await;
    let state = param(&url, "state").unwrap();
    let code = param(&url, "code").unwrap();

    let mut tampered = state.clone();
    let last = if tampered.ends_with('A') { 'B' } else { 'A' };
    tampered.pop();
    tampered.push(last);
    for query in [
        format!("?code={code}&state={tampered}"),
        format!("?code={code}&state=bm90LWEtc3RhdGUtb2YtdGhpcy1zZXJ2aWNl"),
        format!("?code={code}&state=%3Cscript%3E"),
        format!("?code={code}"),
    ] {
        let reply = sso.api().get(Service::Authn, &format!("/oauth/callback{query}")).await;
        assert_problem(&reply, 400);
    }
    sso.assert_nothing_created().await;

    // None of those consumed the real state.
    sso.callback(&url).await.expect_status(200);
}

#[tokio::test]
async fn access_denied_at_the_provider_is_a_401_carrying_its_error_and_creates_nothing() {
    let sso = Sso::start().await;
    let url = sso.callback_url("", "jane", Consent::Deny).await;
    assert_eq!(param(&url, "error").as_deref(), Some("access_denied"), "{url}");
    let reply = sso.callback(&url).await;
    assert_unauthorized(&reply);
    assert!(reply.json()["detail"].as_str().unwrap_or_default().contains("access_denied"), "{reply}");
    sso.assert_nothing_created().await;
    // The state was used up by the error answer.
    assert_problem(&sso.callback(&url).await, 400);
}

#[tokio::test]
async fn an_id_token_signed_by_an_unpublished_key_is_refused_and_creates_nothing() {
    let sso = Sso::start_with(|options| ProviderOptions { serve_other_jwks: true, ..options }, |builder| builder).await;
    let url = sso.callback_url("", "mallory", Consent::Grant).await;
    let reply = sso.callback(&url).await;
    assert_unauthorized(&reply);
    assert!(reply.body.contains("invalid-id-token"), "{reply}");
    sso.assert_nothing_created().await;
    assert_eq!(sso.sso_logins("bad_credentials").await, 1.0);
}

#[tokio::test]
async fn a_disabled_sso_account_is_refused_with_401_and_gets_no_session() {
    let sso = Sso::start().await;
    let tokens = sso.log_in("jane").await;
    let user_id = jwt::claims(&tokens.access_token)["sub"].clone();
    let (ok, output) = sso.platform.admin(Service::Authn, &["users", "disable", "jane"], "").await;
    assert!(ok, "`users disable jane` failed: {output}");
    assert_unauthorized(&sso.api().session_status(&tokens.access_token).await);

    let sessions_before = sso.keys("session:*").await;
    let url = sso.callback_url("", "jane", Consent::Grant).await;
    let reply = sso.callback(&url).await;
    assert_unauthorized(&reply);
    assert!(reply.body.contains("account-disabled"), "{reply}");
    assert!(!reply.body.contains("access_token"), "{reply}");
    assert_eq!(sso.keys("session:*").await, sessions_before, "no session was created");
    assert_eq!(sso.keys("authn:{users}:user:*").await, 1, "the identity still leads to the one, disabled, account");
    assert_eq!(sso.sso_logins("bad_credentials").await, 1.0);

    // Another subject at the provider is another account, and is let in.
    let other = sso.log_in("john").await;
    assert_ne!(jwt::claims(&other.access_token)["sub"], user_id);
}

#[tokio::test]
async fn sso_logins_are_counted_in_the_metrics_by_outcome() {
    let sso = Sso::start().await;
    let url = sso.callback_url("", "jane", Consent::Grant).await;
    sso.callback(&url).await.expect_status(200);
    assert_problem(&sso.callback(&url).await, 400);
    let denied = sso.callback_url("", "jane", Consent::Deny).await;
    assert_unauthorized(&sso.callback(&denied).await);

    assert_eq!(sso.sso_logins("success").await, 1.0, "the login");
    assert_eq!(sso.sso_logins("rejected").await, 1.0, "the replayed callback");
    assert_eq!(sso.sso_logins("provider_error").await, 1.0, "error=access_denied");
    assert_eq!(sso.sso_logins("bad_credentials").await, 0.0);
    let metrics = sso.api().get(Service::Authn, "/metrics").await.body;
    assert_eq!(sample(&metrics, r#"authn_login_attempts_total{method="password",outcome="success"}"#), 0.0);
}

/// A provider whose discovery document names another issuer than `OIDC_ISSUER_URL` (a proxy in front
/// of it, a typo in the setting, or a mix-up): its metadata and keys are not trusted at all, so no
/// login can start, let alone create an account. authn answers 503 (SSO with that provider cannot
/// work now) and logs why.
#[tokio::test]
async fn a_provider_announcing_another_issuer_is_refused_at_discovery_and_creates_nothing() {
    let announced = "https://login.example.test";
    let sso = Sso::start_with(
        |options| ProviderOptions { announced_issuer: Some(announced.to_owned()), ..options },
        |builder| builder,
    )
    .await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let discovery = client.get(format!("{}/.well-known/openid-configuration", sso.idp.issuer())).send().await;
    let discovery: Value = discovery.unwrap().json().await.unwrap();
    assert_eq!(discovery["issuer"], json!(announced), "the provider really announces another issuer");

    let reply = sso.api().get(Service::Authn, "/oauth/login").await;
    assert_unavailable(&reply);
    assert!(reply.body.contains("identity provider"), "{reply}");
    let log = sso.platform.log(Service::Authn);
    assert!(log.contains("unexpected issuer"), "authn's log should say why:\n{log}");
    sso.assert_nothing_created().await;
    assert_eq!(sso.keys("authn:oidc:state:*").await, 0, "no login was started");
}

#[tokio::test]
async fn a_provider_key_rotation_is_picked_up_by_re_fetching_its_keys() {
    let mut sso = Sso::start().await;
    let first = sso.log_in("jane").await;
    sso.idp.restart().await;
    let after = sso.log_in("jane").await;
    assert_eq!(jwt::claims(&after.access_token)["sub"], jwt::claims(&first.access_token)["sub"]);
    sso.api().session_status(&after.access_token).await.expect_status(200);
}

#[tokio::test]
async fn a_provider_down_gives_503_password_login_and_readiness_go_on_and_sso_recovers() {
    let mut sso = Sso::start().await;
    sso.idp.stop();
    let reply = sso.api().get(Service::Authn, "/oauth/login").await;
    assert_unavailable(&reply);
    sso.api().get(Service::Authn, "/readyz").await.expect_status(200);
    sso.api().signed_in().await;

    sso.idp.restart().await;
    let tokens = sso.log_in("jane").await;
    sso.api().session_status(&tokens.access_token).await.expect_status(200);
}

#[tokio::test]
async fn front_end_redirect_mode_sends_the_result_in_the_fragment_of_an_allowed_url_only() {
    let sso = Sso::start_with(
        |options| options,
        |builder| builder.env(Service::Authn, "OIDC_FRONTEND_REDIRECT_URLS", FRONTEND),
    )
    .await;
    let query =
        format!("?redirect_uri={}", url::form_urlencoded::byte_serialize(FRONTEND.as_bytes()).collect::<String>());

    let url = sso.callback_url(&query, "jane", Consent::Grant).await;
    let reply = sso.callback(&url).await;
    reply.expect_status(302);
    let location = reply.header("location").unwrap().to_owned();
    assert!(location.starts_with(&format!("{FRONTEND}#")), "{location}");
    assert_eq!(param(&location, "token_type").as_deref(), Some("Bearer"));
    let access_token = param(&location, "access_token").unwrap();
    assert!(param(&location, "refresh_token").is_some() && param(&location, "session_id").is_some(), "{location}");
    sso.api().session_status(&access_token).await.expect_status(200);

    // An error goes to the front end too.
    let denied = sso.callback_url(&query, "jane", Consent::Deny).await;
    let reply = sso.callback(&denied).await;
    reply.expect_status(302);
    let location = reply.header("location").unwrap().to_owned();
    assert!(location.starts_with(&format!("{FRONTEND}#")), "{location}");
    assert_eq!(param(&location, "error").as_deref(), Some("access_denied"), "{location}");

    // Anything not on the allow-list is refused before the provider is involved.
    for other in [
        "https://evil.example/sso/done",
        "https://app.example.test/sso/done/../../x",
        "https://app.example.test/sso/done?x=1",
        "/relative",
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(other.as_bytes()).collect();
        assert_problem(&sso.api().get(Service::Authn, &format!("/oauth/login?redirect_uri={encoded}")).await, 400);
    }
}

#[tokio::test]
async fn two_named_providers_at_once_keep_their_users_apart() {
    let sso_port = free_port();
    let callback = format!("http://127.0.0.1:{sso_port}/oauth/callback");
    let default = OidcProvider::start(ProviderOptions::new(CLIENT_ID, CLIENT_SECRET, &callback)).await;
    let corp = OidcProvider::start(ProviderOptions {
        token_auth_method: Some("client_secret_post".to_owned()),
        ..ProviderOptions::new("corp-client", "corp-secret-0123456789", &callback)
    })
    .await;
    let platform = Platform::builder()
        .port(Service::Authn, sso_port)
        .env(Service::Authn, "OIDC_ISSUER_URL", default.issuer())
        .env(Service::Authn, "OIDC_CLIENT_ID", CLIENT_ID)
        .env(Service::Authn, "OIDC_CLIENT_SECRET", CLIENT_SECRET)
        .env(Service::Authn, "OIDC_REDIRECT_URL", callback.clone())
        .env(Service::Authn, "OIDC_PROVIDERS", "corp")
        .env(Service::Authn, "OIDC_CORP_ISSUER_URL", corp.issuer())
        .env(Service::Authn, "OIDC_CORP_CLIENT_ID", "corp-client")
        .env(Service::Authn, "OIDC_CORP_CLIENT_SECRET", "corp-secret-0123456789")
        .env(Service::Authn, "OIDC_CORP_REDIRECT_URL", callback.clone())
        .env(Service::Authn, "OIDC_CORP_TOKEN_AUTH_METHOD", "client_secret_post")
        .start()
        .await;
    let api = platform.api();
    let mut users = Vec::new();
    for (provider, issuer) in [("default", default.issuer()), ("corp", corp.issuer())] {
        let reply = api.get(Service::Authn, &format!("/oauth/login?provider={provider}")).await;
        reply.expect_status(302);
        let authorization = reply.header("location").unwrap().to_owned();
        assert!(authorization.starts_with(&issuer), "{provider}: {authorization}");
        let url = Browser::new().sign_in(&authorization, "alice", Consent::Grant, &callback).await;
        let path = url.strip_prefix(&api.url(Service::Authn, "")).unwrap();
        let reply = api.get(Service::Authn, path).await;
        reply.expect_status(200);
        let claims = jwt::claims(&token_response(&reply).access_token);
        users.push((claims["sub"].clone(), claims["preferred_username"].clone()));
    }
    assert_ne!(users[0].0, users[1].0, "the same subject at two issuers is two accounts");
    assert_eq!(users[0].1, json!("alice"));
    assert_eq!(users[1].1, json!("alice-2"), "the second account's username is made unique");

    let unknown = api.get(Service::Authn, "/oauth/login?provider=nope").await;
    assert_problem(&unknown, 404);
}

#[tokio::test]
async fn a_verified_email_links_to_the_password_account_when_enabled() {
    let sso =
        Sso::start_with(|options| options, |builder| builder.env(Service::Authn, "OIDC_LINK_VERIFIED_EMAIL", "true"))
            .await;
    let api = sso.api();
    let registered = api
        .post_json(
            Service::Authn,
            "/register",
            &json!({"username": "jdoe", "password": "long enough password", "email": "Jane.Doe@example.com"}),
        )
        .await;
    registered.expect_status(201);
    let user_id: Value = registered.json()["user_id"].clone();

    let tokens = sso.log_in("jane.doe@example.com").await;
    let claims = jwt::claims(&tokens.access_token);
    assert_eq!(claims["sub"], user_id, "the SSO login landed in the password account: {claims}");
    assert_eq!(claims["amr"], json!(["oidc"]));
    // The password still works, and the link holds.
    api.login("jdoe", "long enough password").await.expect_status(200);
    assert_eq!(jwt::claims(&sso.log_in("jane.doe@example.com").await.access_token)["sub"], user_id);

    // An unverified email never links.
    api.post_json(
        Service::Authn,
        "/register",
        &json!({"username": "unv", "password": "long enough password", "email": "unverified-x@example.com"}),
    )
    .await
    .expect_status(201);
    let unverified = sso.log_in("unverified-x@example.com").await;
    assert_ne!(jwt::claims(&unverified.access_token)["sub"], user_id);
    assert_eq!(sso.keys("authn:{users}:user:*").await, 3);
}

#[tokio::test]
async fn without_oidc_settings_sso_answers_404_naming_it() {
    let platform = Platform::start().await;
    let reply = platform.api().get(Service::Authn, "/oauth/login").await;
    assert_problem(&reply, 404);
    assert!(reply.json()["detail"].as_str().unwrap_or_default().contains("single sign-on"), "{reply}");
    assert_problem(&platform.api().get(Service::Authn, "/oauth/callback?code=x&state=y").await, 400);
}
