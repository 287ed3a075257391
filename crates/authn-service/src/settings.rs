//! The service's settings, parsed once at start into typed values.
//!
//! Common settings (`LISTEN_ADDR`, `INTERNAL_API_TOKEN`, `APP_ENV`, `RUST_LOG`) come from
//! `service_kit::settings::CommonSettings`; the authn ones are read here. A malformed or missing setting
//! is a [`SettingsError`] naming the variable, which `main` prints as one line before exiting.
//! Tests build [`Settings`] directly as a struct instead of touching the process environment.

use crate::client_ip::TrustedProxies;
use crate::lockout::LockoutPolicy;
use crate::oidc::settings::OidcSettings;
use redis::IntoConnectionInfo;
use secrecy::SecretString;
use service_kit::settings::{
    AppEnv, CommonSettings, DEV_INTERNAL_API_TOKEN, InternalApiToken, SettingsError, parse_or,
};
use std::time::Duration;

pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:8081";
pub const DEFAULT_TOKEN_SERVICE_URL: &str = "http://127.0.0.1:8082";
pub const DEFAULT_ARGON2_MEMORY_KIB: u32 = 19_456;
pub const DEFAULT_ARGON2_ITERATIONS: u32 = 2;
pub const DEFAULT_ARGON2_PARALLELISM: u32 = 1;
pub const DEFAULT_LOGIN_MAX_FAILURES: u32 = 5;
pub const DEFAULT_LOGIN_LOCKOUT_SECONDS: u64 = 900;

/// Everything the service needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// `REDIS_URL`; `None` (dev only) selects the in-memory stores.
    pub redis_url: Option<SecretString>,
    /// `TOKEN_SERVICE_URL`, without a trailing slash.
    pub token_service_url: String,
    /// `ALLOW_REGISTRATION`: whether `POST /register` is open.
    pub allow_registration: bool,
    /// `TRUSTED_PROXIES`: whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    pub hashing: HashingSettings,
    /// `LOGIN_MAX_FAILURES` and `LOGIN_LOCKOUT_SECONDS`.
    pub lockout: LockoutPolicy,
    /// `OIDC_*`: single sign-on providers and policies.
    pub oidc: OidcSettings,
}

/// The argon2id cost and how many hashes may run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingSettings {
    /// `ARGON2_MEMORY_KIB`
    pub memory_kib: u32,
    /// `ARGON2_ITERATIONS`
    pub iterations: u32,
    /// `ARGON2_PARALLELISM`
    pub parallelism: u32,
    /// `ARGON2_MAX_CONCURRENT`: the bound on hashes running at once (default: the CPU count).
    pub max_concurrent: usize,
}

impl HashingSettings {
    /// The argon2 parameters, or an error naming the variable argon2 refuses.
    pub fn params(&self) -> Result<argon2::Params, SettingsError> {
        argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, None).map_err(|error| {
            let variable = match error {
                argon2::Error::TimeTooSmall => "ARGON2_ITERATIONS",
                argon2::Error::ThreadsTooFew | argon2::Error::ThreadsTooMany => "ARGON2_PARALLELISM",
                _ => "ARGON2_MEMORY_KIB",
            };
            SettingsError::new(variable, format!("is refused by argon2 ({error})"))
        })
    }

    fn from_vars(vars: &dyn Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let settings = Self {
            memory_kib: parse_or("ARGON2_MEMORY_KIB", vars("ARGON2_MEMORY_KIB").as_deref(), DEFAULT_ARGON2_MEMORY_KIB)?,
            iterations: parse_or("ARGON2_ITERATIONS", vars("ARGON2_ITERATIONS").as_deref(), DEFAULT_ARGON2_ITERATIONS)?,
            parallelism: parse_or(
                "ARGON2_PARALLELISM",
                vars("ARGON2_PARALLELISM").as_deref(),
                DEFAULT_ARGON2_PARALLELISM,
            )?,
            max_concurrent: parse_or("ARGON2_MAX_CONCURRENT", vars("ARGON2_MAX_CONCURRENT").as_deref(), cpus)?,
        };
        if settings.max_concurrent == 0 {
            return Err(SettingsError::new("ARGON2_MAX_CONCURRENT", "must be at least 1"));
        }
        settings.params()?;
        Ok(settings)
    }
}

impl Settings {
    /// Reads the settings from the environment (call `service_kit::settings::load_dotenv` first).
    pub fn from_env() -> Result<Self, SettingsError> {
        let common = CommonSettings::from_env(DEFAULT_LISTEN_ADDR)?;
        Self::from_vars(common, &process_env)
    }

    /// Builds the settings from the common ones and a variable lookup (the environment, or a test map).
    pub fn from_vars(common: CommonSettings, vars: &dyn Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let redis_url = redis_url(common.app_env, vars)?;
        let allow_registration =
            parse_bool("ALLOW_REGISTRATION", vars("ALLOW_REGISTRATION").as_deref(), common.app_env.is_dev())?;
        let trusted_proxies = parse_or("TRUSTED_PROXIES", vars("TRUSTED_PROXIES").as_deref(), TrustedProxies::none())?;
        let max_failures: u32 =
            parse_or("LOGIN_MAX_FAILURES", vars("LOGIN_MAX_FAILURES").as_deref(), DEFAULT_LOGIN_MAX_FAILURES)?;
        if max_failures == 0 {
            return Err(SettingsError::new("LOGIN_MAX_FAILURES", "must be at least 1"));
        }
        let lockout_seconds: u64 =
            parse_or("LOGIN_LOCKOUT_SECONDS", vars("LOGIN_LOCKOUT_SECONDS").as_deref(), DEFAULT_LOGIN_LOCKOUT_SECONDS)?;
        if lockout_seconds == 0 {
            return Err(SettingsError::new("LOGIN_LOCKOUT_SECONDS", "must be at least 1"));
        }
        Ok(Self {
            common,
            redis_url,
            token_service_url: token_service_url(vars)?,
            allow_registration,
            trusted_proxies,
            hashing: HashingSettings::from_vars(vars)?,
            lockout: LockoutPolicy { max_failures, window: Duration::from_secs(lockout_seconds) },
            oidc: OidcSettings::from_vars(vars)?,
        })
    }

    /// The `dev` conveniences in force, for the start-up warning.
    pub fn embedded_defaults(&self) -> Vec<&'static str> {
        let mut defaults = Vec::new();
        if self.redis_url.is_none() {
            defaults.push("in-memory user store and login counters (REDIS_URL unset): accounts vanish on restart");
        }
        if self.common.internal_api_token.expose() == DEV_INTERNAL_API_TOKEN {
            defaults.push("the well-known dev INTERNAL_API_TOKEN");
        }
        defaults
    }

    /// Says loudly, once at start, which embedded defaults a `dev` run relies on.
    pub fn warn_about_embedded_defaults(&self) {
        if !self.common.app_env.is_dev() {
            return;
        }
        tracing::warn!("APP_ENV=dev: embedded defaults are allowed; never run like this in production");
        for default in self.embedded_defaults() {
            tracing::warn!(default, "APP_ENV=dev: using an embedded default");
        }
    }
}

/// What the admin commands need: the store, the token service, and the hashing cost. Parsed apart from
/// [`Settings`] so that a command does not depend on server-only settings such as `LISTEN_ADDR`.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    pub app_env: AppEnv,
    pub internal_api_token: InternalApiToken,
    pub redis_url: Option<SecretString>,
    pub token_service_url: String,
    pub hashing: HashingSettings,
}

impl AdminSettings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_vars(&process_env)
    }

    pub fn from_vars(vars: &dyn Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let app_env = app_env(vars)?;
        Ok(Self {
            app_env,
            internal_api_token: internal_api_token(app_env, vars)?,
            // Unlike the server, a command accepts a missing REDIS_URL even in prod and then explains
            // that it cannot reach an in-process store.
            redis_url: vars("REDIS_URL").filter(|url| !url.trim().is_empty()).map(validated_redis_url).transpose()?,
            token_service_url: token_service_url(vars)?,
            hashing: HashingSettings::from_vars(vars)?,
        })
    }
}

/// A variable of the process environment; a value that is not UTF-8 is kept (lossily) so that parsing
/// it fails with the variable's name rather than it silently counting as unset.
fn process_env(name: &str) -> Option<String> {
    std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
}

fn redis_url(app_env: AppEnv, vars: &dyn Fn(&str) -> Option<String>) -> Result<Option<SecretString>, SettingsError> {
    match vars("REDIS_URL").filter(|url| !url.trim().is_empty()) {
        Some(url) => validated_redis_url(url).map(Some),
        None if app_env.is_dev() => Ok(None),
        None => Err(SettingsError::new("REDIS_URL", "is required unless APP_ENV=dev")),
    }
}

/// Checks the URL's shape without connecting; the value (it may hold a password) is never echoed.
fn validated_redis_url(url: String) -> Result<SecretString, SettingsError> {
    let url = url.trim().to_owned();
    url.as_str()
        .into_connection_info()
        .map_err(|_| SettingsError::new("REDIS_URL", "is malformed (expected redis://host:port/db)"))?;
    Ok(SecretString::from(url))
}

fn token_service_url(vars: &dyn Fn(&str) -> Option<String>) -> Result<String, SettingsError> {
    let url = vars("TOKEN_SERVICE_URL").filter(|url| !url.trim().is_empty());
    let url = url.as_deref().unwrap_or(DEFAULT_TOKEN_SERVICE_URL).trim().trim_end_matches('/');
    let host = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(url.to_owned()),
        _ => Err(SettingsError::new("TOKEN_SERVICE_URL", "must be an http:// or https:// URL")),
    }
}

/// Booleans as operators write them: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
pub(crate) fn parse_bool(variable: &str, value: Option<&str>, default: bool) -> Result<bool, SettingsError> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(default);
    };
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(SettingsError::new(variable, "must be true or false")),
    }
}

fn app_env(vars: &dyn Fn(&str) -> Option<String>) -> Result<AppEnv, SettingsError> {
    AppEnv::parse(vars("APP_ENV").as_deref())
}

fn internal_api_token(
    app_env: AppEnv,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<InternalApiToken, SettingsError> {
    InternalApiToken::from_setting(app_env, vars("INTERNAL_API_TOKEN").map(SecretString::from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn common(app_env: AppEnv) -> CommonSettings {
        CommonSettings {
            listen_addr: "127.0.0.1:0".parse().expect("addr"),
            internal_api_token: InternalApiToken::new(SecretString::from("t".repeat(32))),
            app_env,
            log_filter: "info".to_owned(),
            otlp_endpoint: None,
            shutdown: Default::default(),
        }
    }

    fn parse(app_env: AppEnv, pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let vars: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_vars(common(app_env), &|name| vars.get(name).cloned())
    }

    #[test]
    fn dev_defaults() {
        let settings = parse(AppEnv::Dev, &[]).expect("valid");
        assert!(settings.redis_url.is_none());
        assert!(settings.allow_registration);
        assert_eq!(settings.token_service_url, DEFAULT_TOKEN_SERVICE_URL);
        assert_eq!(settings.trusted_proxies, TrustedProxies::none());
        assert_eq!(settings.lockout, LockoutPolicy { max_failures: 5, window: Duration::from_secs(900) });
        assert_eq!(
            (settings.hashing.memory_kib, settings.hashing.iterations, settings.hashing.parallelism),
            (19_456, 2, 1)
        );
        assert!(settings.hashing.max_concurrent >= 1);
        assert_eq!(settings.embedded_defaults().len(), 1);
    }

    #[test]
    fn prod_requires_redis_and_closes_registration() {
        let error = parse(AppEnv::Prod, &[]).expect_err("REDIS_URL missing");
        assert_eq!(error.variable(), "REDIS_URL");
        assert_eq!(error.to_string().lines().count(), 1);
        let settings = parse(AppEnv::Prod, &[("REDIS_URL", "redis://127.0.0.1:6390/0")]).expect("valid");
        assert!(!settings.allow_registration);
        assert!(settings.embedded_defaults().is_empty());
    }

    #[test]
    fn every_malformed_setting_is_named_and_its_value_not_echoed() {
        for (variable, value) in [
            ("REDIS_URL", "http://user:hunter2@nowhere"),
            ("TOKEN_SERVICE_URL", "ftp://hunter2"),
            ("ALLOW_REGISTRATION", "hunter2"),
            ("TRUSTED_PROXIES", "10.0.0.0/8,hunter2"),
            ("ARGON2_MEMORY_KIB", "hunter2"),
            ("ARGON2_MEMORY_KIB", "4"),
            ("ARGON2_ITERATIONS", "0"),
            ("ARGON2_PARALLELISM", "0"),
            ("ARGON2_MAX_CONCURRENT", "0"),
            ("LOGIN_MAX_FAILURES", "-1"),
            ("LOGIN_MAX_FAILURES", "0"),
            ("LOGIN_LOCKOUT_SECONDS", "0"),
        ] {
            let error = parse(AppEnv::Dev, &[(variable, value)]).expect_err(variable);
            assert_eq!(error.variable(), variable, "{value}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn explicit_values_are_used() {
        let settings = parse(
            AppEnv::Prod,
            &[
                ("REDIS_URL", "redis://127.0.0.1:6390"),
                ("TOKEN_SERVICE_URL", "https://token.internal:8443/"),
                ("ALLOW_REGISTRATION", "yes"),
                ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
                ("ARGON2_MEMORY_KIB", "1024"),
                ("ARGON2_ITERATIONS", "3"),
                ("ARGON2_PARALLELISM", "2"),
                ("ARGON2_MAX_CONCURRENT", "4"),
                ("LOGIN_MAX_FAILURES", "3"),
                ("LOGIN_LOCKOUT_SECONDS", "60"),
            ],
        )
        .expect("valid");
        assert_eq!(settings.token_service_url, "https://token.internal:8443");
        assert!(settings.allow_registration);
        assert!(settings.trusted_proxies.contains("10.1.2.3".parse().expect("ip")));
        assert_eq!(
            settings.hashing,
            HashingSettings { memory_kib: 1024, iterations: 3, parallelism: 2, max_concurrent: 4 }
        );
        assert_eq!(settings.lockout, LockoutPolicy { max_failures: 3, window: Duration::from_secs(60) });
    }

    #[test]
    fn admin_settings_need_only_their_variables() {
        let vars: HashMap<&str, &str> = HashMap::from([("LISTEN_ADDR", "garbage"), ("ALLOW_REGISTRATION", "garbage")]);
        let lookup = |name: &str| vars.get(name).map(|value| (*value).to_owned());
        let error = AdminSettings::from_vars(&lookup).expect_err("prod needs the internal token");
        assert_eq!(error.variable(), "INTERNAL_API_TOKEN");
        let vars: HashMap<&str, &str> = HashMap::from([("APP_ENV", "dev"), ("LISTEN_ADDR", "garbage")]);
        let lookup = |name: &str| vars.get(name).map(|value| (*value).to_owned());
        let settings = AdminSettings::from_vars(&lookup).expect("valid");
        assert!(settings.redis_url.is_none());
        assert_eq!(settings.internal_api_token.expose(), DEV_INTERNAL_API_TOKEN);
    }
}
