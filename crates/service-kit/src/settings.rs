//! Settings common to every service, parsed once at start from the environment (and `.env`).
//!
//! A missing or malformed setting stops the start with one line naming the variable: every error here
//! is a [`SettingsError`] that says which variable and why, and never echoes a secret's value.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use crate::shutdown::ShutdownPolicy;

/// `APP_ENV`: `dev` allows embedded defaults (in-memory stores, an ephemeral key, a known internal token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Dev,
    Prod,
}

impl AppEnv {
    /// `APP_ENV`: unset means `prod`.
    pub fn parse(value: Option<&str>) -> Result<Self, SettingsError> {
        match value.map(str::trim) {
            None | Some("prod") | Some("production") => Ok(AppEnv::Prod),
            Some("dev") | Some("development") => Ok(AppEnv::Dev),
            Some(_) => Err(SettingsError::new("APP_ENV", "must be dev or prod")),
        }
    }

    pub fn is_dev(self) -> bool {
        self == AppEnv::Dev
    }
}

/// The shared secret of `/internal/` calls, compared in constant time and never printed.
#[derive(Clone)]
pub struct InternalApiToken(SecretString);

impl InternalApiToken {
    pub fn new(token: SecretString) -> Self {
        Self(token)
    }

    /// `INTERNAL_API_TOKEN`: required and at least 32 characters in `prod`; a well-known token in `dev`.
    pub fn from_setting(app_env: AppEnv, value: Option<SecretString>) -> Result<Self, SettingsError> {
        match (value.filter(|token| !token.expose_secret().is_empty()), app_env) {
            (Some(token), AppEnv::Prod) if token.expose_secret().len() < MIN_INTERNAL_API_TOKEN_LENGTH => {
                Err(SettingsError::new(
                    "INTERNAL_API_TOKEN",
                    format!("must be at least {MIN_INTERNAL_API_TOKEN_LENGTH} characters"),
                ))
            }
            (Some(token), _) => Ok(Self(token)),
            (None, AppEnv::Dev) => Ok(Self(SecretString::from(DEV_INTERNAL_API_TOKEN))),
            (None, AppEnv::Prod) => Err(SettingsError::new("INTERNAL_API_TOKEN", "is required unless APP_ENV=dev")),
        }
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Constant-time comparison, so response timing reveals nothing about the secret.
    pub fn matches(&self, presented: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        let expected = self.0.expose_secret().as_bytes();
        expected.len() == presented.len() && bool::from(expected.ct_eq(presented))
    }
}

impl fmt::Debug for InternalApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InternalApiToken([REDACTED])")
    }
}

/// The token every service uses in `dev` when `INTERNAL_API_TOKEN` is unset, so `make run` needs no setup.
pub const DEV_INTERNAL_API_TOKEN: &str = "dev-internal-api-token-do-not-use-in-production";

/// A production internal token must be at least this long.
pub const MIN_INTERNAL_API_TOKEN_LENGTH: usize = 32;

/// Settings every service reads.
#[derive(Debug, Clone)]
pub struct CommonSettings {
    pub listen_addr: SocketAddr,
    pub internal_api_token: InternalApiToken,
    pub app_env: AppEnv,
    pub log_filter: String,
    pub otlp_endpoint: Option<String>,
    pub shutdown: ShutdownPolicy,
}

#[derive(Deserialize)]
struct RawCommon {
    listen_addr: Option<String>,
    internal_api_token: Option<SecretString>,
    app_env: Option<String>,
    rust_log: Option<String>,
    otel_exporter_otlp_endpoint: Option<String>,
    shutdown_drain_seconds: Option<String>,
    shutdown_timeout_seconds: Option<String>,
}

/// `SHUTDOWN_DRAIN_SECONDS` default in `prod`: long enough for a Kubernetes endpoint update or a gateway's
/// health check to notice the 503 from `/readyz` before the listener closes. `dev` stops at once.
pub const DEFAULT_SHUTDOWN_DRAIN_SECONDS: u64 = 5;
/// `SHUTDOWN_TIMEOUT_SECONDS` default: how long in-flight requests may take to finish after the drain.
pub const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS: u64 = 20;
/// Upper bound of both shutdown settings (Kubernetes' default grace period is 30 s).
const MAX_SHUTDOWN_SECONDS: u64 = 600;

impl CommonSettings {
    /// Reads the common settings; `default_listen` is the service's address from the contract.
    pub fn from_env(default_listen: &str) -> Result<Self, SettingsError> {
        let raw: RawCommon = from_env()?;
        let app_env = AppEnv::parse(raw.app_env.as_deref())?;
        let listen_addr = parse_var("LISTEN_ADDR", raw.listen_addr.as_deref().unwrap_or(default_listen))?;
        let internal_api_token = InternalApiToken::from_setting(app_env, raw.internal_api_token)?;
        let default_drain = if app_env.is_dev() { 0 } else { DEFAULT_SHUTDOWN_DRAIN_SECONDS };
        let drain = shutdown_seconds("SHUTDOWN_DRAIN_SECONDS", raw.shutdown_drain_seconds.as_deref(), default_drain)?;
        let timeout = shutdown_seconds(
            "SHUTDOWN_TIMEOUT_SECONDS",
            raw.shutdown_timeout_seconds.as_deref(),
            DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
        )?;
        Ok(Self {
            listen_addr,
            internal_api_token,
            app_env,
            log_filter: raw.rust_log.unwrap_or_else(|| "info".to_owned()),
            otlp_endpoint: raw.otel_exporter_otlp_endpoint.filter(|endpoint| !endpoint.trim().is_empty()),
            shutdown: ShutdownPolicy { drain, timeout },
        })
    }

    /// What the telemetry crate needs: JSON log lines in `prod`, human-readable ones in `dev`.
    pub fn telemetry(&self, service: &'static str) -> telemetry::TelemetrySettings<'_> {
        telemetry::TelemetrySettings {
            service,
            log_filter: &self.log_filter,
            format: if self.app_env.is_dev() { telemetry::LogFormat::Human } else { telemetry::LogFormat::Json },
            otlp_endpoint: self.otlp_endpoint.as_deref(),
        }
    }
}

fn shutdown_seconds(variable: &str, value: Option<&str>, default: u64) -> Result<Duration, SettingsError> {
    let seconds = parse_or(variable, value, default)?;
    if seconds > MAX_SHUTDOWN_SECONDS {
        return Err(SettingsError::new(variable, format!("must be at most {MAX_SHUTDOWN_SECONDS}")));
    }
    Ok(Duration::from_secs(seconds))
}

/// A setting that stops the start: which variable, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    variable: String,
    reason: String,
}

impl SettingsError {
    pub fn new(variable: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { variable: variable.into(), reason: reason.into() }
    }

    pub fn variable(&self) -> &str {
        &self.variable
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid setting {}: {}", self.variable, self.reason)
    }
}

impl std::error::Error for SettingsError {}

/// Loads `.env` from the working directory when present; real environment variables win.
pub fn load_dotenv() {
    // A missing .env is the normal case in production.
    let _ = dotenvy::dotenv();
}

/// Deserializes a settings struct from the environment; field `foo_bar` reads `FOO_BAR`.
/// Non-string fields should be `Option<String>` and go through [`parse_var`] so errors name the variable.
pub fn from_env<T: DeserializeOwned>() -> Result<T, SettingsError> {
    envy::from_env::<T>().map_err(|error| match error {
        envy::Error::MissingValue(field) => SettingsError::new(field.to_ascii_uppercase(), "is required"),
        envy::Error::Custom(message) => {
            let variable = message.rsplit("provided by ").next().unwrap_or("settings").to_owned();
            SettingsError::new(variable, "is malformed")
        }
    })
}

/// Parses one variable's value, naming the variable on failure and never echoing the value.
pub fn parse_var<T: FromStr>(variable: &str, value: &str) -> Result<T, SettingsError>
where
    T::Err: fmt::Display,
{
    value.trim().parse::<T>().map_err(|error| SettingsError::new(variable, format!("is malformed ({error})")))
}

/// Parses an optional variable, with a default when unset.
pub fn parse_or<T: FromStr>(variable: &str, value: Option<&str>, default: T) -> Result<T, SettingsError>
where
    T::Err: fmt::Display,
{
    match value {
        Some(value) if !value.trim().is_empty() => parse_var(variable, value),
        _ => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_var_names_the_variable_without_the_value() {
        let error = parse_var::<u32>("ARGON2_MEMORY_KIB", "lots").unwrap_err();
        assert_eq!(error.variable(), "ARGON2_MEMORY_KIB");
        assert!(!error.to_string().contains("lots"));
    }

    #[test]
    fn parse_or_uses_the_default_when_unset_or_blank() {
        assert_eq!(parse_or("X", None, 5u32).unwrap(), 5);
        assert_eq!(parse_or("X", Some(" "), 5u32).unwrap(), 5);
        assert_eq!(parse_or("X", Some("7"), 5u32).unwrap(), 7);
    }

    #[test]
    fn internal_token_compares_whole_values() {
        let token = InternalApiToken::new(SecretString::from("secret-value"));
        assert!(token.matches(b"secret-value"));
        assert!(!token.matches(b"secret-valu"));
        assert!(!token.matches(b"secret-valuE"));
        assert_eq!(format!("{token:?}"), "InternalApiToken([REDACTED])");
    }
}
