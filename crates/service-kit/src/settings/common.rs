//! The settings every service reads: where it listens, the internal API token (and the previous one, during
//! a rotation), `APP_ENV`, logging, trace export, shutdown timing and whether the Swagger UI page is served.

use super::{Environment, SettingsError, de};
use crate::shutdown::ShutdownPolicy;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;
use url::Url;

/// `APP_ENV`: `dev` allows embedded defaults (in-memory stores, an ephemeral key, a known internal token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppEnv {
    Dev,
    /// Unset means `prod`.
    #[default]
    Prod,
}

impl AppEnv {
    pub fn is_dev(self) -> bool {
        self == AppEnv::Dev
    }
}

impl FromStr for AppEnv {
    type Err = &'static str;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim() {
            "prod" | "production" => Ok(AppEnv::Prod),
            "dev" | "development" => Ok(AppEnv::Dev),
            _ => Err("must be dev or prod"),
        }
    }
}

/// The shared secret of `/internal/` calls, compared in constant time and never printed: the token this
/// service sends (`INTERNAL_API_TOKEN`) and, during a rotation, the one it also accepts
/// (`INTERNAL_API_TOKEN_PREVIOUS`), so replicas can move to a new token one at a time with no failed call.
#[derive(Clone)]
pub struct InternalApiToken {
    current: SecretString,
    previous: Option<SecretString>,
}

impl InternalApiToken {
    pub fn new(token: SecretString) -> Self {
        Self { current: token, previous: None }
    }

    /// A token that also accepts `previous`, as after `INTERNAL_API_TOKEN_PREVIOUS`.
    pub fn with_previous(mut self, previous: SecretString) -> Self {
        self.previous = Some(previous);
        self
    }

    /// `INTERNAL_API_TOKEN` alone (the admin commands, which only send it).
    pub fn from_setting(app_env: AppEnv, value: Option<SecretString>) -> Result<Self, SettingsError> {
        Self::from_settings(app_env, value, None)
    }

    /// `INTERNAL_API_TOKEN` and `INTERNAL_API_TOKEN_PREVIOUS`. In `prod` both must be at least
    /// [`MIN_INTERNAL_API_TOKEN_LENGTH`] characters and neither may be the built-in dev token, which anyone
    /// can read in this repository; in `dev` an unset token is the dev token.
    pub fn from_settings(
        app_env: AppEnv,
        value: Option<SecretString>,
        previous: Option<SecretString>,
    ) -> Result<Self, SettingsError> {
        let current = match (value, app_env) {
            (Some(token), _) => token,
            (None, AppEnv::Dev) => SecretString::from(DEV_INTERNAL_API_TOKEN),
            (None, AppEnv::Prod) => {
                return Err(SettingsError::new("INTERNAL_API_TOKEN", "is required unless APP_ENV=dev"));
            }
        };
        if app_env == AppEnv::Prod {
            check_production_token("INTERNAL_API_TOKEN", &current)?;
            if let Some(previous) = &previous {
                check_production_token("INTERNAL_API_TOKEN_PREVIOUS", previous)?;
            }
        }
        Ok(Self { current, previous })
    }

    /// The token this service sends.
    pub fn expose(&self) -> &str {
        self.current.expose_secret()
    }

    /// Whether the token sent is the well-known `dev` token, for the start-up warning.
    pub fn is_dev_token(&self) -> bool {
        self.expose() == DEV_INTERNAL_API_TOKEN
    }

    /// Whether a previous token is accepted too (a rotation is under way).
    pub fn accepts_previous(&self) -> bool {
        self.previous.is_some()
    }

    /// Whether `presented` is the current or the previous token. Both comparisons always run, in constant
    /// time, so response timing reveals nothing about either secret nor which one matched.
    pub fn matches(&self, presented: &[u8]) -> bool {
        let current = constant_time_eq(self.current.expose_secret().as_bytes(), presented);
        let previous = self
            .previous
            .as_ref()
            .is_some_and(|previous| constant_time_eq(previous.expose_secret().as_bytes(), presented));
        current | previous
    }
}

fn constant_time_eq(expected: &[u8], presented: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    expected.len() == presented.len() && bool::from(expected.ct_eq(presented))
}

/// A `prod` internal token: long enough, and not the dev token published in this repository.
fn check_production_token(variable: &str, token: &SecretString) -> Result<(), SettingsError> {
    let token = token.expose_secret();
    if token == DEV_INTERNAL_API_TOKEN {
        return Err(SettingsError::new(variable, "must not be the built-in dev token with APP_ENV=prod"));
    }
    if token.chars().count() < MIN_INTERNAL_API_TOKEN_LENGTH {
        return Err(SettingsError::new(
            variable,
            format!("must be at least {MIN_INTERNAL_API_TOKEN_LENGTH} characters"),
        ));
    }
    Ok(())
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

/// `SHUTDOWN_DRAIN_SECONDS` default in `prod`: long enough for a Kubernetes endpoint update or a gateway's
/// health check to notice the 503 from `/readyz` before the listener closes. `dev` stops at once.
pub const DEFAULT_SHUTDOWN_DRAIN_SECONDS: u64 = 5;
/// `SHUTDOWN_TIMEOUT_SECONDS` default: how long in-flight requests may take to finish after the drain.
pub const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS: u64 = 20;
/// Upper bound of both shutdown settings (Kubernetes' default grace period is 30 s).
const MAX_SHUTDOWN: Duration = Duration::from_secs(600);

/// Settings every service reads.
#[derive(Debug, Clone)]
pub struct CommonSettings {
    /// `LISTEN_ADDR`
    pub listen_addr: SocketAddr,
    /// `INTERNAL_API_TOKEN`
    pub internal_api_token: InternalApiToken,
    /// `APP_ENV`
    pub app_env: AppEnv,
    /// `RUST_LOG`
    pub log_filter: String,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`
    pub otlp_endpoint: Option<Url>,
    /// `SHUTDOWN_DRAIN_SECONDS` and `SHUTDOWN_TIMEOUT_SECONDS`
    pub shutdown: ShutdownPolicy,
    /// `SWAGGER_UI`: whether `/docs/` serves the Swagger UI page (default on in `dev`, off in `prod`);
    /// `/openapi.json` is served either way.
    pub swagger_ui: bool,
}

#[derive(Deserialize)]
struct Vars {
    #[serde(default, deserialize_with = "de::optional")]
    listen_addr: Option<SocketAddr>,
    #[serde(default, deserialize_with = "de::secret")]
    internal_api_token: Option<SecretString>,
    #[serde(default, deserialize_with = "de::secret")]
    internal_api_token_previous: Option<SecretString>,
    #[serde(default, deserialize_with = "de::optional")]
    app_env: Option<AppEnv>,
    #[serde(default)]
    rust_log: Option<String>,
    #[serde(default, deserialize_with = "de::http_url")]
    otel_exporter_otlp_endpoint: Option<Url>,
    #[serde(default, deserialize_with = "de::seconds")]
    shutdown_drain_seconds: Option<Duration>,
    #[serde(default, deserialize_with = "de::seconds")]
    shutdown_timeout_seconds: Option<Duration>,
    #[serde(default, deserialize_with = "de::flag")]
    swagger_ui: Option<bool>,
}

impl CommonSettings {
    /// Reads the common settings; `default_listen` is the service's address from the contract.
    pub fn from_environment(environment: &Environment, default_listen: SocketAddr) -> Result<Self, SettingsError> {
        let vars: Vars = environment.read()?;
        let app_env = vars.app_env.unwrap_or_default();
        let default_drain = if app_env.is_dev() { 0 } else { DEFAULT_SHUTDOWN_DRAIN_SECONDS };
        let drain = at_most_max("SHUTDOWN_DRAIN_SECONDS", vars.shutdown_drain_seconds, default_drain)?;
        let timeout =
            at_most_max("SHUTDOWN_TIMEOUT_SECONDS", vars.shutdown_timeout_seconds, DEFAULT_SHUTDOWN_TIMEOUT_SECONDS)?;
        Ok(Self {
            listen_addr: vars.listen_addr.unwrap_or(default_listen),
            internal_api_token: InternalApiToken::from_settings(
                app_env,
                vars.internal_api_token,
                vars.internal_api_token_previous,
            )?,
            app_env,
            log_filter: vars.rust_log.filter(|filter| !filter.trim().is_empty()).unwrap_or_else(|| "info".to_owned()),
            otlp_endpoint: vars.otel_exporter_otlp_endpoint,
            shutdown: ShutdownPolicy { drain, timeout },
            // An interactive page that invites requests is for development; production answers need no
            // browser UI, and the document stays at /openapi.json for tools.
            swagger_ui: vars.swagger_ui.unwrap_or(app_env.is_dev()),
        })
    }

    /// Settings for a service started in-process by a test: port 0 on loopback, `prod` rules, the given
    /// internal token, quiet logs.
    pub fn for_tests(internal_api_token: &str) -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            internal_api_token: InternalApiToken::new(SecretString::from(internal_api_token)),
            app_env: AppEnv::Prod,
            log_filter: "warn".to_owned(),
            otlp_endpoint: None,
            shutdown: ShutdownPolicy::default(),
            swagger_ui: false,
        }
    }

    /// The `dev` conveniences in force among the common settings, for the start-up warning.
    pub fn embedded_defaults(&self) -> Vec<&'static str> {
        let mut defaults = Vec::new();
        if self.internal_api_token.is_dev_token() {
            defaults.push("the well-known dev INTERNAL_API_TOKEN");
        }
        defaults
    }

    /// What the telemetry crate needs: JSON log lines in `prod`, human-readable ones in `dev`.
    pub fn telemetry(&self, service: &'static str) -> telemetry::TelemetrySettings<'_> {
        telemetry::TelemetrySettings {
            service,
            log_filter: &self.log_filter,
            format: if self.app_env.is_dev() { telemetry::LogFormat::Human } else { telemetry::LogFormat::Json },
            otlp_endpoint: self.otlp_endpoint.as_ref().map(|url| url.as_str().trim_end_matches('/')),
        }
    }
}

fn at_most_max(variable: &str, value: Option<Duration>, default_seconds: u64) -> Result<Duration, SettingsError> {
    let value = value.unwrap_or(Duration::from_secs(default_seconds));
    if value > MAX_SHUTDOWN {
        return Err(SettingsError::new(variable, format!("must be at most {}", MAX_SHUTDOWN.as_secs())));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTEN: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8081);

    fn read(pairs: &[(&str, &str)]) -> Result<CommonSettings, SettingsError> {
        CommonSettings::from_environment(&Environment::from_pairs(pairs.iter().copied()), LISTEN)
    }

    #[test]
    fn dev_defaults_and_prod_requirements() {
        let dev = read(&[("APP_ENV", "dev")]).expect("valid");
        assert_eq!(dev.listen_addr, LISTEN);
        assert!(dev.internal_api_token.is_dev_token());
        assert_eq!(dev.embedded_defaults(), ["the well-known dev INTERNAL_API_TOKEN"]);
        assert_eq!(dev.shutdown.drain, Duration::ZERO);
        let error = read(&[]).expect_err("prod needs a token");
        assert_eq!(error.variable(), "INTERNAL_API_TOKEN");
        let prod = read(&[("INTERNAL_API_TOKEN", &"t".repeat(32))]).expect("valid");
        assert_eq!(prod.app_env, AppEnv::Prod);
        assert_eq!(prod.shutdown.drain, Duration::from_secs(DEFAULT_SHUTDOWN_DRAIN_SECONDS));
        assert!(prod.embedded_defaults().is_empty());
    }

    #[test]
    fn every_malformed_common_setting_is_named_and_its_value_not_echoed() {
        for (variable, value) in [
            ("LISTEN_ADDR", "hunter2"),
            ("APP_ENV", "hunter2"),
            ("INTERNAL_API_TOKEN", "hunter2"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "hunter2"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://hunter2"),
            ("SHUTDOWN_DRAIN_SECONDS", "hunter2"),
            ("SHUTDOWN_TIMEOUT_SECONDS", "601"),
        ] {
            let error = read(&[(variable, value)]).expect_err(variable);
            assert_eq!(error.variable(), variable, "{value}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn prod_refuses_the_dev_token_and_short_tokens_dev_accepts_them() {
        let long = "t".repeat(MIN_INTERNAL_API_TOKEN_LENGTH);
        let short = "t".repeat(MIN_INTERNAL_API_TOKEN_LENGTH - 1);
        for (variable, pairs) in [
            ("INTERNAL_API_TOKEN", vec![("INTERNAL_API_TOKEN", DEV_INTERNAL_API_TOKEN)]),
            ("INTERNAL_API_TOKEN", vec![("INTERNAL_API_TOKEN", short.as_str())]),
            (
                "INTERNAL_API_TOKEN_PREVIOUS",
                vec![("INTERNAL_API_TOKEN", long.as_str()), ("INTERNAL_API_TOKEN_PREVIOUS", DEV_INTERNAL_API_TOKEN)],
            ),
            (
                "INTERNAL_API_TOKEN_PREVIOUS",
                vec![("INTERNAL_API_TOKEN", long.as_str()), ("INTERNAL_API_TOKEN_PREVIOUS", short.as_str())],
            ),
        ] {
            let error = read(&pairs).expect_err(variable);
            assert_eq!(error.variable(), variable, "{error}");
            assert!(!error.to_string().contains(DEV_INTERNAL_API_TOKEN), "{error}");
            let mut dev = pairs.clone();
            dev.push(("APP_ENV", "dev"));
            read(&dev).expect("dev accepts any token");
        }
        let prod = read(&[("APP_ENV", "prod"), ("INTERNAL_API_TOKEN", &long)]).expect("valid");
        assert!(!prod.internal_api_token.accepts_previous());
    }

    #[test]
    fn the_previous_token_is_accepted_but_never_sent() {
        let current = "c".repeat(40);
        let previous = "p".repeat(40);
        let settings =
            read(&[("INTERNAL_API_TOKEN", &current), ("INTERNAL_API_TOKEN_PREVIOUS", &previous)]).expect("valid");
        let token = &settings.internal_api_token;
        assert_eq!(token.expose(), current);
        assert!(token.accepts_previous());
        assert!(token.matches(current.as_bytes()));
        assert!(token.matches(previous.as_bytes()));
        assert!(!token.matches("x".repeat(40).as_bytes()));
        assert!(!token.matches(b""));
        let printed = format!("{settings:?}");
        assert!(!printed.contains(&current) && !printed.contains(&previous), "{printed}");
    }

    #[test]
    fn swagger_ui_is_on_in_dev_and_off_in_prod_unless_set() {
        let token = "t".repeat(32);
        assert!(read(&[("APP_ENV", "dev")]).expect("valid").swagger_ui);
        assert!(!read(&[("INTERNAL_API_TOKEN", &token)]).expect("valid").swagger_ui);
        assert!(read(&[("INTERNAL_API_TOKEN", &token), ("SWAGGER_UI", "true")]).expect("valid").swagger_ui);
        assert!(!read(&[("APP_ENV", "dev"), ("SWAGGER_UI", "off")]).expect("valid").swagger_ui);
        assert_eq!(read(&[("APP_ENV", "dev"), ("SWAGGER_UI", "maybe")]).expect_err("bad").variable(), "SWAGGER_UI");
    }

    #[test]
    fn internal_token_compares_whole_values() {
        let token = InternalApiToken::new(SecretString::from("secret-value"));
        assert!(token.matches(b"secret-value"));
        assert!(!token.matches(b"secret-valu"));
        assert!(!token.matches(b"secret-valuE"));
        assert_eq!(format!("{token:?}"), "InternalApiToken([REDACTED])");
    }

    #[test]
    fn the_exporter_endpoint_is_handed_on_without_a_trailing_slash() {
        let settings =
            read(&[("APP_ENV", "dev"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]).expect("valid");
        assert_eq!(settings.telemetry("x").otlp_endpoint, Some("http://collector:4318"));
    }
}
