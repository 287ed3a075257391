//! Settings: how every service reads its configuration, once, at start.
//!
//! The same pattern in all three services (`crates/*-service/src/settings.rs`):
//!
//! 1. A private `Vars` struct holds one field per variable (field `foo_bar` reads `FOO_BAR`), each
//!    already typed: a URL is a [`url::Url`], a duration a [`std::time::Duration`], a list a `Vec`, a
//!    secret a [`secrecy::SecretString`] (or a type of its own that never prints, such as
//!    `redis_kit::RedisUrl`). The `deserialize_with` helpers of [`de`] turn the text into those types, so a
//!    bad value is refused by the type it was meant to become.
//! 2. [`Environment::read`] deserializes such a struct with envy and turns any failure into one
//!    [`SettingsError`] that names the variable (the field is located with `serde_path_to_error`) and
//!    never echoes its value, since the value may be a secret.
//! 3. Rules that span variables (a default that depends on `APP_ENV`, "required unless dev", an
//!    algorithm that needs a key) are applied after that, in the service's `Settings::from_environment`,
//!    which builds the public, typed `Settings` that the rest of the service receives.
//! 4. The variables every service reads are [`CommonSettings`], read by a pass of its own over the same
//!    [`Environment`]: envy and `#[serde(flatten)]` don't mix (flatten hands every value on as a string,
//!    which the typed fields then refuse), so the service's struct holds `common` beside its own fields.
//!
//! 5. Every secret setting may instead be given as a file, `NAME_FILE` ([`secret_files`]): the reads
//!    below see `NAME` with the file's content, so no service's `Vars` knows the difference.
//!
//! Tests build an [`Environment`] from pairs instead of touching the process environment.

mod common;
pub mod de;
pub mod secret_files;

pub use common::{
    AppEnv, CommonSettings, DEFAULT_SHUTDOWN_DRAIN_SECONDS, DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, DEV_INTERNAL_API_TOKEN,
    InternalApiToken, MIN_INTERNAL_API_TOKEN_LENGTH,
};

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// The variables a service starts with: the process environment (plus `.env`), or a test's pairs.
#[derive(Clone, Default)]
pub struct Environment {
    vars: Vec<(String, String)>,
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets: only the names are shown.
        f.debug_list().entries(self.vars.iter().map(|(name, _)| name)).finish()
    }
}

impl Environment {
    /// The process environment, after [`load_dotenv`]. A value that is not UTF-8 is kept (lossily), so
    /// that parsing it fails with the variable's name rather than it silently counting as unset.
    pub fn process() -> Self {
        let vars = std::env::vars_os()
            .map(|(name, value)| (name.to_string_lossy().into_owned(), value.to_string_lossy().into_owned()))
            .collect();
        Self { vars }
    }

    /// A given set of variables, for tests.
    pub fn from_pairs<N: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (N, V)>) -> Self {
        Self { vars: pairs.into_iter().map(|(name, value)| (name.into(), value.into())).collect() }
    }

    /// The value of `name` as given (no `_FILE` resolution), for settings re-read later by path.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.iter().rev().find(|(known, _)| known == name).map(|(_, value)| value.as_str())
    }

    /// The same variables with one more set (or replaced), for tests.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.vars.retain(|(known, _)| known != name);
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Deserializes a `Vars` struct: field `foo_bar` reads `FOO_BAR`.
    pub fn read<T: DeserializeOwned>(&self) -> Result<T, SettingsError> {
        self.read_prefixed("")
    }

    /// Deserializes a struct whose fields are read under `prefix`: with `OIDC_CORP_`, field `client_id`
    /// reads `OIDC_CORP_CLIENT_ID`. For settings whose names are only known at start.
    pub fn read_prefixed<T: DeserializeOwned>(&self, prefix: &str) -> Result<T, SettingsError> {
        let vars = secret_files::resolve(&self.vars)?;
        envy::prefixed(prefix)
            .from_iter::<_, Located<T>>(vars)
            .map(|Located(value)| value)
            .map_err(|error| located_error(prefix, error))
    }
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

/// `value`, or the contract's default for `variable` when it is unset. The default is a constant of
/// ours, so its failing to parse is a bug; it is still reported as a setting rather than a panic.
pub fn url_or_default(value: Option<url::Url>, variable: &str, default: &str) -> Result<url::Url, SettingsError> {
    match value {
        Some(url) => Ok(url),
        None => url::Url::parse(default).map_err(|_| SettingsError::new(variable, "has no usable default")),
    }
}

/// Loads `.env` from the working directory when present; real environment variables win.
pub fn load_dotenv() {
    // A missing .env is the normal case in production.
    let _ = dotenvy::dotenv();
}

/// Separates the failing field's path from the reason inside the one string envy keeps of an error.
const PATH_SEPARATOR: char = '\u{1f}';
/// How envy words a parse failure of a built-in type; everything from here on echoes the value.
const ENVY_ECHO: &str = " while parsing value";
/// How envy (and so serde) words a missing field.
const MISSING_FIELD: &str = "missing value for field ";

/// Wraps a settings struct so that a failure carries the path of the field it happened in.
struct Located<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_path_to_error::deserialize(deserializer).map(Located).map_err(|error| {
            let path = error.path().to_string();
            D::Error::custom(format_args!("{path}{PATH_SEPARATOR}{}", error.into_inner()))
        })
    }
}

fn located_error(prefix: &str, error: envy::Error) -> SettingsError {
    let message = match error {
        envy::Error::MissingValue(field) => return SettingsError::new(variable(prefix, field), "is required"),
        envy::Error::Custom(message) => message,
    };
    let (path, reason) = message.split_once(PATH_SEPARATOR).unwrap_or(("", message.as_str()));
    if let Some(field) = reason.strip_prefix(MISSING_FIELD) {
        return SettingsError::new(variable(prefix, field), "is required");
    }
    let reason = reason.split(ENVY_ECHO).next().unwrap_or_default().trim();
    let reason = if reason.is_empty() { "is malformed".to_owned() } else { format!("is malformed: {reason}") };
    let field = if path.is_empty() || path == "." { "settings" } else { path };
    SettingsError::new(variable(prefix, field), reason)
}

fn variable(prefix: &str, field: &str) -> String {
    format!("{prefix}{}", field.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Vars {
        #[serde(default, deserialize_with = "de::optional")]
        port: Option<u16>,
        #[serde(default)]
        plain: Option<u32>,
        #[serde(default, deserialize_with = "de::secret")]
        password: Option<secrecy::SecretString>,
    }

    #[test]
    fn a_malformed_value_names_its_variable_without_echoing_it() {
        let error = Environment::from_pairs([("PORT", "hunter2")]).read::<Vars>().expect_err("not a port");
        assert_eq!(error.variable(), "PORT");
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert_eq!(error.to_string().lines().count(), 1);
    }

    #[test]
    fn envys_own_parse_errors_are_cut_before_the_value() {
        let error = Environment::from_pairs([("PLAIN", "hunter2")]).read::<Vars>().expect_err("not a number");
        assert_eq!(error.variable(), "PLAIN");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn prefixed_reads_name_the_full_variable() {
        let error =
            Environment::from_pairs([("OIDC_CORP_PORT", "x")]).read_prefixed::<Vars>("OIDC_CORP_").expect_err("bad");
        assert_eq!(error.variable(), "OIDC_CORP_PORT");
    }

    #[test]
    fn an_unset_url_takes_the_default() {
        let default = url_or_default(None, "PEER_URL", "http://127.0.0.1:8082").expect("a URL");
        assert_eq!(default.as_str(), "http://127.0.0.1:8082/");
        let set = url::Url::parse("https://peer.internal/").expect("a URL");
        assert_eq!(url_or_default(Some(set.clone()), "PEER_URL", "http://127.0.0.1:8082").expect("a URL"), set);
    }

    #[test]
    fn a_secret_file_is_read_as_the_secret_it_names() {
        let file = tempfile::NamedTempFile::new().expect("a temp file");
        std::fs::write(file.path(), "from-a-file\n").expect("written");
        let path = file.path().to_str().expect("utf-8");
        let environment = Environment::from_pairs([("SECRET_KEY_FILE", path)]);
        #[derive(Deserialize)]
        struct Secret {
            #[serde(default, deserialize_with = "de::secret")]
            secret_key: Option<secrecy::SecretString>,
        }
        let vars: Secret = environment.read().expect("readable");
        let secret = vars.secret_key.expect("given by the file");
        assert_eq!(secrecy::ExposeSecret::expose_secret(&secret), "from-a-file");
        assert_eq!(environment.get("SECRET_KEY_FILE"), Some(path));
    }

    #[test]
    fn unset_and_blank_values_are_none_and_debug_shows_no_values() {
        let environment = Environment::from_pairs([("PORT", " "), ("PASSWORD", "hunter2"), ("OTHER", "x")]);
        let vars: Vars = environment.read().expect("valid");
        assert_eq!(vars.port, None);
        assert_eq!(vars.plain, None);
        assert!(vars.password.is_some());
        assert!(!format!("{environment:?}").contains("hunter2"));
    }
}
