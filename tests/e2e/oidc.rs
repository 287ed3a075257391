//! Single sign-on (`/oauth/login`, `/oauth/callback`) against a real OpenID Connect provider
//! (`oidc-provider` under Node), driven through its login and consent pages as a browser would.

use e2e_tests::api::{Api, Reply};
use e2e_tests::checks::{
    assert_problem, assert_unauthorized, assert_unavailable, sample, state_cookie, token_response,
};
use e2e_tests::jwt;
use e2e_tests::oidc_provider::{Browser, Consent, OidcProvider, ProviderOptions};
use e2e_tests::otlp::OtlpReceiver;
use e2e_tests::platform::{Platform, PlatformBuilder, Service};
use serde_json::{Value, json};
use std::time::Duration;
use test_support::free_port;

const CLIENT_ID: &str = "auth-platform-e2e";
const CLIENT_SECRET: &str = "e2e-client-secret-0123456789abcdef";
const FRONTEND: &str = "https://app.example.test/sso/done";

/// The callback URL the provider sent the browser to, and the state cookie authn set on that browser
/// (`name=value`), which the callback needs.
#[derive(Debug, Clone)]
struct Callback {
    url: String,
    cookie: String,
}

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

    /// `GET /oauth/login` with the given query; asserts the 302 and returns the provider URL and the
    /// state cookie.
    async fn authorization_url(&self, query: &str) -> (String, String) {
        let reply = self.api().get(Service::Authn, &format!("/oauth/login{query}")).await;
        reply.expect_status(302);
        let location = reply.header("location").unwrap_or_else(|| panic!("no Location: {reply}")).to_owned();
        (location, state_cookie(&reply))
    }

    /// The whole browser flow up to the callback URL (not yet requested).
    async fn callback_url(&self, query: &str, login: &str, consent: Consent) -> Callback {
        let (authorization, cookie) = self.authorization_url(query).await;
        let url = Browser::new().sign_in(&authorization, login, consent, &self.callback).await;
        Callback { url, cookie }
    }

    /// Requests the callback URL at authn from the browser that started the login (with its cookie).
    async fn callback(&self, callback: &Callback) -> Reply {
        self.callback_with(&callback.url, Some(&callback.cookie)).await
    }

    /// Requests a callback URL with the given `Cookie` header, or none.
    async fn callback_with(&self, url: &str, cookie: Option<&str>) -> Reply {
        let api = self.api();
        let base = api.url(Service::Authn, "");
        let path = url.strip_prefix(&base).unwrap_or_else(|| panic!("{url} is not at authn ({base})"));
        let request = api.request(reqwest::Method::GET, Service::Authn, path);
        let request = match cookie {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        };
        api.send(request).await
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

    let (authorization, cookie) = sso.authorization_url("?provider=default").await;
    assert!(authorization.starts_with(&format!("{}/auth?", sso.idp.issuer())), "{authorization}");
    assert_eq!(param(&authorization, "response_type").as_deref(), Some("code"));
    assert_eq!(param(&authorization, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param(&authorization, "client_id").as_deref(), Some(CLIENT_ID));
    for name in ["state", "nonce", "code_challenge"] {
        assert!(param(&authorization, name).is_some_and(|value| value.len() >= 22), "{name} in {authorization}");
    }
    let scope = param(&authorization, "scope").unwrap_or_default();
    assert!(["openid", "email", "profile"].iter().all(|s| scope.split(' ').any(|x| x == *s)), "scope {scope}");

    let url = Browser::new().sign_in(&authorization, "jane", Consent::Grant, &sso.callback).await;
    let reply = sso.callback(&Callback { url, cookie }).await;
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
    let state = param(&url.url, "state").unwrap();
    let code = param(&url.url, "code").unwrap();

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
        let reply = sso
            .callback_with(&sso.api().url(Service::Authn, &format!("/oauth/callback{query}")), Some(&url.cookie))
            .await;
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
    assert_eq!(param(&url.url, "error").as_deref(), Some("access_denied"), "{url:?}");
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
    // Without the state cookie nothing is sent to the front end: a plain 400.
    assert_problem(&sso.callback_with(&url.url, None).await, 400);
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
        let cookie = state_cookie(&reply);
        assert!(authorization.starts_with(&issuer), "{provider}: {authorization}");
        let url = Browser::new().sign_in(&authorization, "alice", Consent::Grant, &callback).await;
        let path = url.strip_prefix(&api.url(Service::Authn, "")).unwrap();
        let reply = api.send(api.request(reqwest::Method::GET, Service::Authn, path).header("cookie", cookie)).await;
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

/// Account pre-hijacking: someone registers the victim's address with a password first; the victim's
/// SSO login (a verified email, a provider trusted for linking) must not land in that account.
#[tokio::test]
async fn an_email_given_at_register_never_links_an_sso_login_but_a_verified_one_does_when_the_provider_allows() {
    let sso =
        Sso::start_with(|options| options, |builder| builder.env(Service::Authn, "OIDC_LINK_VERIFIED_EMAIL", "true"))
            .await;
    let api = sso.api();
    let registered = api
        .post_json(
            Service::Authn,
            "/register",
            &json!({"username": "squatter", "password": "long enough password", "email": "Jane.Doe@example.com"}),
        )
        .await;
    registered.expect_status(201);
    let squatter: Value = registered.json()["user_id"].clone();

    let victim = sso.log_in("jane.doe@example.com").await;
    let victim_id = jwt::claims(&victim.access_token)["sub"].clone();
    assert_ne!(victim_id, squatter, "the SSO login did not land in the account that typed the email");
    // The squatter's password still opens only the squatter's account.
    let squatter_login = api.login("squatter", "long enough password").await;
    squatter_login.expect_status(200);
    assert_eq!(jwt::claims(&token_response(&squatter_login).access_token)["sub"], squatter);

    // Another identity at the trusted provider with the same verified email joins the verified account.
    let other_identity = sso.log_in("alt/jane.doe@example.com").await;
    assert_eq!(jwt::claims(&other_identity.access_token)["sub"], victim_id);
    assert_eq!(sso.keys("authn:{users}:user:*").await, 2, "the squatter and the victim");
}

#[tokio::test]
async fn a_provider_not_trusted_for_linking_links_nothing_even_to_a_verified_email() {
    let sso = Sso::start().await;
    let first = sso.log_in("jane.doe@example.com").await;
    let second = sso.log_in("alt/jane.doe@example.com").await;
    assert_ne!(jwt::claims(&first.access_token)["sub"], jwt::claims(&second.access_token)["sub"]);
    assert_eq!(sso.keys("authn:{users}:user:*").await, 2);
}

#[tokio::test]
async fn the_login_sets_an_http_only_lax_state_cookie_and_the_callback_clears_it() {
    let sso = Sso::start().await;
    let reply = sso.api().get(Service::Authn, "/oauth/login").await;
    reply.expect_status(302);
    let set_cookie = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("authn_sso_"))
        .unwrap_or_else(|| panic!("no state cookie: {reply}"))
        .to_owned();
    let attributes: Vec<String> = set_cookie.split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
    for expected in ["httponly", "samesite=lax", "path=/oauth/callback", "max-age=600"] {
        assert!(attributes.iter().any(|a| a == expected), "{expected} in {set_cookie}");
    }
    assert!(!attributes.iter().any(|a| a == "secure"), "no Secure with an http redirect URL: {set_cookie}");
    let state = param(reply.header("location").unwrap(), "state").unwrap();
    assert!(!set_cookie.contains(&state), "the cookie carries neither the state nor a copy of it: {set_cookie}");

    let callback = sso.callback_url("", "jane", Consent::Grant).await;
    let answer = sso.callback(&callback).await;
    answer.expect_status(200);
    let name = callback.cookie.split('=').next().unwrap();
    let cleared = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("the callback does not clear {name}: {answer}"))
        .to_ascii_lowercase();
    assert!(cleared.starts_with(&format!("{name}=;")) && cleared.contains("max-age=0"), "{cleared}");
}

/// Login CSRF: a callback URL handed to someone else (or a victim's browser made to open the attacker's
/// callback) logs nobody in, and does not use up the state of the browser that started the login.
#[tokio::test]
async fn a_callback_without_this_browsers_state_cookie_is_refused_and_creates_nothing() {
    let sso = Sso::start().await;
    let callback = sso.callback_url("", "jane", Consent::Grant).await;
    let elsewhere = sso.callback_url("", "mallory", Consent::Grant).await;

    let without = sso.callback_with(&callback.url, None).await;
    assert_problem(&without, 400);
    assert!(without.json()["detail"].as_str().unwrap_or_default().contains("browser"), "{without}");
    // The other browser's cookie is for its own login: it names another state.
    assert_problem(&sso.callback_with(&callback.url, Some(&elsewhere.cookie)).await, 400);
    sso.assert_nothing_created().await;
    assert_eq!(sso.sso_logins("rejected").await, 2.0);

    // The browser that started the login still completes it.
    let reply = sso.callback(&callback).await;
    reply.expect_status(200);
    assert_eq!(jwt::claims(&token_response(&reply).access_token)["preferred_username"], json!("jane"));
}

#[tokio::test]
async fn a_forged_state_cookie_value_is_refused_and_the_state_is_used_up() {
    let sso = Sso::start().await;
    let callback = sso.callback_url("", "jane", Consent::Grant).await;
    let name = callback.cookie.split('=').next().unwrap();
    let forged = format!("{name}=bm90LXRoZS1icm93c2Vycy1zZWNyZXQtdmFsdWUtMDEyMzQ1Njc4OQ");
    assert_problem(&sso.callback_with(&callback.url, Some(&forged)).await, 400);
    sso.assert_nothing_created().await;
    // The state was taken by that attempt: the login has to start again.
    assert_problem(&sso.callback(&callback).await, 400);
    sso.assert_nothing_created().await;
}

/// Two tabs of one browser start a login each: each has its own cookie, and both complete.
#[tokio::test]
async fn two_logins_at_once_in_one_browser_both_complete() {
    let sso = Sso::start().await;
    let first = sso.callback_url("", "jane", Consent::Grant).await;
    let second = sso.callback_url("", "john", Consent::Grant).await;
    assert_ne!(first.cookie.split('=').next(), second.cookie.split('=').next(), "one cookie per login");
    let both = format!("{}; {}", first.cookie, second.cookie);
    for (callback, user) in [(&second, "john"), (&first, "jane")] {
        let reply = sso.callback_with(&callback.url, Some(&both)).await;
        reply.expect_status(200);
        assert_eq!(jwt::claims(&token_response(&reply).access_token)["preferred_username"], json!(user));
    }
}

/// The callback's `code` and `state` reach no log line (JSON, at debug) and no exported span, whether the
/// login succeeds, is refused or is replayed; the request's target is there, with the values redacted.
#[tokio::test]
async fn the_callbacks_code_and_state_appear_in_no_log_line_and_no_exported_span() {
    let receiver = OtlpReceiver::start();
    let sso = Sso::start_with(
        |options| options,
        |builder| {
            builder
                .env(Service::Authn, "RUST_LOG", "debug")
                .env(Service::Authn, "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
                .env(Service::Authn, "OTEL_BSP_SCHEDULE_DELAY", "200")
        },
    )
    .await;
    let accepted = sso.callback_url("", "jane", Consent::Grant).await;
    sso.callback(&accepted).await.expect_status(200);
    assert_problem(&sso.callback(&accepted).await, 400);
    let refused = sso.callback_url("", "john", Consent::Grant).await;
    assert_problem(&sso.callback_with(&refused.url, None).await, 400);

    let name = "GET /oauth/callback";
    let seen = receiver.wait_for_spans(name, 3, Duration::from_secs(30)).await;
    assert!(seen >= 3, "three callback spans exported, got {seen}: {:#?}", receiver.spans());
    let exported = receiver.exported_text();
    let log = sso.platform.log(Service::Authn);
    assert!(exported.contains("/oauth/callback?code=[REDACTED]&state=[REDACTED]"), "the target is exported, redacted");
    assert!(log.contains("/oauth/callback?code=[REDACTED]&state=[REDACTED]"), "the target is logged, redacted:\n{log}");
    for callback in [&accepted, &refused] {
        for secret in ["code", "state"].map(|name| param(&callback.url, name).unwrap()) {
            assert!(!log.contains(&secret), "authn's log holds a callback's {secret}:\n{log}");
            assert!(!exported.contains(&secret), "an exported span holds a callback's {secret}");
        }
    }
}

#[tokio::test]
async fn without_oidc_settings_sso_answers_404_naming_it() {
    let platform = Platform::start().await;
    let reply = platform.api().get(Service::Authn, "/oauth/login").await;
    assert_problem(&reply, 404);
    assert!(reply.json()["detail"].as_str().unwrap_or_default().contains("single sign-on"), "{reply}");
    assert_problem(&platform.api().get(Service::Authn, "/oauth/callback?code=x&state=y").await, 400);
}

/// The single sign-on flow with a standard OAuth 2.0 client library on the platform's side of it: the
/// callback's token response is one the `oauth2` crate reads, its refresh token serves the library's
/// refresh grant and introspection, and every failed callback carries an RFC 6749 `error` the library's
/// error type reads: `invalid_request` for replayed state, and the provider's `access_denied`.
#[tokio::test]
async fn sso_tokens_serve_an_oauth2_client_and_failed_callbacks_carry_oauth_codes() {
    use e2e_tests::oauth2_http::OAuth2Http;
    use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType, BasicTokenResponse, BasicTokenType};
    use oauth2::{AccessToken, ClientId, ClientSecret, IntrospectionUrl, TokenIntrospectionResponse, TokenResponse};
    use oauth2::{RequestTokenError, TokenUrl};

    const RESOURCE_SERVER: (&str, &str) = ("orders-api", "orders-api-secret-0123456789");
    let sso = Sso::start_with(
        |options| options,
        |builder| {
            let credentials = format!("{}:{}", RESOURCE_SERVER.0, RESOURCE_SERVER.1);
            builder.env(Service::Token, "INTROSPECTION_CREDENTIALS", credentials)
        },
    )
    .await;
    let api = sso.api();
    let http = OAuth2Http::new();

    let url = sso.callback_url("", "olivia", Consent::Grant).await;
    let reply = sso.callback(&url).await;
    reply.expect_status(200);
    let tokens: BasicTokenResponse = serde_json::from_str(&reply.body).expect("a token response to oauth2-rs");
    assert_eq!(tokens.token_type(), &BasicTokenType::Bearer);
    let refresh_token = tokens.refresh_token().expect("a refresh token").clone();
    let refresh = BasicClient::new(ClientId::new("orders-web".to_owned()))
        .set_token_uri(TokenUrl::new(api.url(Service::Token, "/token/refresh")).unwrap());
    let refreshed =
        refresh.exchange_refresh_token(&refresh_token).request_async(&http).await.expect("the refresh grant");
    let introspection = BasicClient::new(ClientId::new(RESOURCE_SERVER.0.to_owned()))
        .set_client_secret(ClientSecret::new(RESOURCE_SERVER.1.to_owned()))
        .set_introspection_url(IntrospectionUrl::new(api.url(Service::Token, "/token/introspect")).unwrap());
    let access = AccessToken::new(refreshed.access_token().secret().clone());
    let claims = introspection.introspect(&access).request_async(&http).await.expect("introspection");
    assert!(claims.active());
    assert_eq!(jwt::claims(refreshed.access_token().secret())["amr"], json!(["oidc"]));
    match refresh.exchange_refresh_token(&refresh_token).request_async(&http).await {
        Err(RequestTokenError::ServerResponse(error)) => {
            assert_eq!(error.error(), &BasicErrorResponseType::InvalidGrant)
        }
        other => panic!("a reused SSO refresh token must be invalid_grant to the client: {other:?}"),
    }

    let oauth_error = |reply: &Reply| -> BasicErrorResponse {
        serde_json::from_str(&reply.body).unwrap_or_else(|err| panic!("no RFC 6749 error ({err}): {reply}"))
    };
    let replay = sso.callback(&url).await;
    assert_problem(&replay, 400);
    assert_eq!(oauth_error(&replay).error(), &BasicErrorResponseType::InvalidRequest, "{replay}");
    let denied_url = sso.callback_url("", "jane", Consent::Deny).await;
    let denied = sso.callback(&denied_url).await;
    assert_unauthorized(&denied);
    assert_eq!(oauth_error(&denied).error(), &BasicErrorResponseType::Extension("access_denied".to_owned()));
    assert!(oauth_error(&denied).error_description().is_some_and(|text| text.contains("access_denied")));
}
