//! A real OpenID Connect provider for the single sign-on tests: `tests/oidc/provider.mjs` (the npm
//! package `oidc-provider`) run by Node on a free port in a `test_support::ChildGroup`, killed on drop
//! or with the test process; and [`Browser`], an HTTP client
//! that walks its login and consent pages as a user's browser would.
//!
//! The provider generates its signing key at each start, so [`OidcProvider::restart`] on the same port
//! is a key rotation. `npm ci --prefix tests/oidc` (run by `make test`) installs the package.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use std::time::{Duration, Instant};

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use test_support::{ChildGroup, GroupCommand, free_port};

/// Node and the provider's key generation are slow on a loaded 2-core machine: be generous.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The one client registered at the provider.
#[derive(Debug, Clone)]
pub struct ProviderOptions {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    /// `client_secret_basic` (default) or `client_secret_post`.
    pub token_auth_method: Option<String>,
    /// Publish a key set that lacks the key ID tokens are signed with.
    pub serve_other_jwks: bool,
    /// The issuer the provider announces in its discovery document and ID tokens, when it is not
    /// the URL it is reached at ([`OidcProvider::issuer`]).
    pub announced_issuer: Option<String>,
}

impl ProviderOptions {
    pub fn new(client_id: &str, client_secret: &str, redirect_uri: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uris: vec![redirect_uri.to_owned()],
            token_auth_method: None,
            serve_other_jwks: false,
            announced_issuer: None,
        }
    }
}

#[derive(Debug)]
pub struct OidcProvider {
    port: u16,
    options: ProviderOptions,
    child: Option<ChildGroup>,
    dir: tempfile::TempDir,
}

fn project_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

impl OidcProvider {
    /// Starts the provider on a free port and waits until its discovery document answers.
    pub async fn start(options: ProviderOptions) -> Self {
        let modules = project_dir().join("node_modules").join("oidc-provider");
        assert!(
            modules.is_dir(),
            "{} is missing: run `npm ci --prefix tests/oidc --no-audit --no-fund` (make test does)",
            modules.display()
        );
        let dir = tempfile::Builder::new().prefix("e2e-oidc-provider-").tempdir().expect("create a temp dir");
        let mut provider = Self { port: free_port(), options, child: None, dir };
        provider.spawn();
        provider.wait_ready().await;
        provider
    }

    /// The provider's URL, which is its issuer unless [`ProviderOptions::announced_issuer`] says
    /// otherwise.
    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn options(&self) -> &ProviderOptions {
        &self.options
    }

    /// Kills the provider; its port stays reserved for [`OidcProvider::restart`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
    }

    /// Starts it again on the same port, with a new signing key.
    pub async fn restart(&mut self) {
        self.stop();
        self.spawn();
        self.wait_ready().await;
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_else(|err| format!("(no log: {err})"))
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("provider.log")
    }

    fn spawn(&mut self) {
        let log = File::options().create(true).append(true).open(self.log_path()).expect("open the provider log");
        let mut command = GroupCommand::new("node");
        command
            .arg(project_dir().join("provider.mjs"))
            .current_dir(project_dir())
            .env("PORT", self.port.to_string())
            .env("CLIENT_ID", &self.options.client_id)
            .env("CLIENT_SECRET", &self.options.client_secret)
            .env("REDIRECT_URIS", self.options.redirect_uris.join(","))
            .env("SERVE_OTHER_JWKS", if self.options.serve_other_jwks { "1" } else { "0" })
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log);
        if let Some(method) = &self.options.token_auth_method {
            command.env("TOKEN_AUTH_METHOD", method);
        }
        if let Some(issuer) = &self.options.announced_issuer {
            command.env("ISSUER", issuer);
        }
        self.child =
            Some(command.spawn().unwrap_or_else(|err| panic!("could not start node (is Node.js installed?): {err}")));
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::builder().no_proxy().build().expect("client");
        let url = format!("{}/.well-known/openid-configuration", self.issuer());
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                panic!("the OIDC provider exited with {status} during start; its log:\n{}", self.log());
            }
            if let Ok(response) = client.get(&url).timeout(Duration::from_secs(2)).send().await
                && response.status() == reqwest::StatusCode::OK
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the OIDC provider did not answer {url} within {START_TIMEOUT:?}; its log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!("----- log of the OIDC provider (port {}) -----\n{}", self.port, self.log());
        }
    }
}

/// What the browser does at the provider's consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    Grant,
    /// The page's abort link: the provider redirects back with `error=access_denied`.
    Deny,
}

/// A browser: follows redirects by hand (so it can stop at the callback), keeps the provider's
/// cookies, and fills in the provider's login and consent forms.
#[derive(Debug)]
pub struct Browser {
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client");
        Self { client, cookies: BTreeMap::new() }
    }

    /// From the provider's authorization URL to the URL it sends the browser back to (the first
    /// redirect to a URL starting with `callback_prefix`), signing in as `login` on the way.
    pub async fn sign_in(
        &mut self,
        authorization_url: &str,
        login: &str,
        consent: Consent,
        callback_prefix: &str,
    ) -> String {
        let mut url = authorization_url.to_owned();
        let mut response = self.send(self.client.get(&url)).await;
        for _ in 0..20 {
            let (status, location, body) = response;
            if (300..400).contains(&status) {
                let next = resolve(&url, &location.unwrap_or_else(|| panic!("a {status} from {url} without Location")));
                if next.starts_with(callback_prefix) {
                    return next;
                }
                url = next;
                response = self.send(self.client.get(&url)).await;
            } else if status == 200 && body.contains(r#"name="prompt" value="login""#) {
                let form = [("prompt", "login"), ("login", login), ("password", "any password")];
                response = self.send(self.client.post(&url).form(&form)).await;
            } else if status == 200 && body.contains(r#"name="prompt" value="consent""#) {
                response = match consent {
                    Consent::Grant => self.send(self.client.post(&url).form(&[("prompt", "consent")])).await,
                    Consent::Deny => self.send(self.client.get(format!("{url}/abort"))).await,
                };
            } else {
                panic!("unexpected page at {url}: {status}\n{body}");
            }
        }
        panic!("no redirect to {callback_prefix} after 20 steps (last at {url})");
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> (u16, Option<String>, String) {
        let cookie = self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; ");
        let request = if cookie.is_empty() { request } else { request.header(COOKIE, cookie) };
        let response = request.send().await.unwrap_or_else(|err| panic!("browser request failed: {err:?}"));
        for set_cookie in response.headers().get_all(SET_COOKIE) {
            let text = set_cookie.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let expired = text.to_ascii_lowercase().contains("expires=thu, 01 jan 1970");
                if value.is_empty() || expired {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies.insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
        let status = response.status().as_u16();
        let location = response.headers().get(LOCATION).and_then(|value| value.to_str().ok()).map(str::to_owned);
        let body = response.text().await.unwrap_or_default();
        (status, location, body)
    }
}

/// A `Location` resolved against the URL it came from.
fn resolve(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_owned();
    }
    let origin_end = base.find("://").map_or(0, |i| i + 3);
    let origin = match base[origin_end..].find('/') {
        Some(slash) => &base[..origin_end + slash],
        None => base,
    };
    format!("{origin}{location}")
}
