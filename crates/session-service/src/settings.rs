//! The session service's settings, parsed once at start.

use auth_jwt::algorithm::SigningAlgorithm;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use service_kit::settings::{AppEnv, CommonSettings, SettingsError, from_env, parse_or};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8083";
pub const DEFAULT_JWKS_URL: &str = "http://127.0.0.1:8082/.well-known/jwks.json";

/// How the service verifies access tokens.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Public keys fetched from the token service's JWKS (EdDSA, ES256, RS256).
    Jwks { url: String },
    /// The shared HS256 secret.
    SharedSecret(SecretString),
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// `None` only in `dev`: sessions then live in memory.
    pub redis_url: Option<String>,
    pub algorithm: SigningAlgorithm,
    pub key_source: KeySource,
    pub issuer: String,
    pub audience: String,
}

#[derive(Deserialize)]
struct RawSettings {
    redis_url: Option<String>,
    jwks_url: Option<String>,
    secret_key: Option<SecretString>,
    algorithm: Option<String>,
    jwt_issuer: Option<String>,
    jwt_audience: Option<String>,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        let common = CommonSettings::from_env(DEFAULT_LISTEN)?;
        let raw: RawSettings = from_env()?;
        let algorithm = parse_or("ALGORITHM", raw.algorithm.as_deref(), SigningAlgorithm::default())?;
        let redis_url = raw.redis_url.filter(|url| !url.trim().is_empty());
        if redis_url.is_none() && common.app_env == AppEnv::Prod {
            return Err(SettingsError::new("REDIS_URL", "is required unless APP_ENV=dev"));
        }
        let key_source = if algorithm.is_symmetric() {
            let secret = raw.secret_key.ok_or_else(|| SettingsError::new("SECRET_KEY", "is required with HS256"))?;
            if secret.expose_secret().len() < auth_jwt::keys::MIN_HS256_SECRET_BYTES {
                return Err(SettingsError::new("SECRET_KEY", "must be at least 32 bytes"));
            }
            KeySource::SharedSecret(secret)
        } else {
            KeySource::Jwks { url: raw.jwks_url.unwrap_or_else(|| DEFAULT_JWKS_URL.to_owned()) }
        };
        Ok(Self {
            common,
            redis_url,
            algorithm,
            key_source,
            issuer: raw.jwt_issuer.unwrap_or_else(|| "auth-platform".to_owned()),
            audience: raw.jwt_audience.unwrap_or_else(|| "api".to_owned()),
        })
    }

    /// Starts logging (and trace export when configured); the guard flushes the last spans at exit.
    pub fn init_telemetry(&self) -> telemetry::Telemetry {
        let telemetry = telemetry::init(self.common.telemetry("session-service"));
        if self.common.app_env.is_dev() {
            tracing::warn!(
                in_memory_store = self.redis_url.is_none(),
                "APP_ENV=dev: embedded defaults in use (dev internal token, in-memory sessions when REDIS_URL is unset); never run this in production"
            );
        }
        telemetry
    }
}
