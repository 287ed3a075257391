//! The session service's settings, parsed once at start into typed values.
//!
//! The pattern is the one `service_kit::settings` describes: `Vars` holds this service's variables,
//! already typed; [`Settings::from_environment`] adds the common ones and the rules across variables.
//! A missing or malformed setting is a [`SettingsError`] naming the variable without echoing its value.

use crate::domain::max_sessions::MaxSessions;
use auth_jwt::algorithm::SigningAlgorithm;
use redis_kit::{RedisConfig, RedisVars};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use service_kit::settings::{CommonSettings, Environment, SettingsError, de, url_or_default};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use url::Url;

pub const DEFAULT_LISTEN_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8083);
pub const DEFAULT_JWKS_URL: &str = "http://127.0.0.1:8082/.well-known/jwks.json";
pub const DEFAULT_ISSUER: &str = "auth-platform";
pub const DEFAULT_AUDIENCE: &str = "api";

/// How the service verifies access tokens.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Public keys fetched from the token service's JWKS (EdDSA, ES256, RS256).
    Jwks { url: Url },
    /// The shared HS256 secret, and `SECRET_KEY_FILE` when it came from a file (re-read on `SIGHUP`).
    SharedSecret(SecretString, Option<std::path::PathBuf>),
}

/// Everything the service needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// `REDIS_URL` with `REDIS_CA_FILE`, `REDIS_SENTINEL_MASTER` and `REDIS_CLUSTER`; `None` (dev only)
    /// keeps sessions in memory.
    pub redis_url: Option<RedisConfig>,
    /// `ALGORITHM`
    pub algorithm: SigningAlgorithm,
    /// `JWKS_URL`, or `SECRET_KEY` with HS256.
    pub key_source: KeySource,
    /// `JWT_ISSUER`
    pub issuer: String,
    /// `JWT_AUDIENCE`
    pub audience: String,
    /// `MAX_SESSIONS_PER_USER`
    pub max_sessions_per_user: MaxSessions,
}

/// This service's own variables.
#[derive(Deserialize)]
struct Vars {
    #[serde(default, deserialize_with = "de::http_url")]
    jwks_url: Option<Url>,
    #[serde(default, deserialize_with = "de::secret")]
    secret_key: Option<SecretString>,
    #[serde(default, deserialize_with = "de::optional")]
    algorithm: Option<SigningAlgorithm>,
    #[serde(default, deserialize_with = "de::optional")]
    jwt_issuer: Option<String>,
    #[serde(default, deserialize_with = "de::optional")]
    jwt_audience: Option<String>,
    #[serde(default, deserialize_with = "de::optional")]
    max_sessions_per_user: Option<MaxSessions>,
}

impl Settings {
    /// Reads the settings from `environment` (the process's, or a test's).
    pub fn from_environment(environment: &Environment) -> Result<Self, SettingsError> {
        let common = CommonSettings::from_environment(environment, DEFAULT_LISTEN_ADDR)?;
        let vars: Vars = environment.read()?;
        let redis_url = environment
            .read::<RedisVars>()?
            .into_config()
            .map_err(|error| SettingsError::new(error.variable(), error.reason()))?;
        if redis_url.is_none() && !common.app_env.is_dev() {
            return Err(SettingsError::new("REDIS_URL", "is required unless APP_ENV=dev"));
        }
        let algorithm = vars.algorithm.unwrap_or_default();
        let key_source = if algorithm.is_symmetric() {
            let secret = vars.secret_key.ok_or_else(|| SettingsError::new("SECRET_KEY", "is required with HS256"))?;
            if secret.expose_secret().len() < auth_jwt::keys::MIN_HS256_SECRET_BYTES {
                return Err(SettingsError::new("SECRET_KEY", "must be at least 32 bytes"));
            }
            let file = environment.get("SECRET_KEY_FILE").map(str::trim).filter(|path| !path.is_empty());
            KeySource::SharedSecret(secret, file.map(std::path::PathBuf::from))
        } else {
            KeySource::Jwks { url: url_or_default(vars.jwks_url, "JWKS_URL", DEFAULT_JWKS_URL)? }
        };
        Ok(Self {
            common,
            redis_url,
            algorithm,
            key_source,
            issuer: vars.jwt_issuer.unwrap_or_else(|| DEFAULT_ISSUER.to_owned()),
            audience: vars.jwt_audience.unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned()),
            max_sessions_per_user: vars.max_sessions_per_user.unwrap_or_default(),
        })
    }

    /// This service's `dev` conveniences in force, for the start-up warning (the common ones are
    /// `CommonSettings::embedded_defaults`).
    pub fn embedded_defaults(&self) -> Vec<&'static str> {
        let mut defaults = Vec::new();
        if self.redis_url.is_none() {
            defaults.push("in-memory sessions (REDIS_URL unset): every session ends on restart");
        }
        defaults
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::from_environment(&Environment::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn dev_defaults() {
        let settings = parse(&[("APP_ENV", "dev")]).expect("valid");
        assert!(settings.redis_url.is_none());
        assert_eq!(settings.algorithm, SigningAlgorithm::EdDsa);
        assert!(matches!(&settings.key_source, KeySource::Jwks { url } if url.as_str() == DEFAULT_JWKS_URL));
        assert_eq!((settings.issuer.as_str(), settings.audience.as_str()), (DEFAULT_ISSUER, DEFAULT_AUDIENCE));
        assert_eq!(settings.embedded_defaults().len(), 1);
        assert_eq!(settings.max_sessions_per_user.get(), 100);
        assert_eq!(settings.common.embedded_defaults().len(), 1, "the dev internal token");
    }

    #[test]
    fn prod_requires_redis() {
        let token = "t".repeat(32);
        let error = parse(&[("INTERNAL_API_TOKEN", &token)]).expect_err("REDIS_URL missing");
        assert_eq!(error.variable(), "REDIS_URL");
        let settings =
            parse(&[("INTERNAL_API_TOKEN", &token), ("REDIS_URL", "redis://127.0.0.1:6390/0")]).expect("valid");
        assert!(settings.embedded_defaults().is_empty());
    }

    #[test]
    fn hs256_takes_the_shared_secret() {
        let settings =
            parse(&[("APP_ENV", "dev"), ("ALGORITHM", "HS256"), ("SECRET_KEY", &"s".repeat(32))]).expect("valid");
        assert!(matches!(settings.key_source, KeySource::SharedSecret(..)));
        let error = parse(&[("APP_ENV", "dev"), ("ALGORITHM", "HS256")]).expect_err("no secret");
        assert_eq!(error.variable(), "SECRET_KEY");
    }

    #[test]
    fn every_malformed_setting_is_named_and_its_value_not_echoed() {
        for (variable, value) in [
            ("LISTEN_ADDR", "hunter2"),
            ("APP_ENV", "hunter2"),
            ("REDIS_URL", "http://user:hunter2@nowhere"),
            ("JWKS_URL", "hunter2"),
            ("JWKS_URL", "ftp://hunter2/jwks.json"),
            ("ALGORITHM", "hunter2"),
            ("SECRET_KEY", "hunter2"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "hunter2"),
            ("SHUTDOWN_DRAIN_SECONDS", "hunter2"),
            ("MAX_SESSIONS_PER_USER", "hunter2"),
            ("MAX_SESSIONS_PER_USER", "0"),
            ("MAX_SESSIONS_PER_USER", "1001"),
        ] {
            let mut pairs = vec![("APP_ENV", "dev")];
            if variable == "SECRET_KEY" {
                pairs.push(("ALGORITHM", "HS256"));
            }
            pairs.retain(|(name, _)| *name != variable);
            pairs.push((variable, value));
            let error = parse(&pairs).expect_err(variable);
            assert_eq!(error.variable(), variable, "{value}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
            assert_eq!(error.to_string().lines().count(), 1);
        }
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let settings = parse(&[
            ("INTERNAL_API_TOKEN", "hunter2-internal-token-0123456789abcdef"),
            ("REDIS_URL", "redis://app:hunter2-redis@127.0.0.1:6390"),
            ("ALGORITHM", "HS256"),
            ("SECRET_KEY", "hunter2-a-shared-secret-long-enough-for-hs256"),
        ])
        .expect("valid");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn the_hs256_secret_and_the_redis_url_may_come_from_files() {
        let secret = tempfile::NamedTempFile::new().expect("a temp file");
        std::fs::write(secret.path(), format!("{}\n", "s".repeat(32))).expect("written");
        let redis = tempfile::NamedTempFile::new().expect("a temp file");
        std::fs::write(redis.path(), "redis://127.0.0.1:6390/0").expect("written");
        let (secret_path, redis_path) =
            (secret.path().to_string_lossy().into_owned(), redis.path().to_string_lossy().into_owned());
        let settings = parse(&[
            ("APP_ENV", "dev"),
            ("ALGORITHM", "HS256"),
            ("SECRET_KEY_FILE", &secret_path),
            ("REDIS_URL_FILE", &redis_path),
        ])
        .expect("valid");
        let KeySource::SharedSecret(value, file) = &settings.key_source else { panic!("HS256") };
        assert_eq!(value.expose_secret(), "s".repeat(32));
        assert_eq!(file.as_deref(), Some(secret.path()), "kept for SIGHUP");
        assert!(settings.redis_url.is_some());
    }
}
