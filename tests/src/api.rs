//! A small HTTP client for the platform's routes, as the contract names them. Every call returns a
//! [`Reply`] (status, headers, body) and never follows the services' own types, so a test checks the
//! wire format and nothing else.

use std::fmt;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};

use crate::checks::token_response;
use crate::platform::Service;

/// Every request gives up after this long, so that a hanging service fails the test instead of the suite.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The `User-Agent` the client sends.
pub const USER_AGENT: &str = "auth-platform-e2e-tests/1.0";

/// The answer to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    /// `METHOD /path` of the request, for failure messages.
    pub request: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The body as JSON; panics (showing the reply) if it isn't.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|err| panic!("body is not JSON ({err}): {self}"))
    }

    /// Panics (showing the reply) unless the status is `status`.
    #[track_caller]
    pub fn expect_status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "expected {status}, got: {self}");
        self
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut body: String = self.body.chars().take(1500).collect();
        if body.len() < self.body.len() {
            body.push('…');
        }
        write!(f, "{} → {} [content-type: {:?}] {}", self.request, self.status, self.content_type(), body)
    }
}

/// A registered user.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: String,
    pub username: String,
    pub password: String,
}

/// A token response (`/login`, `/token/refresh`).
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub session_id: String,
    pub expires_in: i64,
    pub refresh_expires_in: i64,
}

#[derive(Debug, Clone)]
pub struct Api {
    client: reqwest::Client,
    authn: String,
    token: String,
    session: String,
    internal_token: String,
}

impl Api {
    pub fn new(authn: String, token: String, session: String, internal_token: String) -> Self {
        let client = reqwest::Client::builder()
            .timeout(CLIENT_TIMEOUT)
            .connect_timeout(Duration::from_secs(2))
            .user_agent(USER_AGENT)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("build the HTTP client");
        Self { client, authn, token, session, internal_token }
    }

    pub fn internal_token(&self) -> &str {
        &self.internal_token
    }

    /// Which service a URL points at, for failure messages.
    fn service_of(&self, url: &str) -> &'static str {
        if url.starts_with(&format!("{}/", self.authn)) {
            "authn"
        } else if url.starts_with(&format!("{}/", self.token)) {
            "token"
        } else if url.starts_with(&format!("{}/", self.session)) {
            "session"
        } else {
            "?"
        }
    }

    pub fn url(&self, service: Service, path: &str) -> String {
        let base = match service {
            Service::Authn => &self.authn,
            Service::Token => &self.token,
            Service::Session => &self.session,
        };
        format!("{base}{path}")
    }

    /// Sends a request; a transport error (refused, timed out) panics with the request named.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let request = request.build().expect("build the request");
        let name = format!("{} {} ({})", request.method(), request.url(), self.service_of(request.url().as_str()));
        let response = self.client.execute(request).await.unwrap_or_else(|err| {
            panic!("{name} failed without an HTTP answer (timeout is {CLIENT_TIMEOUT:?}): {err:?}")
        });
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_else(|err| panic!("{name}: reading the body failed: {err:?}"));
        Reply { request: name, status, headers, body }
    }

    pub fn request(&self, method: reqwest::Method, service: Service, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(service, path))
    }

    pub async fn get(&self, service: Service, path: &str) -> Reply {
        self.send(self.request(reqwest::Method::GET, service, path)).await
    }

    /// GET with a raw `Authorization` header value.
    pub async fn get_with_authorization(&self, service: Service, path: &str, authorization: &str) -> Reply {
        self.send(self.request(reqwest::Method::GET, service, path).header(AUTHORIZATION, authorization)).await
    }

    pub async fn post_json(&self, service: Service, path: &str, body: &Value) -> Reply {
        self.send(self.request(reqwest::Method::POST, service, path).json(body)).await
    }

    pub async fn post_form(&self, service: Service, path: &str, form: &[(&str, &str)]) -> Reply {
        self.send(self.request(reqwest::Method::POST, service, path).form(form)).await
    }

    /// POST with any bytes and content type (malformed and oversized bodies).
    pub async fn post_raw(&self, service: Service, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        self.send(self.request(reqwest::Method::POST, service, path).header(CONTENT_TYPE, content_type).body(body))
            .await
    }

    // ---- authn ----

    pub async fn register(&self, username: &str, password: &str) -> Reply {
        self.post_json(Service::Authn, "/register", &json!({"username": username, "password": password})).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Reply {
        self.post_json(Service::Authn, "/login", &json!({"username": username, "password": password})).await
    }

    /// The OAuth2 password grant form.
    pub async fn login_form(&self, username: &str, password: &str) -> Reply {
        self.post_form(
            Service::Authn,
            "/login",
            &[("grant_type", "password"), ("username", username), ("password", password)],
        )
        .await
    }

    /// Registers a user with a fresh random name (201 asserted).
    pub async fn new_account(&self) -> Account {
        let username = format!("user-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
        let reply = self.register(&username, &password).await;
        reply.expect_status(201);
        let body = reply.json();
        let user_id = body["user_id"].as_str().unwrap_or_else(|| panic!("no string user_id: {reply}")).to_owned();
        assert_eq!(body["username"].as_str(), Some(username.as_str()), "register echoes the username: {reply}");
        Account { user_id, username, password }
    }

    /// Logs in (200 and the token response shape asserted).
    pub async fn login_ok(&self, account: &Account) -> Tokens {
        let reply = self.login(&account.username, &account.password).await;
        reply.expect_status(200);
        token_response(&reply)
    }

    /// A new account and one session of it.
    pub async fn signed_in(&self) -> (Account, Tokens) {
        let account = self.new_account().await;
        let tokens = self.login_ok(&account).await;
        (account, tokens)
    }

    // ---- token ----

    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        self.post_json(Service::Token, "/token/refresh", &json!({"refresh_token": refresh_token})).await
    }

    pub async fn refresh_form(&self, refresh_token: &str) -> Reply {
        self.post_form(
            Service::Token,
            "/token/refresh",
            &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)],
        )
        .await
    }

    pub async fn revoke(&self, token: &str) -> Reply {
        self.post_json(Service::Token, "/token/revoke", &json!({"token": token})).await
    }

    pub async fn revoke_form(&self, token: &str, hint: &str) -> Reply {
        self.post_form(Service::Token, "/token/revoke", &[("token", token), ("token_type_hint", hint)]).await
    }

    /// Introspection with `Authorization: Bearer INTERNAL_API_TOKEN`.
    pub async fn introspect(&self, token: &str) -> Reply {
        let bearer = format!("Bearer {}", self.internal_token);
        self.introspect_with_authorization(token, Some(&bearer)).await
    }

    pub async fn introspect_with_authorization(&self, token: &str, authorization: Option<&str>) -> Reply {
        let mut request =
            self.request(reqwest::Method::POST, Service::Token, "/token/introspect").form(&[("token", token)]);
        if let Some(authorization) = authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        self.send(request).await
    }

    pub async fn jwks(&self) -> Reply {
        self.get(Service::Token, "/.well-known/jwks.json").await
    }

    // ---- session ----

    pub async fn session_status(&self, access_token: &str) -> Reply {
        self.get_with_authorization(Service::Session, "/session/status", &format!("Bearer {access_token}")).await
    }

    pub async fn session_list(&self, access_token: &str) -> Reply {
        self.get_with_authorization(Service::Session, "/session/list", &format!("Bearer {access_token}")).await
    }

    pub async fn session_verify(&self, access_token: &str) -> Reply {
        self.get_with_authorization(Service::Session, "/session/verify", &format!("Bearer {access_token}")).await
    }

    /// `POST /session/invalidate`; `None` sends an empty body.
    pub async fn session_invalidate(&self, access_token: &str, body: Option<&Value>) -> Reply {
        let mut request = self
            .request(reqwest::Method::POST, Service::Session, "/session/invalidate")
            .header(AUTHORIZATION, format!("Bearer {access_token}"));
        request = match body {
            Some(body) => request.json(body),
            None => request,
        };
        self.send(request).await
    }
}
