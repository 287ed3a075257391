//! Test harness: the token app started in-process on port 0 in front of a stand-in for the session
//! service's internal API.
//!
//! A service never links another, so these tests do not run the real session service: the stand-in
//! checks the internal bearer token, records every request it was sent, and answers what the test
//! scripted (a rotation, a grace replay, a reuse problem, "down"). That is enough to test what the token
//! service itself decides. What needs the real session service and Redis (races between concurrent
//! refreshes, a session really ending) is tested by the workspace's end-to-end tests in `tests/`.

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use auth_jwt::algorithm::SigningAlgorithm;
use auth_jwt::keys::SigningKey;
use auth_proto::internal::{
    CheckSessionRequest, CheckSessionResponse, CreateSessionRequest, EndedSessions, RefreshHashRequest,
    RevokeAccessRequest, RevokeAccessResponse, RotateOutcome, RotateRequest, RotateResponse, SessionRecord,
};
use auth_proto::problem::{PROBLEM_CONTENT_TYPE, Problem};
use auth_proto::public::TokenResponse;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use service_kit::settings::CommonSettings;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use test_support::uuid_for;
use token_service::domain::introspection_client::IntrospectionClients;
use token_service::domain::refresh_token::{RefreshSecret, RefreshToken};
use token_service::keyring::KeyRing;
use token_service::settings::{KeyFiles, Settings};
use token_service::startup::Application;

pub const INTERNAL_TOKEN: &str = "internal-token-for-token-tests-0123456789";
pub const HS256_SECRET: &str = "a-shared-hs256-secret-that-is-long-enough";
pub const ISSUER: &str = "auth-platform";
pub const AUDIENCE: &str = "api";
pub const ACCESS_TTL_SECONDS: i64 = 1800;
pub const REFRESH_TTL_SECONDS: i64 = 3600;
pub const MAX_LIFETIME_SECONDS: i64 = 7200;
/// The problem type the session service gives a reused refresh token.
pub const REUSED: &str = "urn:auth-platform:problem:refresh-token-reused";
/// The problem type the session service gives an unknown, expired or revoked refresh token.
pub const INVALID_REFRESH: &str = "urn:auth-platform:problem:invalid-refresh-token";

/// How the token service under test is configured.
#[derive(Debug)]
pub struct Options {
    pub algorithm: SigningAlgorithm,
    pub previous_keys: Vec<SigningKey>,
    pub grace_seconds: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self { algorithm: SigningAlgorithm::EdDsa, previous_keys: Vec::new(), grace_seconds: 0 }
    }
}

/// The one place the tests build the token service's settings (so a change of their shape is adapted
/// here only).
pub fn settings(options: Options, session_url: &str) -> Settings {
    let current = if options.algorithm == SigningAlgorithm::Hs256 {
        SigningKey::from_secret(HS256_SECRET.as_bytes()).expect("an HS256 key")
    } else {
        SigningKey::generate(options.algorithm).expect("a fresh key")
    };
    Settings {
        common: CommonSettings::for_tests(INTERNAL_TOKEN),
        session_service_url: session_url.parse().expect("a URL"),
        keys: Arc::new(KeyRing::new(current, options.previous_keys)),
        key_files: KeyFiles { algorithm: options.algorithm, private_key: None, previous: Vec::new(), secret_key: None },
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        access_ttl: Duration::from_secs(ACCESS_TTL_SECONDS.unsigned_abs()),
        refresh_ttl: Duration::from_secs(REFRESH_TTL_SECONDS.unsigned_abs()),
        reuse_grace: Duration::from_secs(options.grace_seconds),
        max_lifetime: Duration::from_secs(MAX_LIFETIME_SECONDS.unsigned_abs()),
        introspection_clients: IntrospectionClients::new(
            vec![format!("{INTROSPECTION_CLIENT_ID}:{INTROSPECTION_CLIENT_SECRET}").parse().expect("a pair")],
            true,
        )
        .expect("valid"),
    }
}

/// The introspection client configured in every test app (`INTROSPECTION_CREDENTIALS`); the secret has
/// characters RFC 6749 §2.3.1's form encoding changes.
pub const INTROSPECTION_CLIENT_ID: &str = "resource-server";
pub const INTROSPECTION_CLIENT_SECRET: &str = "rs secret+/=%-0123456789";

/// The token app and the stand-in session service it calls.
#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub session: StandInSessionService,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(Options::default()).await
}

pub async fn spawn_with(options: Options) -> TestApp {
    let session = StandInSessionService::start();
    let application = Application::build(settings(options, &session.url)).await.expect("the app builds");
    let address = format!("http://{}", application.local_addr());
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("a client"),
        session,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// `POST /internal/tokens` as authn sends it for the user named `user` (its id is `uuid_for(user)`),
    /// without checking the answer.
    pub async fn mint_response(&self, user: &str) -> reqwest::Response {
        self.client
            .post(self.url("/internal/tokens"))
            .bearer_auth(INTERNAL_TOKEN)
            .json(&serde_json::json!({
                "user_id": uuid_for(user),
                "username": format!("user-{user}"),
                "amr": ["pwd", "mfa"],
                "user_agent": "tests/1.0",
                "ip": "203.0.113.7",
            }))
            .send()
            .await
            .expect("request")
    }

    /// Logs the user named `user` in as authn would; the stand-in opens the session.
    pub async fn mint(&self, user: &str) -> TokenResponse {
        let response = self.mint_response(user).await;
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
        // RFC 6749 §5.1: a token response is not cached, by HTTP/1.1 or HTTP/1.0 caches.
        assert_eq!(response.headers().get("cache-control").expect("Cache-Control"), "no-store");
        assert_eq!(response.headers().get("pragma").expect("Pragma"), "no-cache");
        response.json().await.expect("a token response")
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.client
            .post(self.url("/token/refresh"))
            .json(&serde_json::json!({ "refresh_token": refresh_token }))
            .send()
            .await
            .expect("request")
    }

    /// A refresh expected to succeed.
    pub async fn refreshed(&self, refresh_token: &str) -> TokenResponse {
        let response = self.refresh(refresh_token).await;
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
        // RFC 6749 §5.1: a token response is not cached, by HTTP/1.1 or HTTP/1.0 caches.
        assert_eq!(response.headers().get("cache-control").expect("Cache-Control"), "no-store");
        assert_eq!(response.headers().get("pragma").expect("Pragma"), "no-cache");
        response.json().await.expect("a token response")
    }

    pub async fn revoke(&self, token: &str) -> reqwest::Response {
        self.client.post(self.url("/token/revoke")).form(&[("token", token)]).send().await.expect("request")
    }

    pub async fn introspect(&self, token: &str) -> serde_json::Value {
        let response = self
            .client
            .post(self.url("/token/introspect"))
            .bearer_auth(INTERNAL_TOKEN)
            .form(&[("token", token)])
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }
}

/// The stored form of a refresh token, computed here independently of the service's code: base64url
/// (no padding) of its SHA-256.
pub fn refresh_hash(refresh_token: &str) -> String {
    let random_part = &refresh_token[43..];
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, random_part.as_bytes()))
}

/// The routing part a refresh token of this user's session starts with: base64url of both ids' bytes.
pub fn routing_part(user_id: &str, session_id: &str) -> String {
    let mut bytes = uuid::Uuid::parse_str(user_id).expect("a user id").as_bytes().to_vec();
    bytes.extend_from_slice(uuid::Uuid::parse_str(session_id).expect("a session id").as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A well-formed refresh token of a session nobody opened.
pub fn unknown_refresh_token() -> RefreshToken {
    RefreshToken::new(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), RefreshSecret::generate().expect("random bytes"))
}

/// The claims of a JWT, read without verifying it (the tests that verify use the JWKS).
pub fn claims(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON claims")
}

pub fn now() -> i64 {
    auth_proto::clock::now()
}

pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers().get("content-type").expect("a content type"), PROBLEM_CONTENT_TYPE);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], status);
    body
}

/// How the stand-in answers `POST /internal/sessions/rotate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateAnswer {
    /// The presented token was current: `rotated`.
    Rotated,
    /// Within the grace window: `grace`, with the sealed successor the token service sent when this
    /// same presented hash was rotated (none when it never was), as the session service keeps it.
    GraceReplay,
    /// `grace` with exactly this sealed successor.
    GraceSealed(Option<String>),
    /// A 4xx problem of this status and type (e.g. 401 [`REUSED`]).
    Problem { status: u16, kind: &'static str },
}

/// What the stand-in answers next; every answer stays until the test changes it.
#[derive(Debug, Clone)]
pub struct Script {
    /// Every route, `/healthz` included, answers 503 (the session service is up but failing).
    pub unavailable: bool,
    pub rotate: RotateAnswer,
    /// `/internal/sessions/check`: is the access token's session live and its jti unrevoked?
    pub session_active: bool,
    /// `/internal/sessions/lookup`: does the refresh hash belong to a session (else 404)?
    pub refresh_known: bool,
    /// How many sessions `/internal/sessions/end` and the user invalidation say they ended.
    pub ended: u64,
}

impl Default for Script {
    fn default() -> Self {
        Self { unavailable: false, rotate: RotateAnswer::Rotated, session_active: true, refresh_known: true, ended: 1 }
    }
}

/// Every request the stand-in was sent, in order per route.
#[derive(Debug, Default, Clone)]
pub struct Recorded {
    pub creates: Vec<CreateSessionRequest>,
    pub rotations: Vec<RotateRequest>,
    pub checks: Vec<CheckSessionRequest>,
    pub lookups: Vec<String>,
    pub ends: Vec<String>,
    pub revocations: Vec<RevokeAccessRequest>,
    pub user_invalidations: Vec<String>,
    /// Requests to an internal route without the right internal bearer token (answered 401).
    pub unauthorized: usize,
}

impl Recorded {
    /// How many internal calls were made, of any kind.
    pub fn calls(&self) -> usize {
        self.creates.len()
            + self.rotations.len()
            + self.checks.len()
            + self.lookups.len()
            + self.ends.len()
            + self.revocations.len()
            + self.user_invalidations.len()
            + self.unauthorized
    }
}

#[derive(Debug, Default)]
struct Shared {
    script: Script,
    recorded: Recorded,
    /// The session the stand-in last opened: what rotations and lookups answer with.
    session: Option<SessionRecord>,
}

/// A stand-in for the session service's internal API, on its own port.
#[derive(Debug)]
pub struct StandInSessionService {
    pub url: String,
    addr: std::net::SocketAddr,
    shared: Arc<Mutex<Shared>>,
    handle: ServerHandle,
}

impl StandInSessionService {
    pub fn start() -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let data = web::Data::from(Arc::clone(&shared));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let url = format!("http://{addr}");
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/healthz", web::get().to(healthz))
                .route("/readyz", web::get().to(healthz))
                .route("/internal/sessions", web::post().to(create))
                .route("/internal/sessions/rotate", web::post().to(rotate))
                .route("/internal/sessions/check", web::post().to(check))
                .route("/internal/sessions/lookup", web::post().to(lookup))
                .route("/internal/sessions/end", web::post().to(end))
                .route("/internal/revocations", web::post().to(revoke_access))
                .route("/internal/users/{id}/sessions/invalidate", web::post().to(end_user_sessions))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { url, addr, shared, handle }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().expect("the stand-in's lock")
    }

    /// Changes what the stand-in answers from now on.
    pub fn script(&self, change: impl FnOnce(&mut Script)) {
        change(&mut self.lock().script);
    }

    pub fn recorded(&self) -> Recorded {
        self.lock().recorded.clone()
    }

    /// Stops the stand-in: from now on every connection to its port is closed unanswered, as by a
    /// process that died. The port stays taken, so that another test's server, binding port 0 in the
    /// same test binary, can't be handed it and answer in the dead stand-in's place.
    pub async fn stop(&self) {
        self.handle.stop(false).await;
        let tombstone = TcpListener::bind(self.addr).expect("the stand-in's port is free again at once");
        std::thread::spawn(move || {
            for connection in tombstone.incoming() {
                drop(connection);
            }
        });
    }
}

type Data = web::Data<Mutex<Shared>>;

fn lock(data: &Data) -> MutexGuard<'_, Shared> {
    data.lock().expect("the stand-in's lock")
}

/// `None` when the call may go on; else the answer (503 when scripted down, 401 without the token).
fn refuse(req: &HttpRequest, data: &Data) -> Option<HttpResponse> {
    let mut shared = lock(data);
    if shared.script.unavailable {
        return Some(problem(503, "urn:auth-platform:problem:dependency-unavailable"));
    }
    let authorized = req.headers().get("authorization").and_then(|value| value.to_str().ok())
        == Some(format!("Bearer {INTERNAL_TOKEN}").as_str());
    if !authorized {
        shared.recorded.unauthorized += 1;
        return Some(problem(401, "urn:auth-platform:problem:unauthorized"));
    }
    None
}

fn problem(status: u16, kind: &str) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status).expect("a status code");
    HttpResponse::build(code).content_type(PROBLEM_CONTENT_TYPE).json(Problem {
        kind: kind.to_owned(),
        title: "scripted".to_owned(),
        status,
        detail: "scripted by the test".to_owned(),
        error: None,
        error_description: None,
    })
}

/// The session the stand-in answers with when it opened none (e.g. a token minted elsewhere).
fn some_session(shared: &Shared) -> SessionRecord {
    shared.session.clone().unwrap_or_else(|| SessionRecord {
        session_id: "7c9e6679-7425-40de-944b-e07fc1f90ae7".to_owned(),
        user_id: "someone".to_owned(),
        username: "someone".to_owned(),
        amr: vec!["pwd".to_owned()],
        created_at: now() - 60,
        expires_at: now() + REFRESH_TTL_SECONDS,
        last_seen_at: now() - 60,
        user_agent: None,
        ip: None,
    })
}

async fn healthz(data: Data) -> HttpResponse {
    if lock(&data).script.unavailable {
        HttpResponse::ServiceUnavailable().finish()
    } else {
        HttpResponse::Ok().finish()
    }
}

async fn create(req: HttpRequest, data: Data, body: web::Json<CreateSessionRequest>) -> HttpResponse {
    if let Some(refused) = refuse(&req, &data) {
        return refused;
    }
    let request = body.into_inner();
    let created = now();
    let session = SessionRecord {
        session_id: uuid::Uuid::new_v4().to_string(),
        user_id: request.user_id.clone(),
        username: request.username.clone(),
        amr: request.amr.clone(),
        created_at: created,
        expires_at: created + request.ttl_seconds,
        last_seen_at: created,
        user_agent: request.user_agent.clone(),
        ip: request.ip.clone(),
    };
    let mut shared = lock(&data);
    shared.recorded.creates.push(request);
    shared.session = Some(session.clone());
    HttpResponse::Ok().json(session)
}

async fn rotate(req: HttpRequest, data: Data, body: web::Json<RotateRequest>) -> HttpResponse {
    if let Some(refused) = refuse(&req, &data) {
        return refused;
    }
    let request = body.into_inner();
    let mut shared = lock(&data);
    let mut session = some_session(&shared);
    session.expires_at = now() + request.ttl_seconds;
    let response = match shared.script.rotate.clone() {
        RotateAnswer::Rotated => {
            HttpResponse::Ok().json(RotateResponse { outcome: RotateOutcome::Rotated, session, sealed_successor: None })
        }
        RotateAnswer::GraceReplay => {
            let sealed_successor = shared
                .recorded
                .rotations
                .iter()
                .find(|earlier| earlier.presented_hash == request.presented_hash)
                .and_then(|earlier| earlier.sealed_successor.clone());
            HttpResponse::Ok().json(RotateResponse { outcome: RotateOutcome::Grace, session, sealed_successor })
        }
        RotateAnswer::GraceSealed(sealed_successor) => {
            HttpResponse::Ok().json(RotateResponse { outcome: RotateOutcome::Grace, session, sealed_successor })
        }
        RotateAnswer::Problem { status, kind } => problem(status, kind),
    };
    shared.recorded.rotations.push(request);
    response
}

async fn check(req: HttpRequest, data: Data, body: web::Json<CheckSessionRequest>) -> HttpResponse {
    if let Some(refused) = refuse(&req, &data) {
        return refused;
    }
    let mut shared = lock(&data);
    shared.recorded.checks.push(body.into_inner());
    HttpResponse::Ok().json(CheckSessionResponse { active: shared.script.session_active })
}

async fn lookup(req: HttpRequest, data: Data, body: web::Json<RefreshHashRequest>) -> HttpResponse {
    if let Some(refused) = refuse(&req, &data) {
        return refused;
    }
    let mut shared = lock(&data);
    shared.recorded.lookups.push(body.into_inner().refresh_hash);
    if shared.script.refresh_known {
        HttpResponse::Ok().json(some_session(&shared))
    } else {
        problem(404, "urn:auth-platform:problem:not-found")
    }
}

async fn end(req: HttpRequest, data: Data, body: web::Json<RefreshHashRequest>) -> HttpResponse {
    if let Some(refused) = refuse(&req, &data) {
        return refused;
    }
    let mut shared = lock(&data);
    shared.recorded.ends.push(body.into_inner().refresh_hash);
    HttpResponse::Ok().json(EndedSessions { invalidated: shared.script.ended })
}

async fn revoke_access(req: HttpRequest, data: Data, body: web::Json<RevokeAccessRequest>) -> HttpResponse {
    if let Some(refused) = refuse(&req, &data) {
        return refused;
    }
    lock(&data).recorded.revocations.push(body.into_inner());
    HttpResponse::Ok().json(RevokeAccessResponse { revoked: true })
}

async fn end_user_sessions(req: HttpRequest, data: Data, id: web::Path<String>) -> HttpResponse {
    if let Some(refused) = refuse(&req, &data) {
        return refused;
    }
    let mut shared = lock(&data);
    shared.recorded.user_invalidations.push(id.into_inner());
    HttpResponse::Ok().json(EndedSessions { invalidated: shared.script.ended })
}
