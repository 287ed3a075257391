//! A real Caddy in front of a [`Platform`], configured by the repository's own
//! `deploy/gateway/Caddyfile` (not a copy): the file is rendered with the platform's free ports in place
//! of the compose host names and the site address, and `caddy run` stays in the foreground, in a
//! `test_support::ChildGroup`, until the [`CaddyGateway`] is dropped or the test process dies. Its
//! protected `/api/` has the same [`EchoUpstream`] behind it as the nginx gateway's, so a test sees what
//! `forward_auth` passed on.

use std::fs::File;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::api::Api;
use crate::binaries::workspace_root;
use crate::gateway::{EchoUpstream, RawReply, Upstreams, raw_get};
use crate::platform::{Platform, Service};
use test_support::{ChildGroup, GroupCommand, free_port};

/// How long Caddy may take to accept connections after it was spawned.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The Caddy configuration, relative to the workspace root.
pub const CADDYFILE: &str = "deploy/gateway/Caddyfile";

/// The site address line of the Caddyfile that rendering replaces.
const SITE: &str = "\n:8080 {\n";

/// The caddy binary: `$CADDY` when set, else `caddy` on the `PATH`, else Debian's `/usr/bin/caddy`.
pub fn caddy_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CADDY") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join("caddy")).find(|path| path.is_file()))
        .unwrap_or_default();
    let path = on_path.unwrap_or_else(|| PathBuf::from("/usr/bin/caddy"));
    assert!(
        path.is_file(),
        "caddy not found (looked on the PATH and at /usr/bin/caddy): `make test` installs it when run as root; \
         otherwise run `apt-get install -y caddy`, or set CADDY to its path"
    );
    path
}

/// The Caddyfile with the upstreams replaced and the site on `127.0.0.1:port` alone.
pub fn render(caddyfile: &str, upstreams: &Upstreams, port: u16) -> String {
    let replacements = [
        ("authn:8081", upstreams.authn.clone()),
        ("token:8082", upstreams.token.clone()),
        ("session:8083", upstreams.session.clone()),
        ("sample-api:9000", upstreams.sample_api.clone()),
    ];
    let mut rendered = caddyfile.to_owned();
    for (from, to) in replacements {
        assert!(
            rendered.contains(&format!(" {from}")),
            "{CADDYFILE} must proxy to {from:?}: the Caddy gateway test renders the file by replacing it"
        );
        rendered = rendered.replace(from, &to);
    }
    assert_eq!(
        rendered.matches(SITE).count(),
        1,
        "{CADDYFILE} must contain the site address {SITE:?} exactly once: the Caddy gateway test replaces it"
    );
    rendered.replace(SITE, &format!("\n:{port} {{\n\tbind 127.0.0.1\n"))
}

/// Caddy in front of one platform, and the echo upstream behind its `/api/`; both stop on drop.
#[derive(Debug)]
pub struct CaddyGateway {
    child: Option<ChildGroup>,
    port: u16,
    log_path: PathBuf,
    api: Api,
    echo: EchoUpstream,
    _dir: tempfile::TempDir,
}

impl CaddyGateway {
    /// Renders `deploy/gateway/Caddyfile` for `platform`, starts Caddy and waits until it accepts.
    pub async fn start(platform: &Platform) -> CaddyGateway {
        let dir = tempfile::Builder::new().prefix("e2e-caddy-").tempdir().expect("create a temp dir");
        let echo = EchoUpstream::start().await;
        let upstreams = Upstreams {
            authn: format!("127.0.0.1:{}", platform.port(Service::Authn)),
            token: format!("127.0.0.1:{}", platform.port(Service::Token)),
            session: format!("127.0.0.1:{}", platform.port(Service::Session)),
            sample_api: format!("127.0.0.1:{}", echo.port()),
        };
        let source = workspace_root().join(CADDYFILE);
        let caddyfile =
            std::fs::read_to_string(&source).unwrap_or_else(|err| panic!("read {}: {err}", source.display()));
        let port = free_port();
        let config_path = dir.path().join("Caddyfile");
        std::fs::write(&config_path, render(&caddyfile, &upstreams, port)).expect("write the rendered Caddyfile");
        let log_path = dir.path().join("caddy.log");
        let log = File::options().create(true).append(true).open(&log_path).expect("open the caddy log file");
        // Caddy keeps its state (autosaved config, certificates it never gets here) under HOME and the
        // XDG directories: all of them point into the temp dir, so a test leaves nothing behind.
        let child = GroupCommand::new(caddy_binary())
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&config_path)
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .stdout(log.try_clone().expect("clone a log file handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("could not start caddy: {err}"));
        let base = format!("http://127.0.0.1:{port}");
        let api = Api::new(base.clone(), base.clone(), base, platform.internal_token().to_owned());
        let mut gateway = CaddyGateway { child: Some(child), port, log_path, api, echo, _dir: dir };
        gateway.wait_accepting().await;
        gateway
    }

    async fn wait_accepting(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                panic!("caddy exited with {status} during start; its log:\n{}", self.log());
            }
            if TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "caddy did not accept connections on port {} within {START_TIMEOUT:?}; its log:\n{}",
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A client of the platform's public routes whose three base URLs are all the gateway.
    pub fn api(&self) -> &Api {
        &self.api
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn echo(&self) -> &EchoUpstream {
        &self.echo
    }

    /// Caddy's access log (JSON lines) and its own log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_else(|err| format!("(no log: {err})"))
    }

    /// Sends `request_target` byte for byte (no URL normalisation, unlike reqwest).
    pub async fn raw_get(&self, request_target: &str) -> RawReply {
        raw_get(self.port, request_target).await
    }
}

impl Drop for CaddyGateway {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
        if std::thread::panicking() {
            eprintln!("----- log of caddy (port {}) -----\n{}", self.port, self.log());
        }
    }
}
