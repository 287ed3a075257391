//! `deserialize_with` helpers that turn a variable's text into its typed value.
//!
//! Every helper reads the variable as text, treats a blank value like an unset one, and words its error
//! without the value (the caller adds the variable's name; see the module docs of [`super`]). Fields
//! using them are declared `#[serde(default, deserialize_with = "de::…")]` so that an unset variable is
//! `None` (or empty) rather than an error.

use secrecy::SecretString;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;
use url::Url;

/// The variable's text, or `None` when it is blank.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let raw = String::deserialize(deserializer)?;
    let trimmed = raw.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// Any `FromStr` value; the type's own error says what is wrong, so it must not echo the input.
pub fn optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    text(deserializer)?.map(|value| value.parse::<T>().map_err(D::Error::custom)).transpose()
}

/// A secret: kept as it is written (no trimming: a space may be part of it), never printed.
pub fn secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<SecretString>, D::Error> {
    let raw = String::deserialize(deserializer)?;
    Ok((!raw.trim().is_empty()).then(|| SecretString::from(raw)))
}

/// Booleans as operators write them: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
pub fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    text(deserializer)?
        .map(|value| match value.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(D::Error::custom("must be true or false")),
        })
        .transpose()
}

/// A comma-separated list; blank items are skipped.
pub fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let Some(value) = text(deserializer)? else { return Ok(Vec::new()) };
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .enumerate()
        .map(|(position, item)| {
            item.parse::<T>().map_err(|error| D::Error::custom(format_args!("item {}: {error}", position + 1)))
        })
        .collect()
}

/// A whole number of seconds.
pub fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    Ok(optional::<D, u64>(deserializer)?.map(Duration::from_secs))
}

/// A whole number of minutes.
pub fn minutes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    optional::<D, u64>(deserializer)?
        .map(|minutes| minutes.checked_mul(60).map(Duration::from_secs).ok_or_else(|| D::Error::custom("is too large")))
        .transpose()
}

/// An absolute `http` or `https` URL with a host (a peer service, a key set, an exporter).
pub fn http_url<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Url>, D::Error> {
    let Some(url) = optional::<D, Url>(deserializer)? else { return Ok(None) };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(D::Error::custom("must be an http:// or https:// URL"));
    }
    if url.fragment().is_some() {
        return Err(D::Error::custom("must have no fragment"));
    }
    Ok(Some(url))
}

#[cfg(test)]
mod tests {
    use crate::settings::Environment;
    use secrecy::{ExposeSecret, SecretString};
    use serde::Deserialize;
    use std::time::Duration;
    use url::Url;

    #[derive(Debug, Deserialize)]
    struct Vars {
        #[serde(default, deserialize_with = "super::flag")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "super::list")]
        list: Vec<u8>,
        #[serde(default, deserialize_with = "super::seconds")]
        seconds: Option<Duration>,
        #[serde(default, deserialize_with = "super::minutes")]
        minutes: Option<Duration>,
        #[serde(default, deserialize_with = "super::http_url")]
        url: Option<Url>,
        #[serde(default, deserialize_with = "super::secret")]
        secret: Option<SecretString>,
    }

    fn read(pairs: &[(&str, &str)]) -> Result<Vars, crate::settings::SettingsError> {
        Environment::from_pairs(pairs.iter().copied()).read()
    }

    #[test]
    fn each_helper_parses_its_type() {
        let vars = read(&[
            ("FLAG", "on"),
            ("LIST", "1, 2,,3"),
            ("SECONDS", "5"),
            ("MINUTES", "2"),
            ("URL", "https://token.internal:8443/"),
            ("SECRET", " spaced "),
        ])
        .expect("valid");
        assert_eq!(vars.flag, Some(true));
        assert_eq!(vars.list, vec![1, 2, 3]);
        assert_eq!(vars.seconds, Some(Duration::from_secs(5)));
        assert_eq!(vars.minutes, Some(Duration::from_secs(120)));
        assert_eq!(vars.url.expect("url").host_str(), Some("token.internal"));
        assert_eq!(vars.secret.expect("secret").expose_secret(), " spaced ");
    }

    #[test]
    fn each_helper_refuses_bad_text_naming_the_variable_only() {
        for (variable, value) in [
            ("FLAG", "hunter2"),
            ("LIST", "1,hunter2"),
            ("SECONDS", "-hunter2"),
            ("MINUTES", "99999999999999999999"),
            ("URL", "ftp://hunter2/"),
            ("URL", "hunter2"),
            ("URL", "http://host/#hunter2"),
        ] {
            let error = read(&[(variable, value)]).expect_err(value);
            assert_eq!(error.variable(), variable);
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }
}
