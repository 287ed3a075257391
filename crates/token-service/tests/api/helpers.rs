//! `spawn_platform()`: a session service (Redis-backed, verifying with the token service's JWKS) and a
//! token service in front of it, each the real actix app on its own port.

use auth_jwt::algorithm::SigningAlgorithm;
use auth_jwt::keys::SigningKey;
use auth_proto::public::TokenResponse;
use secrecy::SecretString;
use service_kit::settings::{AppEnv, CommonSettings, InternalApiToken};
use std::sync::Arc;
use std::time::Duration;
use test_support::{RedisServer, free_port, uuid_for};
use token_service::keyring::KeyRing;

pub const INTERNAL_TOKEN: &str = "internal-token-for-token-tests-0123456789";
pub const HS256_SECRET: &str = "a-shared-hs256-secret-that-is-long-enough";

pub struct Platform {
    pub token_url: String,
    pub session_url: String,
    pub client: reqwest::Client,
    /// Kept alive for as long as the platform runs.
    pub _redis: RedisServer,
    pub session_server: actix_web::dev::ServerHandle,
}

/// How the platform under test is configured.
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

fn common(listen: &str) -> CommonSettings {
    CommonSettings {
        listen_addr: listen.parse().unwrap(),
        internal_api_token: InternalApiToken::new(SecretString::from(INTERNAL_TOKEN)),
        app_env: AppEnv::Prod,
        log_filter: "warn".into(),
        otlp_endpoint: None,
        shutdown: Default::default(),
    }
}

pub async fn spawn_platform() -> Platform {
    spawn_with(Options::default()).await
}

pub async fn spawn_with(options: Options) -> Platform {
    let redis = RedisServer::start();
    let token_port = free_port();
    let key_source = if options.algorithm == SigningAlgorithm::Hs256 {
        session_service::settings::KeySource::SharedSecret(SecretString::from(HS256_SECRET))
    } else {
        session_service::settings::KeySource::Jwks {
            url: format!("http://127.0.0.1:{token_port}/.well-known/jwks.json"),
        }
    };
    let session = session_service::startup::Application::build(session_service::settings::Settings {
        common: common("127.0.0.1:0"),
        redis_url: Some(redis.url()),
        algorithm: options.algorithm,
        key_source,
        issuer: "auth-platform".into(),
        audience: "api".into(),
    })
    .await
    .unwrap();
    let session_url = format!("http://{}", session.local_addr());
    let session_server = session.server_handle();
    tokio::spawn(session.run_until_stopped());

    let current = if options.algorithm == SigningAlgorithm::Hs256 {
        SigningKey::from_secret(HS256_SECRET.as_bytes()).unwrap()
    } else {
        SigningKey::generate(options.algorithm).unwrap()
    };
    let token = token_service::startup::Application::build(token_service::settings::Settings {
        common: common(&format!("127.0.0.1:{token_port}")),
        session_service_url: session_url.clone(),
        keys: Arc::new(KeyRing::new(current, options.previous_keys)),
        issuer: "auth-platform".into(),
        audience: "api".into(),
        access_ttl: Duration::from_secs(1800),
        refresh_ttl: Duration::from_secs(3600),
        reuse_grace: Duration::from_secs(options.grace_seconds),
    })
    .unwrap();
    let token_url = format!("http://{}", token.local_addr());
    tokio::spawn(token.run_until_stopped());
    Platform {
        token_url,
        session_url,
        client: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap(),
        _redis: redis,
        session_server,
    }
}

impl Platform {
    /// Logs the user named `user` in as authn would: `POST /internal/tokens` (its id is `uuid_for(user)`).
    pub async fn mint(&self, user: &str) -> TokenResponse {
        let response = self
            .client
            .post(format!("{}/internal/tokens", self.token_url))
            .bearer_auth(INTERNAL_TOKEN)
            .json(&serde_json::json!({ "user_id": uuid_for(user), "username": format!("user-{user}"), "amr": ["pwd"], "user_agent": "tests", "ip": "127.0.0.1" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
        response.json().await.unwrap()
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/token/refresh", self.token_url))
            .json(&serde_json::json!({ "refresh_token": refresh_token }))
            .send()
            .await
            .unwrap()
    }

    pub async fn revoke(&self, token: &str) -> reqwest::Response {
        self.client.post(format!("{}/token/revoke", self.token_url)).form(&[("token", token)]).send().await.unwrap()
    }

    pub async fn introspect(&self, token: &str) -> serde_json::Value {
        let response = self
            .client
            .post(format!("{}/token/introspect", self.token_url))
            .bearer_auth(INTERNAL_TOKEN)
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn status(&self, access_token: &str) -> reqwest::Response {
        self.client.get(format!("{}/session/status", self.session_url)).bearer_auth(access_token).send().await.unwrap()
    }
}

pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers().get("content-type").unwrap(), "application/problem+json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    body
}
