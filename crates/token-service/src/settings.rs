//! The token service's settings, parsed once at start; key files are read and checked here too, so a bad
//! key stops the start with a line naming its variable.

use crate::keyring::KeyRing;
use auth_jwt::algorithm::SigningAlgorithm;
use auth_jwt::keys::SigningKey;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use service_kit::settings::{AppEnv, CommonSettings, SettingsError, from_env, parse_or};
use std::sync::Arc;
use std::time::Duration;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8082";
pub const DEFAULT_SESSION_SERVICE_URL: &str = "http://127.0.0.1:8083";
/// A longer grace window would make refresh-token theft easy to hide.
pub const MAX_REUSE_GRACE_SECONDS: i64 = 300;

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub session_service_url: String,
    pub keys: Arc<KeyRing>,
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub reuse_grace: Duration,
}

#[derive(Deserialize)]
struct RawSettings {
    session_service_url: Option<String>,
    algorithm: Option<String>,
    secret_key: Option<SecretString>,
    jwt_private_key_file: Option<String>,
    jwt_previous_key_files: Option<String>,
    jwt_issuer: Option<String>,
    jwt_audience: Option<String>,
    access_token_expire_minutes: Option<String>,
    refresh_token_expire_minutes: Option<String>,
    refresh_reuse_grace_seconds: Option<String>,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        let common = CommonSettings::from_env(DEFAULT_LISTEN)?;
        let raw: RawSettings = from_env()?;
        let algorithm = parse_or("ALGORITHM", raw.algorithm.as_deref(), SigningAlgorithm::default())?;
        let keys = load_keys(algorithm, &raw, common.app_env)?;
        let access_minutes: u64 =
            parse_or("ACCESS_TOKEN_EXPIRE_MINUTES", raw.access_token_expire_minutes.as_deref(), 30)?;
        let refresh_minutes: u64 =
            parse_or("REFRESH_TOKEN_EXPIRE_MINUTES", raw.refresh_token_expire_minutes.as_deref(), 20160)?;
        let grace_seconds: i64 =
            parse_or("REFRESH_REUSE_GRACE_SECONDS", raw.refresh_reuse_grace_seconds.as_deref(), 0)?;
        if access_minutes == 0 || access_minutes > 24 * 60 {
            return Err(SettingsError::new("ACCESS_TOKEN_EXPIRE_MINUTES", "must be between 1 and 1440"));
        }
        if refresh_minutes == 0 || refresh_minutes > 366 * 24 * 60 {
            return Err(SettingsError::new("REFRESH_TOKEN_EXPIRE_MINUTES", "must be between 1 and 527040"));
        }
        if !(0..=MAX_REUSE_GRACE_SECONDS).contains(&grace_seconds) {
            return Err(SettingsError::new("REFRESH_REUSE_GRACE_SECONDS", "must be between 0 and 300"));
        }
        Ok(Self {
            common,
            session_service_url: raw.session_service_url.unwrap_or_else(|| DEFAULT_SESSION_SERVICE_URL.to_owned()),
            keys: Arc::new(keys),
            issuer: raw.jwt_issuer.unwrap_or_else(|| "auth-platform".to_owned()),
            audience: raw.jwt_audience.unwrap_or_else(|| "api".to_owned()),
            access_ttl: Duration::from_secs(access_minutes * 60),
            refresh_ttl: Duration::from_secs(refresh_minutes * 60),
            reuse_grace: Duration::from_secs(grace_seconds.unsigned_abs()),
        })
    }

    /// Starts logging (and trace export when configured); the guard flushes the last spans at exit.
    pub fn init_telemetry(&self) -> telemetry::Telemetry {
        let telemetry = telemetry::init(self.common.telemetry("token-service"));
        tracing::info!(algorithm = %self.keys.algorithm(), kid = %self.keys.current().kid(), "signing key loaded");
        if self.common.app_env.is_dev() {
            tracing::warn!(
                "APP_ENV=dev: embedded defaults in use (dev internal token, an ephemeral signing key when JWT_PRIVATE_KEY_FILE is unset); never run this in production"
            );
        }
        telemetry
    }
}

fn load_keys(algorithm: SigningAlgorithm, raw: &RawSettings, app_env: AppEnv) -> Result<KeyRing, SettingsError> {
    if algorithm.is_symmetric() {
        let secret =
            raw.secret_key.as_ref().ok_or_else(|| SettingsError::new("SECRET_KEY", "is required with HS256"))?;
        let key = SigningKey::from_secret(secret.expose_secret().as_bytes())
            .map_err(|error| SettingsError::new("SECRET_KEY", error.to_string()))?;
        return Ok(KeyRing::new(key, Vec::new()));
    }
    let current = match raw.jwt_private_key_file.as_deref().filter(|path| !path.trim().is_empty()) {
        Some(path) => read_key("JWT_PRIVATE_KEY_FILE", algorithm, path)?,
        None if app_env.is_dev() => SigningKey::generate(algorithm)
            .map_err(|error| SettingsError::new("JWT_PRIVATE_KEY_FILE", format!("an ephemeral key failed: {error}")))?,
        None => return Err(SettingsError::new("JWT_PRIVATE_KEY_FILE", format!("is required with {algorithm}"))),
    };
    let previous = raw
        .jwt_previous_key_files
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|path| !path.is_empty())
        .map(|path| read_key("JWT_PREVIOUS_KEY_FILES", algorithm, path))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KeyRing::new(current, previous))
}

fn read_key(variable: &str, algorithm: SigningAlgorithm, path: &str) -> Result<SigningKey, SettingsError> {
    let pem =
        std::fs::read(path).map_err(|error| SettingsError::new(variable, format!("cannot read {path}: {error}")))?;
    SigningKey::from_pem(algorithm, &pem).map_err(|error| SettingsError::new(variable, format!("{path}: {error}")))
}
