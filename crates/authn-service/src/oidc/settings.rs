//! Single sign-on settings: the OpenID Connect providers and the SSO policies, parsed once at start.
//!
//! The provider named `default` is configured by the contract's names (`OIDC_ISSUER_URL`,
//! `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`, `OIDC_REDIRECT_URL`, `OIDC_SCOPES`, `OIDC_TOKEN_AUTH_METHOD`).
//! More providers are named in `OIDC_PROVIDERS=corp,google`, each configured by the same suffixes under
//! its upper-cased name: `OIDC_CORP_ISSUER_URL`, `OIDC_CORP_CLIENT_ID`, … A missing or malformed value
//! stops the start with one line naming the variable.
//!
//! Linking by email is a per-provider trust decision (`OIDC_LINK_VERIFIED_EMAIL` for `default`,
//! `OIDC_CORP_LINK_VERIFIED_EMAIL` …): it says that provider's `email_verified` claims are believed.

use secrecy::SecretString;
use serde::Deserialize;
use service_kit::settings::{Environment, SettingsError, de};
use std::fmt;
use std::str::FromStr;
use url::Url;

/// The scopes asked for when `…_SCOPES` is unset.
pub const DEFAULT_SCOPES: &str = "openid email profile";
/// The name of the provider configured by the plain `OIDC_*` variables.
pub const DEFAULT_PROVIDER: &str = "default";
/// Provider names are short lowercase identifiers, since they become part of variable names.
const MAX_PROVIDER_NAME_CHARS: usize = 32;

/// Everything single sign-on needs; no providers means SSO is off.
#[derive(Debug, Clone, Default)]
pub struct OidcSettings {
    pub providers: Vec<ProviderSettings>,
    /// `OIDC_FRONTEND_REDIRECT_URLS`: where `/oauth/login?redirect_uri=` may send the result; each is
    /// `https`, or `http` to a loopback host.
    pub frontend_redirect_urls: Vec<Url>,
}

/// How the client authenticates at the provider's token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenAuthMethod {
    /// HTTP Basic with the client id and secret: the OpenID Connect default.
    #[default]
    ClientSecretBasic,
    /// The client id and secret in the form body.
    ClientSecretPost,
}

/// One provider: who it is, who we are at it, and where it sends the browser back.
#[derive(Clone)]
pub struct ProviderSettings {
    pub name: String,
    /// The issuer exactly as the provider spells it (its discovery document must say the same).
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// This service's `/oauth/callback` as the browser reaches it, registered at the provider.
    pub redirect_url: Url,
    pub scopes: Vec<String>,
    pub token_auth_method: TokenAuthMethod,
    /// `…_LINK_VERIFIED_EMAIL`: this provider's `email_verified` claims are trusted. Its first login
    /// with a verified email equal to the verified email of exactly one account joins that account,
    /// and an account it creates counts as having a verified email (so later logins may link to it).
    pub link_verified_email: bool,
}

impl fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("name", &self.name)
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field("redirect_url", &self.redirect_url.as_str())
            .field("scopes", &self.scopes)
            .field("token_auth_method", &self.token_auth_method)
            .field("link_verified_email", &self.link_verified_email)
            .finish_non_exhaustive()
    }
}

/// The policy variables, read under `OIDC_`.
#[derive(Deserialize)]
struct PolicyVars {
    #[serde(default, deserialize_with = "de::list")]
    providers: Vec<String>,
    #[serde(default, deserialize_with = "de::flag")]
    link_verified_email: Option<bool>,
    #[serde(default, deserialize_with = "de::list")]
    frontend_redirect_urls: Vec<Url>,
}

/// One provider's variables, read under `OIDC_` (the default provider) or `OIDC_{NAME}_`.
#[derive(Deserialize)]
struct ProviderVars {
    /// Kept as written: the ID token's `iss` must equal it character for character.
    #[serde(default, deserialize_with = "de::optional")]
    issuer_url: Option<String>,
    #[serde(default, deserialize_with = "de::optional")]
    client_id: Option<String>,
    #[serde(default, deserialize_with = "de::secret")]
    client_secret: Option<SecretString>,
    #[serde(default, deserialize_with = "de::optional")]
    redirect_url: Option<Url>,
    #[serde(default, deserialize_with = "de::optional")]
    scopes: Option<String>,
    #[serde(default, deserialize_with = "de::optional")]
    token_auth_method: Option<TokenAuthMethod>,
    #[serde(default, deserialize_with = "de::flag")]
    link_verified_email: Option<bool>,
}

impl FromStr for TokenAuthMethod {
    type Err = &'static str;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "client_secret_basic" => Ok(TokenAuthMethod::ClientSecretBasic),
            "client_secret_post" => Ok(TokenAuthMethod::ClientSecretPost),
            _ => Err("must be client_secret_basic or client_secret_post"),
        }
    }
}

impl OidcSettings {
    /// Reads the SSO settings from `environment`.
    pub fn from_environment(environment: &Environment) -> Result<Self, SettingsError> {
        let policy: PolicyVars = environment.read_prefixed("OIDC_")?;
        let mut providers = Vec::new();
        if let Some(default) = provider(DEFAULT_PROVIDER, "OIDC_", environment)? {
            providers.push(default);
        }
        for name in &policy.providers {
            let name = provider_name(name)?;
            if providers.iter().any(|known: &ProviderSettings| known.name == name) {
                return Err(SettingsError::new("OIDC_PROVIDERS", format!("names {name} twice")));
            }
            let prefix = format!("OIDC_{}_", name.to_ascii_uppercase());
            let settings = provider(&name, &prefix, environment)?
                .ok_or_else(|| SettingsError::new(format!("{prefix}ISSUER_URL"), "is required"))?;
            providers.push(settings);
        }
        if policy.link_verified_email.is_some() && !providers.iter().any(|p| p.name == DEFAULT_PROVIDER) {
            return Err(SettingsError::new(
                "OIDC_LINK_VERIFIED_EMAIL",
                "applies to the provider default, which is not configured; use OIDC_<NAME>_LINK_VERIFIED_EMAIL",
            ));
        }
        for url in &policy.frontend_redirect_urls {
            // Tokens travel in the URL's fragment: only over TLS, or to this machine (a local front end).
            let secure = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(url));
            if !secure || url.fragment().is_some() {
                return Err(SettingsError::new(
                    "OIDC_FRONTEND_REDIRECT_URLS",
                    "URLs must be https (http only to 127.0.0.1, [::1] or localhost) and have no fragment",
                ));
            }
        }
        Ok(Self { providers, frontend_redirect_urls: policy.frontend_redirect_urls })
    }
}

/// A provider's settings under `prefix`, or `None` when none of its variables is set.
fn provider(name: &str, prefix: &str, environment: &Environment) -> Result<Option<ProviderSettings>, SettingsError> {
    let named = |suffix: &str| format!("{prefix}{suffix}");
    let vars: ProviderVars = environment.read_prefixed(prefix)?;
    let Some(issuer_url) = vars.issuer_url else {
        let set = [
            ("CLIENT_ID", vars.client_id.is_some()),
            ("CLIENT_SECRET", vars.client_secret.is_some()),
            ("REDIRECT_URL", vars.redirect_url.is_some()),
        ];
        if let Some((suffix, _)) = set.iter().find(|(_, set)| *set) {
            return Err(SettingsError::new(named("ISSUER_URL"), format!("is required when {} is set", named(suffix))));
        }
        return Ok(None);
    };
    let issuer =
        Url::parse(&issuer_url).map_err(|_| SettingsError::new(named("ISSUER_URL"), "must be an absolute URL"))?;
    secure_url(&issuer, &named("ISSUER_URL"))?;
    if issuer.query().is_some() || issuer.fragment().is_some() {
        return Err(SettingsError::new(named("ISSUER_URL"), "must have no query or fragment"));
    }
    let redirect_url = vars.redirect_url.ok_or_else(|| SettingsError::new(named("REDIRECT_URL"), "is required"))?;
    if !matches!(redirect_url.scheme(), "http" | "https") || redirect_url.fragment().is_some() {
        return Err(SettingsError::new(named("REDIRECT_URL"), "must be an http(s) URL without a fragment"));
    }
    let scopes: Vec<String> =
        vars.scopes.as_deref().unwrap_or(DEFAULT_SCOPES).split_whitespace().map(str::to_owned).collect();
    if !scopes.iter().any(|scope| scope == "openid") {
        return Err(SettingsError::new(named("SCOPES"), "must include openid"));
    }
    Ok(Some(ProviderSettings {
        name: name.to_owned(),
        issuer_url,
        client_id: vars.client_id.ok_or_else(|| SettingsError::new(named("CLIENT_ID"), "is required"))?,
        client_secret: vars.client_secret.ok_or_else(|| SettingsError::new(named("CLIENT_SECRET"), "is required"))?,
        redirect_url,
        scopes,
        token_auth_method: vars.token_auth_method.unwrap_or_default(),
        link_verified_email: vars.link_verified_email.unwrap_or(false),
    }))
}

/// A provider name from `OIDC_PROVIDERS`: lowercase letters, digits and `_`, since it becomes part of
/// variable names; `default` is the plain `OIDC_*` provider and cannot be listed.
fn provider_name(raw: &str) -> Result<String, SettingsError> {
    let name = raw.to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= MAX_PROVIDER_NAME_CHARS
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(SettingsError::new(
            "OIDC_PROVIDERS",
            "names must be 1 to 32 characters of letters, digits and _, separated by commas",
        ));
    }
    if name == DEFAULT_PROVIDER {
        return Err(SettingsError::new("OIDC_PROVIDERS", "must not list default: it is configured by OIDC_ISSUER_URL"));
    }
    Ok(name)
}

/// Provider traffic carries secrets and codes: https, except to this machine (a provider in a test or
/// beside the service).
fn secure_url(url: &Url, variable: &str) -> Result<(), SettingsError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        _ => Err(SettingsError::new(variable, "must be an https:// URL (http:// only to localhost)")),
    }
}

fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn parse(pairs: &[(&str, &str)]) -> Result<OidcSettings, SettingsError> {
        OidcSettings::from_environment(&Environment::from_pairs(pairs.iter().copied()))
    }

    const DEFAULT: [(&str, &str); 4] = [
        ("OIDC_ISSUER_URL", "https://idp.example.com"),
        ("OIDC_CLIENT_ID", "authn"),
        ("OIDC_CLIENT_SECRET", "s3cret"),
        ("OIDC_REDIRECT_URL", "https://gateway.example.com/oauth/callback"),
    ];

    fn failing_variable(pairs: &[(&str, &str)]) -> String {
        parse(pairs).expect_err("should be refused").variable().to_owned()
    }

    #[test]
    fn nothing_set_is_sso_off() {
        let settings = parse(&[]).expect("valid");
        assert!(settings.providers.is_empty());
        assert!(settings.frontend_redirect_urls.is_empty());
    }

    #[test]
    fn the_contract_names_configure_the_default_provider() {
        let settings = parse(&DEFAULT).expect("valid");
        let [provider] = settings.providers.as_slice() else { panic!("one provider: {settings:?}") };
        assert_eq!(provider.name, "default");
        assert_eq!(provider.issuer_url, "https://idp.example.com");
        assert_eq!(provider.client_id, "authn");
        assert_eq!(provider.client_secret.expose_secret(), "s3cret");
        assert_eq!(provider.scopes, ["openid", "email", "profile"]);
        assert_eq!(provider.token_auth_method, TokenAuthMethod::ClientSecretBasic);
        assert!(!provider.link_verified_email, "linking is off unless the provider is trusted for it");
        assert!(!format!("{provider:?}").contains("s3cret"), "the secret is not printed");
    }

    #[test]
    fn named_providers_sit_beside_the_default_one() {
        let mut pairs = DEFAULT.to_vec();
        pairs.extend([
            ("OIDC_PROVIDERS", "corp, Google"),
            ("OIDC_CORP_ISSUER_URL", "https://login.corp.example/realms/staff"),
            ("OIDC_CORP_CLIENT_ID", "corp-client"),
            ("OIDC_CORP_CLIENT_SECRET", "corp-secret"),
            ("OIDC_CORP_REDIRECT_URL", "https://gateway.example.com/oauth/callback"),
            ("OIDC_CORP_SCOPES", "openid email"),
            ("OIDC_CORP_TOKEN_AUTH_METHOD", "client_secret_post"),
            ("OIDC_GOOGLE_ISSUER_URL", "https://accounts.google.com"),
            ("OIDC_GOOGLE_CLIENT_ID", "g"),
            ("OIDC_GOOGLE_CLIENT_SECRET", "gs"),
            ("OIDC_GOOGLE_REDIRECT_URL", "https://gateway.example.com/oauth/callback"),
        ]);
        let settings = parse(&pairs).expect("valid");
        let names: Vec<&str> = settings.providers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["default", "corp", "google"]);
        assert_eq!(settings.providers[1].scopes, ["openid", "email"]);
        assert_eq!(settings.providers[1].token_auth_method, TokenAuthMethod::ClientSecretPost);
        assert_eq!(settings.providers[2].client_id, "g");
    }

    #[test]
    fn named_providers_work_without_a_default_one() {
        let settings = parse(&[
            ("OIDC_PROVIDERS", "corp"),
            ("OIDC_CORP_ISSUER_URL", "https://idp.example.com"),
            ("OIDC_CORP_CLIENT_ID", "c"),
            ("OIDC_CORP_CLIENT_SECRET", "s"),
            ("OIDC_CORP_REDIRECT_URL", "https://gateway.example.com/oauth/callback"),
        ])
        .expect("valid");
        assert_eq!(settings.providers.len(), 1);
        assert_eq!(settings.providers[0].name, "corp");
    }

    #[test]
    fn each_bad_or_missing_value_names_its_variable() {
        let with = |name: &str, value: &'static str| {
            let mut pairs: Vec<(&str, &str)> = DEFAULT.iter().copied().filter(|(k, _)| *k != name).collect();
            if !value.is_empty() {
                pairs.push((Box::leak(name.to_owned().into_boxed_str()), value));
            }
            failing_variable(&pairs)
        };
        assert_eq!(with("OIDC_CLIENT_ID", ""), "OIDC_CLIENT_ID");
        assert_eq!(with("OIDC_CLIENT_SECRET", ""), "OIDC_CLIENT_SECRET");
        assert_eq!(with("OIDC_REDIRECT_URL", ""), "OIDC_REDIRECT_URL");
        assert_eq!(with("OIDC_REDIRECT_URL", "/oauth/callback"), "OIDC_REDIRECT_URL");
        assert_eq!(with("OIDC_ISSUER_URL", "not a url"), "OIDC_ISSUER_URL");
        assert_eq!(with("OIDC_ISSUER_URL", "http://idp.example.com"), "OIDC_ISSUER_URL", "http only to loopback");
        assert_eq!(with("OIDC_SCOPES", "email profile"), "OIDC_SCOPES");
        assert_eq!(with("OIDC_TOKEN_AUTH_METHOD", "private_key_jwt"), "OIDC_TOKEN_AUTH_METHOD");
        assert_eq!(failing_variable(&[("OIDC_CLIENT_ID", "x")]), "OIDC_ISSUER_URL");
        assert_eq!(failing_variable(&[("OIDC_PROVIDERS", "corp")]), "OIDC_CORP_ISSUER_URL");
        assert_eq!(failing_variable(&[("OIDC_PROVIDERS", "c-orp")]), "OIDC_PROVIDERS");
        assert_eq!(failing_variable(&[("OIDC_PROVIDERS", "default")]), "OIDC_PROVIDERS");
        assert_eq!(with("OIDC_LINK_VERIFIED_EMAIL", "maybe"), "OIDC_LINK_VERIFIED_EMAIL");
        assert_eq!(failing_variable(&[("OIDC_LINK_VERIFIED_EMAIL", "true")]), "OIDC_LINK_VERIFIED_EMAIL");
        for url in
            ["/app", "http://app.example.com/sso", "http://10.0.0.1/cb", "ftp://localhost/cb", "https://a.example/#x"]
        {
            assert_eq!(
                with("OIDC_FRONTEND_REDIRECT_URLS", Box::leak(format!("https://ok.example/cb,{url}").into_boxed_str())),
                "OIDC_FRONTEND_REDIRECT_URLS",
                "{url}"
            );
        }
    }

    #[test]
    fn loopback_issuers_may_use_http_and_policies_parse() {
        let mut pairs = DEFAULT.to_vec();
        pairs.retain(|(k, _)| *k != "OIDC_ISSUER_URL");
        pairs.extend([
            ("OIDC_ISSUER_URL", "http://127.0.0.1:9000"),
            ("OIDC_LINK_VERIFIED_EMAIL", "true"),
            (
                "OIDC_FRONTEND_REDIRECT_URLS",
                "https://app.example.com/sso, http://localhost:3000/cb, http://127.0.0.1:5173/, http://[::1]:8000/cb",
            ),
        ]);
        let settings = parse(&pairs).expect("valid");
        assert!(settings.providers[0].link_verified_email);
        let urls: Vec<&str> = settings.frontend_redirect_urls.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "https://app.example.com/sso",
                "http://localhost:3000/cb",
                "http://127.0.0.1:5173/",
                "http://[::1]:8000/cb"
            ]
        );
    }

    #[test]
    fn linking_by_email_is_configured_per_provider() {
        let mut pairs = DEFAULT.to_vec();
        pairs.extend([
            ("OIDC_PROVIDERS", "corp,social"),
            ("OIDC_CORP_ISSUER_URL", "https://login.corp.example"),
            ("OIDC_CORP_CLIENT_ID", "c"),
            ("OIDC_CORP_CLIENT_SECRET", "s"),
            ("OIDC_CORP_REDIRECT_URL", "https://gateway.example.com/oauth/callback"),
            ("OIDC_CORP_LINK_VERIFIED_EMAIL", "true"),
            ("OIDC_SOCIAL_ISSUER_URL", "https://social.example"),
            ("OIDC_SOCIAL_CLIENT_ID", "c"),
            ("OIDC_SOCIAL_CLIENT_SECRET", "s"),
            ("OIDC_SOCIAL_REDIRECT_URL", "https://gateway.example.com/oauth/callback"),
        ]);
        let settings = parse(&pairs).expect("valid");
        let linking: Vec<(&str, bool)> =
            settings.providers.iter().map(|p| (p.name.as_str(), p.link_verified_email)).collect();
        assert_eq!(linking, [("default", false), ("corp", true), ("social", false)]);
    }

    #[test]
    fn client_secrets_may_come_from_files_for_the_default_and_a_named_provider() {
        let default_secret = tempfile::NamedTempFile::new().expect("a temp file");
        std::fs::write(default_secret.path(), "from-a-file\n").expect("written");
        let corp_secret = tempfile::NamedTempFile::new().expect("a temp file");
        std::fs::write(corp_secret.path(), "corp-from-a-file").expect("written");
        let default_path = default_secret.path().to_string_lossy().into_owned();
        let corp_path = corp_secret.path().to_string_lossy().into_owned();
        let mut pairs: Vec<(&str, &str)> =
            DEFAULT.iter().copied().filter(|(name, _)| *name != "OIDC_CLIENT_SECRET").collect();
        pairs.extend([
            ("OIDC_CLIENT_SECRET_FILE", default_path.as_str()),
            ("OIDC_PROVIDERS", "corp"),
            ("OIDC_CORP_ISSUER_URL", "https://login.corp.example/realms/staff"),
            ("OIDC_CORP_CLIENT_ID", "corp-client"),
            ("OIDC_CORP_CLIENT_SECRET_FILE", corp_path.as_str()),
            ("OIDC_CORP_REDIRECT_URL", "https://gateway.example.com/oauth/callback"),
        ]);
        let settings = parse(&pairs).expect("valid");
        assert_eq!(settings.providers[0].client_secret.expose_secret(), "from-a-file");
        assert_eq!(settings.providers[1].client_secret.expose_secret(), "corp-from-a-file");

        pairs.push(("OIDC_CORP_CLIENT_SECRET", "also-in-the-environment"));
        assert_eq!(failing_variable(&pairs), "OIDC_CORP_CLIENT_SECRET and OIDC_CORP_CLIENT_SECRET_FILE");
    }
}
