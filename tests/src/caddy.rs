//! A real Caddy in front of a [`Platform`], configured by the repository's own
//! `deploy/gateway/Caddyfile` (not a copy): the file is rendered with the platform's free ports in place
//! of the compose host names and the site address, and `caddy run` stays in the foreground, in a
//! `test_support::ChildGroup`, until the [`CaddyGateway`] is dropped or the test process dies. Its
//! protected `/api/` has the same [`EchoUpstream`] behind it as the nginx gateway's, so a test sees what
//! `forward_auth` passed on.

use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

use crate::api::Api;
use crate::binaries::workspace_root;
use crate::child_start::{find_binary, kill_and_show_log, read_log, wait_accepting};
use crate::forward_auth::ForwardAuthGateway;
use crate::gateway::{EchoUpstream, Upstreams};
use crate::platform::Platform;
use test_support::{ChildGroup, GroupCommand, free_port};

/// How long Caddy may take to accept connections after it was spawned.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The Caddy configuration, relative to the workspace root.
pub const CADDYFILE: &str = "deploy/gateway/Caddyfile";

/// The site address line of the Caddyfile that rendering replaces.
const SITE: &str = "\n:8080 {\n";

/// The caddy binary: `$CADDY` when set, else `caddy` on the `PATH`, else Debian's `/usr/bin/caddy`.
pub fn caddy_binary() -> PathBuf {
    find_binary("CADDY", "caddy", "/usr/bin/caddy")
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
    /// Behind the protected `/api/`: kept for the gateway's life, read only through what it echoes.
    _echo: EchoUpstream,
    _dir: tempfile::TempDir,
}

impl CaddyGateway {
    /// Renders `deploy/gateway/Caddyfile` for `platform`, starts Caddy and waits until it accepts.
    pub async fn start(platform: &Platform) -> CaddyGateway {
        let dir = tempfile::Builder::new().prefix("e2e-caddy-").tempdir().expect("create a temp dir");
        let echo = EchoUpstream::start().await;
        let upstreams = Upstreams::of(platform, &echo);
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
        let mut gateway = CaddyGateway { child: Some(child), port, log_path, api, _echo: echo, _dir: dir };
        gateway.wait_accepting().await;
        gateway
    }

    async fn wait_accepting(&mut self) {
        wait_accepting(&mut self.child, self.port, "caddy", START_TIMEOUT, &self.log_path).await;
    }
}

impl ForwardAuthGateway for CaddyGateway {
    fn name(&self) -> &'static str {
        "caddy"
    }

    fn api(&self) -> &Api {
        &self.api
    }

    fn port(&self) -> u16 {
        self.port
    }

    /// Caddy's access log (JSON lines) and its own log so far.
    fn log(&self) -> String {
        read_log(&self.log_path)
    }
}

impl Drop for CaddyGateway {
    fn drop(&mut self) {
        kill_and_show_log(&mut self.child, "caddy", self.port, &self.log_path);
    }
}
