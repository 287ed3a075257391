//! `spawn_app()`: a fresh session service on a random port with its own `redis-server`, verifying HS256
//! tokens that the test signs itself (the JWKS path is tested with the real token service elsewhere).

use auth_jwt::algorithm::SigningAlgorithm;
use auth_jwt::keys::SigningKey;
use auth_proto::claims::AccessClaims;
use auth_proto::clock::now;
use auth_proto::internal::{CreateSessionRequest, SessionRecord};
use secrecy::SecretString;
use service_kit::settings::CommonSettings;
use session_service::domain::max_sessions::MaxSessions;
use session_service::settings::{KeySource, Settings};
use session_service::startup::Application;
use test_support::{RedisServer, uuid_for};

pub const SECRET: &str = "a-test-secret-that-is-long-enough-for-hs256";
pub const INTERNAL_TOKEN: &str = "internal-token-for-tests-0123456789abcdef";
pub const ISSUER: &str = "auth-platform";
pub const AUDIENCE: &str = "api";
pub const MAX_LIFETIME_SECONDS: i64 = 30 * 24 * 3600;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub redis: Option<RedisServer>,
    pub key: SigningKey,
}

pub fn settings(redis_url: Option<String>) -> Settings {
    Settings {
        common: CommonSettings::for_tests(INTERNAL_TOKEN),
        redis_url: redis_url.map(|url| url.parse().unwrap()),
        algorithm: SigningAlgorithm::Hs256,
        key_source: KeySource::SharedSecret(SecretString::from(SECRET), None),
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        max_sessions_per_user: MaxSessions::DEFAULT,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(MaxSessions::DEFAULT).await
}

pub async fn spawn_app_with(max_sessions_per_user: MaxSessions) -> TestApp {
    let redis = RedisServer::start();
    let app = Application::build(Settings { max_sessions_per_user, ..settings(Some(redis.url())) }).await.unwrap();
    start(app, Some(redis))
}

pub async fn spawn_app_in_memory() -> TestApp {
    let app = Application::build(settings(None)).await.unwrap();
    start(app, None)
}

fn start(app: Application, redis: Option<RedisServer>) -> TestApp {
    let address = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap(),
        redis,
        key: SigningKey::from_secret(SECRET.as_bytes()).unwrap(),
    }
}

/// A random base64url SHA-256-shaped refresh hash.
pub fn random_hash() -> String {
    let hex = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    hex[..43].to_owned()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn claims(&self, session: &SessionRecord) -> AccessClaims {
        let now = now();
        AccessClaims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: session.user_id.clone(),
            sid: session.session_id.clone(),
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now,
            nbf: now,
            exp: now + 600,
            amr: vec!["pwd".into()],
            preferred_username: session.username.clone(),
        }
    }

    pub fn access_token(&self, session: &SessionRecord) -> String {
        self.key.sign(&self.claims(session)).unwrap()
    }

    pub async fn post_internal(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(INTERNAL_TOKEN).json(body).send().await.unwrap()
    }

    /// Opens a session through the internal API, as the token service does, for the user named `user`
    /// (its id is `uuid_for(user)`).
    pub async fn open_session(&self, user: &str) -> (SessionRecord, String) {
        self.open_session_for(user, 3600, MAX_LIFETIME_SECONDS).await
    }

    /// [`TestApp::open_session`] with a refresh lifetime and a maximum lifetime.
    pub async fn open_session_for(
        &self,
        user: &str,
        ttl_seconds: i64,
        max_lifetime_seconds: i64,
    ) -> (SessionRecord, String) {
        let refresh_hash = random_hash();
        let request = CreateSessionRequest {
            user_id: uuid_for(user),
            username: format!("name-of-{user}"),
            amr: vec!["pwd".into()],
            refresh_hash: refresh_hash.clone(),
            ttl_seconds,
            max_lifetime_seconds,
            user_agent: Some("test-agent/1.0".into()),
            ip: Some("192.0.2.7".into()),
        };
        let response = self.post_internal("/internal/sessions", &serde_json::to_value(&request).unwrap()).await;
        assert_eq!(response.status(), 201);
        (response.json().await.unwrap(), refresh_hash)
    }

    pub async fn get_with_token(&self, path: &str, token: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn invalidate(&self, token: &str, body: serde_json::Value) -> reqwest::Response {
        self.client.post(self.url("/session/invalidate")).bearer_auth(token).json(&body).send().await.unwrap()
    }
}

/// Asserts a problem+json answer with the given status and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.unwrap();
    for field in ["type", "title", "status", "detail"] {
        assert!(body.get(field).is_some(), "problem without {field}: {body}");
    }
    assert_eq!(body["status"], status);
    body
}
