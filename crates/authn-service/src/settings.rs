//! The service's settings, parsed once at start into typed values.
//!
//! The pattern is the one `service_kit::settings` describes: `Vars` holds this service's variables,
//! already typed; [`Settings::from_environment`] adds the common ones and the rules across variables
//! (`ALLOW_REGISTRATION`'s default and `REDIS_URL` depend on `APP_ENV`). The SSO settings, whose
//! variable names depend on `OIDC_PROVIDERS`, are read by `oidc::settings` the same way. A missing or
//! malformed setting is a [`SettingsError`] naming the variable, which `main` prints as one line before
//! exiting, without echoing its value. Tests build an `Environment` from pairs, or [`Settings`]
//! directly as a struct.

use crate::client_ip::TrustedProxies;
use crate::lockout::LockoutPolicy;
use crate::oidc::settings::OidcSettings;
use redis_kit::{RedisConfig, RedisVars};
use serde::Deserialize;
use service_kit::settings::{AppEnv, CommonSettings, Environment, InternalApiToken, SettingsError, de, url_or_default};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use url::Url;

pub const DEFAULT_LISTEN_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8081);
pub const DEFAULT_TOKEN_SERVICE_URL: &str = "http://127.0.0.1:8082";
pub const DEFAULT_ARGON2_MEMORY_KIB: u32 = 19_456;
pub const DEFAULT_ARGON2_ITERATIONS: u32 = 2;
pub const DEFAULT_ARGON2_PARALLELISM: u32 = 1;
pub const DEFAULT_LOGIN_MAX_FAILURES: u32 = 5;
pub const DEFAULT_LOGIN_LOCKOUT_SECONDS: u64 = 900;
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 60;

/// Everything the service needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// `REDIS_URL` with `REDIS_CA_FILE`, `REDIS_SENTINEL_MASTER` and `REDIS_CLUSTER`; `None` (dev only)
    /// selects the in-memory stores.
    pub redis_url: Option<RedisConfig>,
    /// `TOKEN_SERVICE_URL`
    pub token_service_url: Url,
    /// `ALLOW_REGISTRATION`: whether `POST /register` is open.
    pub allow_registration: bool,
    /// `TRUSTED_PROXIES`: whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    pub hashing: HashingSettings,
    /// `LOGIN_MAX_FAILURES` and `LOGIN_LOCKOUT_SECONDS`.
    pub lockout: LockoutPolicy,
    /// `RATE_LIMIT_PER_MINUTE`: requests per client address and minute to `/register` and
    /// `/oauth/login`; 0 turns the limit off.
    pub rate_limit_per_minute: u32,
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

/// This service's own variables (the SSO ones are in `oidc::settings`).
#[derive(Deserialize)]
struct Vars {
    #[serde(default, deserialize_with = "de::http_url")]
    token_service_url: Option<Url>,
    #[serde(default, deserialize_with = "de::flag")]
    allow_registration: Option<bool>,
    #[serde(default, deserialize_with = "de::optional")]
    trusted_proxies: Option<TrustedProxies>,
    #[serde(default, deserialize_with = "de::optional")]
    login_max_failures: Option<u32>,
    #[serde(default, deserialize_with = "de::seconds")]
    login_lockout_seconds: Option<Duration>,
    #[serde(default, deserialize_with = "de::optional")]
    rate_limit_per_minute: Option<u32>,
}

/// The hashing variables, read by the server and the admin commands alike.
#[derive(Deserialize)]
struct HashingVars {
    #[serde(default, deserialize_with = "de::optional")]
    argon2_memory_kib: Option<u32>,
    #[serde(default, deserialize_with = "de::optional")]
    argon2_iterations: Option<u32>,
    #[serde(default, deserialize_with = "de::optional")]
    argon2_parallelism: Option<u32>,
    #[serde(default, deserialize_with = "de::optional")]
    argon2_max_concurrent: Option<usize>,
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

    /// Reads the `ARGON2_*` variables alone (the service, the admin commands and the bench's ceiling).
    pub fn from_environment(environment: &Environment) -> Result<Self, SettingsError> {
        let vars: HashingVars = environment.read()?;
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let settings = Self {
            memory_kib: vars.argon2_memory_kib.unwrap_or(DEFAULT_ARGON2_MEMORY_KIB),
            iterations: vars.argon2_iterations.unwrap_or(DEFAULT_ARGON2_ITERATIONS),
            parallelism: vars.argon2_parallelism.unwrap_or(DEFAULT_ARGON2_PARALLELISM),
            max_concurrent: vars.argon2_max_concurrent.unwrap_or(cpus),
        };
        if settings.max_concurrent == 0 {
            return Err(SettingsError::new("ARGON2_MAX_CONCURRENT", "must be at least 1"));
        }
        settings.params()?;
        Ok(settings)
    }
}

impl Settings {
    /// Reads the settings from `environment` (the process's, or a test's).
    pub fn from_environment(environment: &Environment) -> Result<Self, SettingsError> {
        let common = CommonSettings::from_environment(environment, DEFAULT_LISTEN_ADDR)?;
        let vars: Vars = environment.read()?;
        let redis_url = read_redis(environment)?;
        if redis_url.is_none() && !common.app_env.is_dev() {
            return Err(SettingsError::new("REDIS_URL", "is required unless APP_ENV=dev"));
        }
        let max_failures = vars.login_max_failures.unwrap_or(DEFAULT_LOGIN_MAX_FAILURES);
        if max_failures == 0 {
            return Err(SettingsError::new("LOGIN_MAX_FAILURES", "must be at least 1"));
        }
        let window = vars.login_lockout_seconds.unwrap_or(Duration::from_secs(DEFAULT_LOGIN_LOCKOUT_SECONDS));
        if window.is_zero() {
            return Err(SettingsError::new("LOGIN_LOCKOUT_SECONDS", "must be at least 1"));
        }
        Ok(Self {
            allow_registration: vars.allow_registration.unwrap_or(common.app_env.is_dev()),
            common,
            redis_url,
            token_service_url: url_or_default(vars.token_service_url, "TOKEN_SERVICE_URL", DEFAULT_TOKEN_SERVICE_URL)?,
            trusted_proxies: vars.trusted_proxies.unwrap_or_else(TrustedProxies::none),
            hashing: HashingSettings::from_environment(environment)?,
            lockout: LockoutPolicy { max_failures, window },
            rate_limit_per_minute: vars.rate_limit_per_minute.unwrap_or(DEFAULT_RATE_LIMIT_PER_MINUTE),
            oidc: OidcSettings::from_environment(environment)?,
        })
    }

    /// This service's `dev` conveniences in force, for the start-up warning (the common ones are
    /// `CommonSettings::embedded_defaults`).
    pub fn embedded_defaults(&self) -> Vec<&'static str> {
        let mut defaults = Vec::new();
        if self.redis_url.is_none() {
            defaults.push("in-memory user store and login counters (REDIS_URL unset): accounts vanish on restart");
        }
        defaults
    }
}

/// What the admin commands need: the store, the token service, and the hashing cost. Parsed apart from
/// [`Settings`] so that a command does not depend on server-only settings such as `LISTEN_ADDR`.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    pub app_env: AppEnv,
    pub internal_api_token: InternalApiToken,
    /// Unlike the server, a command accepts a missing `REDIS_URL` even in prod and then explains that
    /// it cannot reach an in-process store.
    pub redis_url: Option<RedisConfig>,
    pub token_service_url: Url,
    pub hashing: HashingSettings,
}

/// The admin commands' variables.
#[derive(Deserialize)]
struct AdminVars {
    #[serde(default, deserialize_with = "de::optional")]
    app_env: Option<AppEnv>,
    #[serde(default, deserialize_with = "de::secret")]
    internal_api_token: Option<secrecy::SecretString>,
    #[serde(default, deserialize_with = "de::http_url")]
    token_service_url: Option<Url>,
}

impl AdminSettings {
    pub fn from_environment(environment: &Environment) -> Result<Self, SettingsError> {
        let vars: AdminVars = environment.read()?;
        let app_env = vars.app_env.unwrap_or_default();
        Ok(Self {
            app_env,
            internal_api_token: InternalApiToken::from_setting(app_env, vars.internal_api_token)?,
            redis_url: read_redis(environment)?,
            token_service_url: url_or_default(vars.token_service_url, "TOKEN_SERVICE_URL", DEFAULT_TOKEN_SERVICE_URL)?,
            hashing: HashingSettings::from_environment(environment)?,
        })
    }
}

/// `REDIS_URL` and the variables that say how to use it (see `redis_kit::config`).
fn read_redis(environment: &Environment) -> Result<Option<RedisConfig>, SettingsError> {
    environment.read::<RedisVars>()?.into_config().map_err(|error| SettingsError::new(error.variable(), error.reason()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_kit::settings::DEV_INTERNAL_API_TOKEN;

    fn parse(app_env: AppEnv, pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let app_env = if app_env.is_dev() { "dev" } else { "prod" };
        let environment =
            Environment::from_pairs([("APP_ENV", app_env.to_owned()), ("INTERNAL_API_TOKEN", "t".repeat(32))]);
        let environment = pairs.iter().fold(environment, |environment, (name, value)| environment.with(name, value));
        Settings::from_environment(&environment)
    }

    #[test]
    fn dev_defaults() {
        let settings = parse(AppEnv::Dev, &[]).expect("valid");
        assert!(settings.redis_url.is_none());
        assert!(settings.allow_registration);
        assert_eq!(settings.token_service_url.as_str(), "http://127.0.0.1:8082/");
        assert_eq!(settings.trusted_proxies, TrustedProxies::none());
        assert_eq!(settings.lockout, LockoutPolicy { max_failures: 5, window: Duration::from_secs(900) });
        assert_eq!(settings.rate_limit_per_minute, 60);
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
    fn redis_topology_settings_are_read_with_the_url() {
        let url = "redis://:hunter2@10.0.0.1:26379,redis://10.0.0.2:26379";
        let settings =
            parse(AppEnv::Prod, &[("REDIS_URL", url), ("REDIS_SENTINEL_MASTER", "mymaster")]).expect("valid");
        let redis = settings.redis_url.expect("redis configured");
        assert_eq!(redis.topology(), &redis_kit::Topology::Sentinel { master_name: "mymaster".to_owned() });
        for (pairs, variable) in [
            (vec![("REDIS_URL", url)], "REDIS_URL"),
            (vec![("REDIS_URL", url), ("REDIS_CLUSTER", "hunter2")], "REDIS_CLUSTER"),
            (
                vec![("REDIS_URL", "redis://:hunter2@a:1"), ("REDIS_CA_FILE", "/nonexistent/hunter2.pem")],
                "REDIS_CA_FILE",
            ),
        ] {
            let error = parse(AppEnv::Prod, &pairs).expect_err("refused");
            assert_eq!(error.variable(), variable);
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn every_malformed_setting_is_named_and_its_value_not_echoed() {
        for (variable, value) in [
            ("LISTEN_ADDR", "hunter2"),
            ("APP_ENV", "hunter2"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "hunter2"),
            ("REDIS_URL", "http://user:hunter2@nowhere"),
            ("TOKEN_SERVICE_URL", "ftp://hunter2"),
            ("TOKEN_SERVICE_URL", "hunter2"),
            ("OIDC_ISSUER_URL", "hunter2"),
            ("OIDC_FRONTEND_REDIRECT_URLS", "hunter2"),
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
            ("RATE_LIMIT_PER_MINUTE", "-1"),
            ("RATE_LIMIT_PER_MINUTE", "hunter2"),
        ] {
            let error = parse(AppEnv::Dev, &[(variable, value)]).expect_err(variable);
            assert_eq!(error.variable(), variable, "{value}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
            assert_eq!(error.to_string().lines().count(), 1);
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
                ("RATE_LIMIT_PER_MINUTE", "0"),
            ],
        )
        .expect("valid");
        assert_eq!(settings.token_service_url.as_str(), "https://token.internal:8443/");
        assert!(settings.allow_registration);
        assert!(settings.trusted_proxies.contains("10.1.2.3".parse().expect("ip")));
        assert_eq!(
            settings.hashing,
            HashingSettings { memory_kib: 1024, iterations: 3, parallelism: 2, max_concurrent: 4 }
        );
        assert_eq!(settings.lockout, LockoutPolicy { max_failures: 3, window: Duration::from_secs(60) });
        assert_eq!(settings.rate_limit_per_minute, 0, "0 turns the limit off");
    }

    #[test]
    fn admin_settings_need_only_their_variables() {
        let environment = Environment::from_pairs([("LISTEN_ADDR", "garbage"), ("ALLOW_REGISTRATION", "garbage")]);
        let error = AdminSettings::from_environment(&environment).expect_err("prod needs the internal token");
        assert_eq!(error.variable(), "INTERNAL_API_TOKEN");
        let environment = Environment::from_pairs([("APP_ENV", "dev"), ("LISTEN_ADDR", "garbage")]);
        let settings = AdminSettings::from_environment(&environment).expect("valid");
        assert!(settings.redis_url.is_none());
        assert_eq!(settings.internal_api_token.expose(), DEV_INTERNAL_API_TOKEN);
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let settings = parse(
            AppEnv::Prod,
            &[
                ("REDIS_URL", "redis://app:hunter2-redis@127.0.0.1:6390"),
                ("INTERNAL_API_TOKEN", "hunter2-internal-token-0123456789abcdef"),
                ("OIDC_ISSUER_URL", "https://idp.example.com"),
                ("OIDC_CLIENT_ID", "authn"),
                ("OIDC_CLIENT_SECRET", "hunter2-client-secret"),
                ("OIDC_REDIRECT_URL", "https://gateway.example.com/oauth/callback"),
            ],
        )
        .expect("valid");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn the_internal_token_and_the_redis_url_may_come_from_files() {
        let token = tempfile::NamedTempFile::new().expect("a temp file");
        std::fs::write(token.path(), format!("{}\n", "f".repeat(40))).expect("written");
        let redis = tempfile::NamedTempFile::new().expect("a temp file");
        std::fs::write(redis.path(), "redis://:hunter2@127.0.0.1:6390/0\n").expect("written");
        let environment = Environment::from_pairs([
            ("APP_ENV", "prod".to_owned()),
            ("INTERNAL_API_TOKEN_FILE", token.path().to_string_lossy().into_owned()),
            ("REDIS_URL_FILE", redis.path().to_string_lossy().into_owned()),
        ]);
        let settings = Settings::from_environment(&environment).expect("valid");
        assert_eq!(settings.common.internal_api_token.expose(), "f".repeat(40));
        assert!(settings.redis_url.is_some());

        let missing = environment.with("REDIS_URL_FILE", "/nonexistent/redis-url");
        let error = Settings::from_environment(&missing).expect_err("unreadable");
        assert_eq!(error.variable(), "REDIS_URL_FILE");
        assert!(error.to_string().contains("/nonexistent/redis-url"), "{error}");
    }
}
