//! The token service's settings, parsed once at start into typed values; key files are read and checked
//! here too, so a bad key stops the start with a line naming its variable. [`KeyFiles`] keeps where they
//! are, so that a reload (`SIGHUP`) reads them again with the same checks.
//!
//! The pattern is the one `service_kit::settings` describes: `Vars` holds this service's variables,
//! already typed; [`Settings::from_environment`] adds the common ones and the rules across variables.
//! A missing or malformed setting is a [`SettingsError`] naming the variable without echoing its value.

use crate::domain::introspection_client::{ClientCredential, IntrospectionClients};
use crate::keyring::KeyRing;
use auth_jwt::algorithm::SigningAlgorithm;
use auth_jwt::keys::SigningKey;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use service_kit::settings::{AppEnv, CommonSettings, Environment, SettingsError, de, url_or_default};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

pub const DEFAULT_LISTEN_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8082);
pub const DEFAULT_SESSION_SERVICE_URL: &str = "http://127.0.0.1:8083";
pub const DEFAULT_ISSUER: &str = "auth-platform";
pub const DEFAULT_AUDIENCE: &str = "api";
pub const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(30 * 60);
pub const DEFAULT_REFRESH_TTL: Duration = Duration::from_secs(20_160 * 60);
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(43_200 * 60);
/// Access tokens live at most a day: a revocation list entry lives as long as the token it refuses.
const MAX_ACCESS_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Refresh tokens live at most a year.
const MAX_REFRESH_TTL: Duration = Duration::from_secs(366 * 24 * 60 * 60);
/// A longer grace window would make refresh-token theft easy to hide.
pub const MAX_REUSE_GRACE: Duration = Duration::from_secs(300);

/// Everything the service needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// `SESSION_SERVICE_URL`
    pub session_service_url: Url,
    /// `ALGORITHM` with `JWT_PRIVATE_KEY_FILE` and `JWT_PREVIOUS_KEY_FILES`, or `SECRET_KEY`: the keys
    /// read at start.
    pub keys: Arc<KeyRing>,
    /// Where those keys were read from, to read them again on `SIGHUP`.
    pub key_files: KeyFiles,
    /// `JWT_ISSUER`
    pub issuer: String,
    /// `JWT_AUDIENCE`
    pub audience: String,
    /// `ACCESS_TOKEN_EXPIRE_MINUTES`
    pub access_ttl: Duration,
    /// `REFRESH_TOKEN_EXPIRE_MINUTES`
    pub refresh_ttl: Duration,
    /// `REFRESH_REUSE_GRACE_SECONDS`
    pub reuse_grace: Duration,
    /// `SESSION_MAX_LIFETIME_MINUTES`: no refresh extends a session past its creation plus this.
    pub max_lifetime: Duration,
    /// `INTROSPECTION_CREDENTIALS`
    pub introspection_clients: IntrospectionClients,
}

/// The key files of `JWT_PRIVATE_KEY_FILE` and `JWT_PREVIOUS_KEY_FILES` (or HS256's `SECRET_KEY_FILE`),
/// for a reload.
#[derive(Debug, Clone, Default)]
pub struct KeyFiles {
    pub algorithm: SigningAlgorithm,
    /// `None` with HS256 or a `dev` ephemeral key.
    pub private_key: Option<PathBuf>,
    pub previous: Vec<PathBuf>,
    /// `SECRET_KEY_FILE` with HS256; `None` when `SECRET_KEY` came from the environment, which a running
    /// process cannot be given anew.
    pub secret_key: Option<PathBuf>,
}

impl KeyFiles {
    /// Reads every key file again, with the checks of the start. Where no file holds the current key
    /// (HS256's `SECRET_KEY` given in the environment, or a `dev` ephemeral key), `in_force`'s is kept.
    /// A new HS256 secret keeps the one in force as the previous key, so that the tokens it signed still
    /// verify here until the next reload. An error names the variable and leaves `in_force` as it is.
    pub fn reload(&self, in_force: &KeyRing) -> Result<KeyRing, SettingsError> {
        if let Some(path) = self.secret_key.as_ref().filter(|_| self.algorithm.is_symmetric()) {
            let key = read_secret_key("SECRET_KEY_FILE", path)?;
            // The same secret again (a repeated SIGHUP) keeps the ring's previous secret.
            let previous = if key.kid() == in_force.current().kid() {
                in_force.previous().to_vec()
            } else {
                vec![in_force.current().clone()]
            };
            return Ok(KeyRing::new(key, previous));
        }
        let previous = self.read_previous()?;
        match &self.private_key {
            Some(path) => Ok(KeyRing::new(read_key("JWT_PRIVATE_KEY_FILE", self.algorithm, path)?, previous)),
            None => Ok(KeyRing::keeping_current(in_force, previous)),
        }
    }

    fn read_previous(&self) -> Result<Vec<SigningKey>, SettingsError> {
        self.previous.iter().map(|path| read_key("JWT_PREVIOUS_KEY_FILES", self.algorithm, path)).collect()
    }
}

/// This service's own variables.
#[derive(Deserialize)]
struct Vars {
    #[serde(default, deserialize_with = "de::http_url")]
    session_service_url: Option<Url>,
    #[serde(default, deserialize_with = "de::optional")]
    algorithm: Option<SigningAlgorithm>,
    #[serde(default, deserialize_with = "de::secret")]
    secret_key: Option<SecretString>,
    #[serde(default, deserialize_with = "de::optional")]
    jwt_private_key_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "de::list")]
    jwt_previous_key_files: Vec<PathBuf>,
    #[serde(default, deserialize_with = "de::optional")]
    jwt_issuer: Option<String>,
    #[serde(default, deserialize_with = "de::optional")]
    jwt_audience: Option<String>,
    #[serde(default, deserialize_with = "de::minutes")]
    access_token_expire_minutes: Option<Duration>,
    #[serde(default, deserialize_with = "de::minutes")]
    refresh_token_expire_minutes: Option<Duration>,
    #[serde(default, deserialize_with = "de::seconds")]
    refresh_reuse_grace_seconds: Option<Duration>,
    #[serde(default, deserialize_with = "de::minutes")]
    session_max_lifetime_minutes: Option<Duration>,
    #[serde(default, deserialize_with = "de::list")]
    introspection_credentials: Vec<ClientCredential>,
}

impl Settings {
    /// Reads the settings from `environment` (the process's, or a test's).
    pub fn from_environment(environment: &Environment) -> Result<Self, SettingsError> {
        let common = CommonSettings::from_environment(environment, DEFAULT_LISTEN_ADDR)?;
        let vars: Vars = environment.read()?;
        let access_ttl = minutes_within(
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            vars.access_token_expire_minutes,
            DEFAULT_ACCESS_TTL,
            MAX_ACCESS_TTL,
        )?;
        let refresh_ttl = minutes_within(
            "REFRESH_TOKEN_EXPIRE_MINUTES",
            vars.refresh_token_expire_minutes,
            DEFAULT_REFRESH_TTL,
            MAX_REFRESH_TTL,
        )?;
        // Bounded like refresh tokens: the session service stores no session longer than that.
        let max_lifetime = minutes_within(
            "SESSION_MAX_LIFETIME_MINUTES",
            vars.session_max_lifetime_minutes,
            DEFAULT_MAX_LIFETIME,
            MAX_REFRESH_TTL,
        )?;
        let reuse_grace = vars.refresh_reuse_grace_seconds.unwrap_or_default();
        if reuse_grace > MAX_REUSE_GRACE {
            return Err(SettingsError::new("REFRESH_REUSE_GRACE_SECONDS", "must be between 0 and 300"));
        }
        let session_service_url =
            url_or_default(vars.session_service_url.clone(), "SESSION_SERVICE_URL", DEFAULT_SESSION_SERVICE_URL)?;
        let secret_key_file = environment.get("SECRET_KEY_FILE").map(str::trim).filter(|path| !path.is_empty());
        let (keys, key_files) = load_keys(&vars, common.app_env, secret_key_file.map(PathBuf::from))?;
        let introspection_clients = IntrospectionClients::new(vars.introspection_credentials, !common.app_env.is_dev())
            .map_err(|error| SettingsError::new("INTROSPECTION_CREDENTIALS", error.to_string()))?;
        Ok(Self {
            common,
            session_service_url,
            keys: Arc::new(keys),
            key_files,
            issuer: vars.jwt_issuer.unwrap_or_else(|| DEFAULT_ISSUER.to_owned()),
            audience: vars.jwt_audience.unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned()),
            access_ttl,
            refresh_ttl,
            reuse_grace,
            max_lifetime,
            introspection_clients,
        })
    }

    /// This service's `dev` conveniences in force, for the start-up warning (the common ones are
    /// `CommonSettings::embedded_defaults`).
    pub fn embedded_defaults(&self) -> Vec<&'static str> {
        let mut defaults = Vec::new();
        if self.keys.is_ephemeral() {
            defaults.push("an ephemeral signing key (JWT_PRIVATE_KEY_FILE unset): tokens die with the process");
        }
        defaults
    }
}

/// A lifetime set in whole minutes, between one minute and `max`.
fn minutes_within(
    variable: &str,
    value: Option<Duration>,
    default: Duration,
    max: Duration,
) -> Result<Duration, SettingsError> {
    let value = value.unwrap_or(default);
    if value.is_zero() || value > max {
        return Err(SettingsError::new(variable, format!("must be between 1 and {}", max.as_secs() / 60)));
    }
    Ok(value)
}

fn load_keys(
    vars: &Vars,
    app_env: AppEnv,
    secret_key_file: Option<PathBuf>,
) -> Result<(KeyRing, KeyFiles), SettingsError> {
    let algorithm = vars.algorithm.unwrap_or_default();
    if algorithm.is_symmetric() {
        let secret =
            vars.secret_key.as_ref().ok_or_else(|| SettingsError::new("SECRET_KEY", "is required with HS256"))?;
        let key = SigningKey::from_secret(secret.expose_secret().as_bytes())
            .map_err(|error| SettingsError::new("SECRET_KEY", error.to_string()))?;
        let files = KeyFiles { algorithm, private_key: None, previous: Vec::new(), secret_key: secret_key_file };
        return Ok((KeyRing::new(key, Vec::new()), files));
    }
    let files = KeyFiles {
        algorithm,
        private_key: vars.jwt_private_key_file.clone(),
        previous: vars.jwt_previous_key_files.clone(),
        secret_key: None,
    };
    let previous = files.read_previous()?;
    let ring = match &files.private_key {
        Some(path) => KeyRing::new(read_key("JWT_PRIVATE_KEY_FILE", algorithm, path)?, previous),
        None if app_env.is_dev() => KeyRing::generated(algorithm, previous)
            .map_err(|error| SettingsError::new("JWT_PRIVATE_KEY_FILE", format!("an ephemeral key failed: {error}")))?,
        None => return Err(SettingsError::new("JWT_PRIVATE_KEY_FILE", format!("is required with {algorithm}"))),
    };
    Ok((ring, files))
}

/// The HS256 secret in the file of `variable`, with the checks of the start.
fn read_secret_key(variable: &str, path: &Path) -> Result<SigningKey, SettingsError> {
    let secret = service_kit::settings::secret_files::read_secret_file(variable, path)?;
    SigningKey::from_secret(secret.as_bytes()).map_err(|error| SettingsError::new(variable, error.to_string()))
}

fn read_key(variable: &str, algorithm: SigningAlgorithm, path: &Path) -> Result<SigningKey, SettingsError> {
    let path_shown = path.display();
    let pem = std::fs::read(path)
        .map_err(|error| SettingsError::new(variable, format!("cannot read {path_shown}: {error}")))?;
    SigningKey::from_pem(algorithm, &pem)
        .map_err(|error| SettingsError::new(variable, format!("{path_shown}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Later pairs replace earlier ones of the same name.
    fn parse(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let environment =
            pairs.iter().fold(Environment::default(), |environment, (name, value)| environment.with(name, value));
        Settings::from_environment(&environment)
    }

    fn key_file(algorithm: SigningAlgorithm) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("a temp file");
        let pem = auth_jwt::keys::generate_private_key_pem(algorithm).expect("a key");
        std::fs::write(file.path(), pem).expect("written");
        file
    }

    #[test]
    fn dev_defaults_generate_an_ephemeral_key() {
        let settings = parse(&[("APP_ENV", "dev")]).expect("valid");
        assert!(settings.keys.is_ephemeral());
        assert_eq!(settings.keys.algorithm(), SigningAlgorithm::EdDsa);
        assert_eq!(settings.session_service_url.as_str(), "http://127.0.0.1:8083/");
        assert_eq!((settings.access_ttl, settings.refresh_ttl), (DEFAULT_ACCESS_TTL, DEFAULT_REFRESH_TTL));
        assert_eq!(settings.reuse_grace, Duration::ZERO);
        assert_eq!(settings.max_lifetime, Duration::from_secs(30 * 24 * 3600), "30 days");
        assert_eq!(settings.embedded_defaults().len(), 1);
        assert_eq!(settings.common.embedded_defaults().len(), 1, "the dev internal token");
    }

    #[test]
    fn prod_needs_a_key_file_and_reads_previous_ones() {
        let token = "t".repeat(32);
        let error = parse(&[("INTERNAL_API_TOKEN", &token)]).expect_err("no key file");
        assert_eq!(error.variable(), "JWT_PRIVATE_KEY_FILE");
        let current = key_file(SigningAlgorithm::EdDsa);
        let previous = key_file(SigningAlgorithm::EdDsa);
        let current_path = current.path().to_string_lossy().into_owned();
        let previous_paths = format!("{}, ", previous.path().display());
        let settings = parse(&[
            ("INTERNAL_API_TOKEN", &token),
            ("JWT_PRIVATE_KEY_FILE", &current_path),
            ("JWT_PREVIOUS_KEY_FILES", &previous_paths),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "5"),
            ("REFRESH_REUSE_GRACE_SECONDS", "10"),
            ("SESSION_MAX_LIFETIME_MINUTES", "60"),
        ])
        .expect("valid");
        assert_eq!(settings.max_lifetime, Duration::from_secs(3600));
        assert!(!settings.keys.is_ephemeral());
        assert_eq!(settings.keys.previous().len(), 1);
        assert_eq!(settings.access_ttl, Duration::from_secs(300));
        assert_eq!(settings.reuse_grace, Duration::from_secs(10));
        assert!(settings.embedded_defaults().is_empty());
    }

    #[test]
    fn a_reload_reads_the_files_again_and_a_failed_one_names_the_variable() {
        let token = "t".repeat(32);
        let first = key_file(SigningAlgorithm::EdDsa);
        let second = key_file(SigningAlgorithm::EdDsa);
        let path = |file: &tempfile::NamedTempFile| file.path().to_string_lossy().into_owned();
        let settings =
            parse(&[("INTERNAL_API_TOKEN", &token), ("JWT_PRIVATE_KEY_FILE", &path(&first))]).expect("valid");
        let first_kid = settings.keys.current().kid().to_owned();

        // Promote: the files now hold the second key as current and the first as previous.
        let mut files = settings.key_files.clone();
        files.private_key = Some(second.path().to_path_buf());
        files.previous = vec![first.path().to_path_buf()];
        let reloaded = files.reload(&settings.keys).expect("both files are keys");
        assert_ne!(reloaded.current().kid(), first_kid);
        assert_eq!(reloaded.previous().len(), 1);
        assert_eq!(reloaded.previous()[0].kid(), first_kid);

        // The same file rewritten in place (a Kubernetes Secret update) is read anew too.
        std::fs::write(first.path(), "not a key").expect("written");
        let error = files.reload(&reloaded).expect_err("a broken previous key");
        assert_eq!(error.variable(), "JWT_PREVIOUS_KEY_FILES");
        files.previous.clear();
        files.private_key = Some(first.path().to_path_buf());
        assert_eq!(files.reload(&reloaded).expect_err("a broken key").variable(), "JWT_PRIVATE_KEY_FILE");
    }

    #[test]
    fn without_a_key_file_a_reload_keeps_the_current_key_and_rereads_previous_ones() {
        let previous = key_file(SigningAlgorithm::EdDsa);
        let settings = parse(&[("APP_ENV", "dev")]).expect("valid");
        let mut files = settings.key_files.clone();
        files.previous = vec![previous.path().to_path_buf()];
        let reloaded = files.reload(&settings.keys).expect("valid");
        assert_eq!(reloaded.current().kid(), settings.keys.current().kid());
        assert!(reloaded.is_ephemeral());
        assert_eq!(reloaded.previous().len(), 1);

        let hs256 = parse(&[("APP_ENV", "dev"), ("ALGORITHM", "HS256"), ("SECRET_KEY", &"s".repeat(32))]).expect("ok");
        let reloaded = hs256.key_files.reload(&hs256.keys).expect("nothing to read");
        assert_eq!(reloaded.current().kid(), hs256.keys.current().kid());
        assert_eq!(reloaded.jwks_json(), r#"{"keys":[]}"#);
    }

    #[test]
    fn every_malformed_setting_is_named_and_its_value_not_echoed() {
        for (variable, value) in [
            ("LISTEN_ADDR", "hunter2"),
            ("APP_ENV", "hunter2"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "hunter2"),
            ("SESSION_SERVICE_URL", "hunter2"),
            ("SESSION_SERVICE_URL", "ftp://hunter2/"),
            ("ALGORITHM", "hunter2"),
            ("JWT_PRIVATE_KEY_FILE", "/nonexistent/hunter2-dir/../key.pem"),
            ("JWT_PREVIOUS_KEY_FILES", "/nonexistent/key.pem"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "hunter2"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "1441"),
            ("REFRESH_TOKEN_EXPIRE_MINUTES", "0"),
            ("REFRESH_TOKEN_EXPIRE_MINUTES", "527041"),
            ("REFRESH_REUSE_GRACE_SECONDS", "301"),
            ("REFRESH_REUSE_GRACE_SECONDS", "-1"),
            ("SESSION_MAX_LIFETIME_MINUTES", "hunter2"),
            ("SESSION_MAX_LIFETIME_MINUTES", "0"),
            ("SESSION_MAX_LIFETIME_MINUTES", "527041"),
            ("INTROSPECTION_CREDENTIALS", "hunter2"),
            ("INTROSPECTION_CREDENTIALS", "orders-api:hunter2-0123456789abcdef,:hunter2"),
            ("INTROSPECTION_CREDENTIALS", "orders-api:hunter2-0123456789abcdef,orders-api:hunter2-0123456789abcdeg"),
        ] {
            let error = parse(&[("APP_ENV", "dev"), (variable, value)]).expect_err(variable);
            assert_eq!(error.variable(), variable, "{value}");
            if variable != "JWT_PRIVATE_KEY_FILE" {
                // A key file's path is no secret, and naming it is what makes the error useful.
                assert!(!error.to_string().contains("hunter2"), "{error}");
            }
            assert_eq!(error.to_string().lines().count(), 1);
        }
        let too_long = parse(&[("APP_ENV", "dev"), ("ACCESS_TOKEN_EXPIRE_MINUTES", "1441")]).expect_err("over a day");
        assert!(too_long.to_string().ends_with("must be between 1 and 1440"), "{too_long}");
        let too_long =
            parse(&[("APP_ENV", "dev"), ("REFRESH_TOKEN_EXPIRE_MINUTES", "527041")]).expect_err("over a year");
        assert!(too_long.to_string().ends_with("must be between 1 and 527040"), "{too_long}");
        let hs256 = parse(&[("APP_ENV", "dev"), ("ALGORITHM", "HS256"), ("SECRET_KEY", "hunter2")]).expect_err("short");
        assert_eq!(hs256.variable(), "SECRET_KEY");
        assert!(!hs256.to_string().contains("hunter2"), "{hs256}");
    }

    #[test]
    fn introspection_credentials_are_a_list_of_pairs_with_long_secrets_in_prod() {
        let dev = parse(&[("APP_ENV", "dev")]).expect("valid");
        assert!(dev.introspection_clients.is_empty());
        let dev = parse(&[("APP_ENV", "dev"), ("INTROSPECTION_CREDENTIALS", "rs:short")]).expect("dev allows it");
        assert!(dev.introspection_clients.verify("rs", "short"));
        let token = "t".repeat(32);
        let key = key_file(SigningAlgorithm::EdDsa);
        let key_path = key.path().to_string_lossy().into_owned();
        let prod = [("INTERNAL_API_TOKEN", token.as_str()), ("JWT_PRIVATE_KEY_FILE", key_path.as_str())];
        let short = parse(&[prod[0], prod[1], ("INTROSPECTION_CREDENTIALS", "rs:hunter2")]).expect_err("short");
        assert_eq!(short.variable(), "INTROSPECTION_CREDENTIALS");
        assert!(!short.to_string().contains("hunter2"), "{short}");
        let listed = "orders-api:orders-secret-0123456789, billing:billing:secret-0123456789 ,";
        let settings = parse(&[prod[0], prod[1], ("INTROSPECTION_CREDENTIALS", listed)]).expect("valid");
        assert_eq!(settings.introspection_clients.len(), 2);
        assert!(settings.introspection_clients.verify("billing", "billing:secret-0123456789"));
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let settings = parse(&[
            ("INTERNAL_API_TOKEN", "hunter2-internal-token-0123456789abcdef"),
            ("INTROSPECTION_CREDENTIALS", "orders-api:hunter2-introspection-secret"),
            ("ALGORITHM", "HS256"),
            ("SECRET_KEY", "hunter2-a-shared-secret-long-enough-for-hs256"),
        ])
        .expect("valid");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn the_hs256_secret_the_previous_token_and_introspection_credentials_may_come_from_files() {
        let file = |content: &str| {
            let file = tempfile::NamedTempFile::new().expect("a temp file");
            std::fs::write(file.path(), content).expect("written");
            file
        };
        let secret = file(&format!("{}\n", "s".repeat(32)));
        let previous = file(&"p".repeat(32));
        let credentials = file("rs:a-long-enough-introspection-secret-0123456789\n");
        let path = |file: &tempfile::NamedTempFile| file.path().to_string_lossy().into_owned();
        let (secret_path, previous_path, credentials_path) = (path(&secret), path(&previous), path(&credentials));
        let settings = parse(&[
            ("APP_ENV", "dev"),
            ("ALGORITHM", "HS256"),
            ("SECRET_KEY_FILE", &secret_path),
            ("INTERNAL_API_TOKEN_PREVIOUS_FILE", &previous_path),
            ("INTROSPECTION_CREDENTIALS_FILE", &credentials_path),
        ])
        .expect("valid");
        let expected = SigningKey::from_secret("s".repeat(32).as_bytes()).expect("a key");
        assert_eq!(settings.keys.current().kid(), expected.kid());
        assert_eq!(settings.key_files.secret_key.as_deref(), Some(secret.path()), "kept for SIGHUP");
        assert!(settings.common.internal_api_token.matches("p".repeat(32).as_bytes()));
        assert!(settings.introspection_clients.verify("rs", "a-long-enough-introspection-secret-0123456789"));

        let both = parse(&[
            ("APP_ENV", "dev"),
            ("ALGORITHM", "HS256"),
            ("SECRET_KEY", &"s".repeat(32)),
            ("SECRET_KEY_FILE", &secret_path),
        ])
        .expect_err("both");
        assert_eq!(both.variable(), "SECRET_KEY and SECRET_KEY_FILE");
    }
}
