//! Test harness: a real `redis-server` per test on a free port, a tiny stand-in for the token service's
//! internal API, and the authn app itself started in-process on port 0.
//!
//! The stand-in is deliberately minimal (it checks the internal bearer token, records what it was
//! asked, and answers a fixed token response): the real authn → token → session flow is exercised by
//! the workspace's top-level end-to-end tests.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use auth_proto::internal::{EndedSessions, MintRequest};
use auth_proto::public::TokenResponse;
use authn_service::client_ip::TrustedProxies;
use authn_service::lockout::LockoutPolicy;
use authn_service::oidc::settings::OidcSettings;
use authn_service::settings::{HashingSettings, Settings};
use authn_service::startup::Application;

use service_kit::settings::{AppEnv, CommonSettings};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const INTERNAL_TOKEN: &str = "test-internal-token-0123456789abcdef";
pub const PASSWORD: &str = "correct horse battery";
pub const MAX_FAILURES: u32 = 3;

pub use test_support::free_port;

/// The test's own `redis-server` (from `test-support`), plus a direct client to inspect what the app stored.
#[derive(Debug)]
pub struct TestRedis(test_support::RedisServer);

impl TestRedis {
    pub async fn start() -> Self {
        Self(test_support::RedisServer::start())
    }

    pub fn url(&self) -> String {
        self.0.url()
    }

    /// Kills the server (data is not persisted: a restart starts empty).
    pub fn stop(&mut self) {
        self.0.stop();
    }

    /// Starts the server again on the same port.
    pub async fn restart(&mut self) {
        self.0.restart();
    }

    /// A direct connection, for tests that inspect what the app stored.
    pub async fn client(&self) -> redis::aio::MultiplexedConnection {
        let client = redis::Client::open(self.url()).expect("a redis url");
        client.get_multiplexed_async_connection().await.expect("redis answers")
    }
}

/// The fixed answer of the stand-in token service.
pub fn fixed_tokens() -> TokenResponse {
    TokenResponse {
        access_token: "header.claims.signature".to_owned(),
        token_type: "Bearer".to_owned(),
        expires_in: 1800,
        refresh_token: "opaque-refresh-token".to_owned(),
        refresh_expires_in: 1_209_600,
        session_id: "7c9e6679-7425-40de-944b-e07fc1f90ae7".to_owned(),
    }
}

/// What the stand-in was asked.
#[derive(Debug, Default)]
pub struct Recorded {
    pub mints: Vec<MintRequest>,
    pub ended_for: Vec<String>,
}

/// A stand-in for the token service's internal API: `POST /internal/tokens`,
/// `POST /internal/users/{id}/sessions/invalidate` and `GET /healthz`.
#[derive(Debug)]
pub struct StandInTokenService {
    pub url: String,
    pub recorded: Arc<Mutex<Recorded>>,
}

impl StandInTokenService {
    pub async fn start() -> Self {
        let recorded = Arc::new(Mutex::new(Recorded::default()));
        let shared = web::Data::from(Arc::clone(&recorded));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .route("/healthz", web::get().to(HttpResponse::Ok))
                .route("/internal/tokens", web::post().to(mint))
                .route("/internal/users/{id}/sessions/invalidate", web::post().to(end_sessions))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Self { url, recorded }
    }

    pub fn mints(&self) -> Vec<MintRequest> {
        self.recorded.lock().expect("lock").mints.clone()
    }
}

fn authorized(req: &HttpRequest) -> bool {
    req.headers().get("authorization").and_then(|value| value.to_str().ok())
        == Some(format!("Bearer {INTERNAL_TOKEN}").as_str())
}

async fn mint(req: HttpRequest, recorded: web::Data<Mutex<Recorded>>, body: web::Json<MintRequest>) -> HttpResponse {
    if !authorized(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    recorded.lock().expect("lock").mints.push(body.into_inner());
    HttpResponse::Ok().json(fixed_tokens())
}

async fn end_sessions(req: HttpRequest, recorded: web::Data<Mutex<Recorded>>, id: web::Path<String>) -> HttpResponse {
    if !authorized(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    recorded.lock().expect("lock").ended_for.push(id.into_inner());
    HttpResponse::Ok().json(EndedSessions { invalidated: 2 })
}

/// Settings for a test app: prod mode, fast argon2, a low lockout limit, loopback trusted as a proxy
/// so that tests can choose client addresses with `X-Forwarded-For`.
pub fn test_settings(redis_url: Option<String>, token_service_url: &str) -> Settings {
    Settings {
        common: CommonSettings {
            app_env: if redis_url.is_some() { AppEnv::Prod } else { AppEnv::Dev },
            ..CommonSettings::for_tests(INTERNAL_TOKEN)
        },
        redis_url: redis_url.map(|url| url.parse().expect("a redis url")),
        token_service_url: token_service_url.parse().expect("a URL"),
        allow_registration: true,
        trusted_proxies: "127.0.0.1/32".parse::<TrustedProxies>().expect("valid"),
        hashing: HashingSettings { memory_kib: 1024, iterations: 1, parallelism: 1, max_concurrent: 2 },
        lockout: LockoutPolicy { max_failures: MAX_FAILURES, window: Duration::from_secs(60) },
        // Off unless a test is about it: many tests register several users from one address.
        rate_limit_per_minute: 0,
        oidc: OidcSettings::default(),
    }
}

/// A running app with its own Redis and stand-in token service.
#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub redis: TestRedis,
    pub token_service: StandInTokenService,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts an app after `configure` adjusted its settings.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let redis = TestRedis::start().await;
    let token_service = StandInTokenService::start().await;
    let mut settings = test_settings(Some(redis.url()), &token_service.url);
    configure(&mut settings);
    let address = start(settings).await;
    TestApp { address, http: http_client(), redis, token_service }
}

/// Builds and spawns an application, returning its base URL.
pub async fn start(settings: Settings) -> String {
    let application = Application::build(settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", application.local_addr().port());
    tokio::spawn(application.run_until_stopped());
    address
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn register(&self, body: serde_json::Value) -> reqwest::Response {
        self.http.post(self.url("/register")).json(&body).send().await.expect("request")
    }

    /// Registers `username` with [`PASSWORD`] and returns its id.
    pub async fn register_user(&self, username: &str) -> String {
        let response = self.register(serde_json::json!({"username": username, "password": PASSWORD})).await;
        assert_eq!(response.status(), 201, "registering {username}");
        let body: serde_json::Value = response.json().await.expect("json");
        body["user_id"].as_str().expect("user_id").to_owned()
    }

    /// A JSON login from client address `from` (believed because loopback is a trusted proxy).
    pub async fn login_from(&self, from: &str, username: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/login"))
            .header("X-Forwarded-For", from)
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .expect("request")
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.login_from("203.0.113.1", username, password).await
    }
}

/// The parsed problem body of a response, after checking its media type.
pub async fn problem(response: reqwest::Response) -> serde_json::Value {
    let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok()).map(str::to_owned);
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    response.json().await.expect("problem json")
}

pub fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
}
