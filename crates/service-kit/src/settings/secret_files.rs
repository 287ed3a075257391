//! `NAME_FILE`: a secret setting read from a file, the Docker and Kubernetes secret convention.
//!
//! For every secret variable ([`is_secret_variable`]) the service also accepts `NAME_FILE`, the path of
//! a file that holds the value. The file is read when the settings are read, and one trailing line ending
//! is trimmed (editors and `echo` add one; a secret never ends in one). Setting both `NAME` and
//! `NAME_FILE` is refused, naming both; a file that cannot be read stops the start naming the variable
//! and the path, never the content.

use super::SettingsError;
use std::path::Path;

/// The secret settings that a `_FILE` variant may give, besides each OIDC provider's
/// `OIDC_<NAME>_CLIENT_SECRET` (whose names are only known at start).
pub const SECRET_VARIABLES: [&str; 6] = [
    "SECRET_KEY",
    "INTERNAL_API_TOKEN",
    "INTERNAL_API_TOKEN_PREVIOUS",
    "OIDC_CLIENT_SECRET",
    "INTROSPECTION_CREDENTIALS",
    "REDIS_URL",
];

/// The suffix of a variable that names the file holding a secret.
pub const FILE_SUFFIX: &str = "_FILE";

/// Whether `name` is a secret setting that `name_FILE` may give.
pub fn is_secret_variable(name: &str) -> bool {
    SECRET_VARIABLES.contains(&name)
        || name.strip_prefix("OIDC_").and_then(|rest| rest.strip_suffix("_CLIENT_SECRET")).is_some_and(|provider| {
            !provider.is_empty() && provider.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// `vars` with every secret given by `NAME_FILE` replaced by `NAME` and the file's content.
pub fn resolve(vars: &[(String, String)]) -> Result<Vec<(String, String)>, SettingsError> {
    let is_set = |wanted: &str| vars.iter().any(|(name, value)| name == wanted && !value.trim().is_empty());
    let mut resolved = Vec::with_capacity(vars.len());
    for (name, value) in vars {
        let secret = name.strip_suffix(FILE_SUFFIX).filter(|secret| is_secret_variable(secret));
        match secret {
            Some(secret) if !value.trim().is_empty() => {
                if is_set(secret) {
                    return Err(SettingsError::new(
                        format!("{secret} and {name}"),
                        "are both set; give the secret one way only",
                    ));
                }
                resolved.push((secret.to_owned(), read_secret_file(name, Path::new(value.trim()))?));
            }
            _ => resolved.push((name.clone(), value.clone())),
        }
    }
    Ok(resolved)
}

/// The content of the secret file that `variable` names, less one trailing line ending. Used again on
/// `SIGHUP` by the services that re-read their secrets.
pub fn read_secret_file(variable: &str, path: &Path) -> Result<String, SettingsError> {
    let bytes = std::fs::read(path).map_err(|error| {
        SettingsError::new(variable, format!("names {} that cannot be read: {}", path.display(), error.kind()))
    })?;
    let mut text = String::from_utf8(bytes)
        .map_err(|_| SettingsError::new(variable, format!("names {} that is not UTF-8 text", path.display())))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.trim().is_empty() {
        return Err(SettingsError::new(variable, format!("names {} that is empty", path.display())));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(content: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("a temp file");
        std::fs::write(file.path(), content).expect("written");
        file
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect()
    }

    #[test]
    fn every_secret_setting_and_each_providers_client_secret_is_a_secret_variable() {
        for name in SECRET_VARIABLES {
            assert!(is_secret_variable(name), "{name}");
        }
        assert!(is_secret_variable("OIDC_CORP_CLIENT_SECRET"));
        assert!(!is_secret_variable("OIDC__CLIENT_SECRET"));
        assert!(!is_secret_variable("JWT_PRIVATE_KEY"));
        assert!(!is_secret_variable("LISTEN_ADDR"));
    }

    #[test]
    fn a_file_gives_the_secret_less_one_trailing_line_ending() {
        let secret = file("s3cret value\n");
        let crlf = file("other\r\n");
        let vars = pairs(&[
            ("SECRET_KEY_FILE", secret.path().to_str().expect("utf-8")),
            ("OIDC_CORP_CLIENT_SECRET_FILE", crlf.path().to_str().expect("utf-8")),
            ("LISTEN_ADDR", "127.0.0.1:1"),
        ]);
        let resolved = resolve(&vars).expect("readable files");
        assert!(resolved.contains(&("SECRET_KEY".to_owned(), "s3cret value".to_owned())));
        assert!(resolved.contains(&("OIDC_CORP_CLIENT_SECRET".to_owned(), "other".to_owned())));
        assert!(resolved.contains(&("LISTEN_ADDR".to_owned(), "127.0.0.1:1".to_owned())));
        assert!(!resolved.iter().any(|(name, _)| name.ends_with("_FILE")));
    }

    #[test]
    fn only_one_line_ending_is_trimmed() {
        let secret = file(" padded \n\n");
        let read = read_secret_file("SECRET_KEY_FILE", secret.path()).expect("readable");
        assert_eq!(read, " padded \n");
    }

    #[test]
    fn a_path_setting_that_is_no_secret_keeps_its_name() {
        let vars = pairs(&[("JWT_PRIVATE_KEY_FILE", "/keys/current.pem")]);
        assert_eq!(resolve(&vars).expect("untouched"), vars);
    }

    #[test]
    fn both_the_secret_and_its_file_are_refused_naming_both() {
        let secret = file("from the file");
        let vars = pairs(&[
            ("INTERNAL_API_TOKEN", "hunter2-in-the-environment"),
            ("INTERNAL_API_TOKEN_FILE", secret.path().to_str().expect("utf-8")),
        ]);
        let error = resolve(&vars).expect_err("both set");
        assert_eq!(error.variable(), "INTERNAL_API_TOKEN and INTERNAL_API_TOKEN_FILE");
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(!error.to_string().contains("from the file"), "{error}");
    }

    #[test]
    fn an_unreadable_or_empty_file_names_the_variable_and_path_never_a_content() {
        let vars = pairs(&[("REDIS_URL_FILE", "/nonexistent/redis-url")]);
        let error = resolve(&vars).expect_err("missing file");
        assert_eq!(error.variable(), "REDIS_URL_FILE");
        assert!(error.to_string().contains("/nonexistent/redis-url"), "{error}");

        let empty = file("\n");
        let error = read_secret_file("SECRET_KEY_FILE", empty.path()).expect_err("empty");
        assert_eq!(error.variable(), "SECRET_KEY_FILE");
    }
}
