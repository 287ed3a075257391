//! One isolated platform per test: its own Redis, its own private key and the three services on free
//! ports, all killed on drop, and with the test process when that is killed (each runs in a
//! `test_support::ChildGroup`). The logs of every process are printed when the test panics.
//!
//! With [`PlatformBuilder::token_replicas`] above one, the token service runs as that many processes
//! sharing one environment and key files, behind a round-robin nginx ([`RoundRobin`]) that authn, the
//! session service's JWKS fetches and the test's own client all go through, as in a cluster.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::api::Api;
use crate::balancer::RoundRobin;
use crate::binaries::binary;
use test_support::free_port;
use test_support::{ChildGroup, GroupCommand, RedisServer};

/// How long a service may take to answer `/healthz` with 200 after it was spawned.
const START_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    Authn,
    Token,
    Session,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::Authn, Service::Token, Service::Session];

    pub fn binary_name(self) -> &'static str {
        match self {
            Service::Authn => "authn-service",
            Service::Token => "token-service",
            Service::Session => "session-service",
        }
    }
}

#[derive(Debug)]
struct Override {
    service: Option<Service>,
    key: String,
    value: Option<String>,
}

/// Per-test changes to the environment of the services.
#[derive(Debug, Default)]
pub struct PlatformBuilder {
    overrides: Vec<Override>,
    ports: BTreeMap<Service, u16>,
    token_replicas: usize,
}

impl PlatformBuilder {
    /// Sets `key=value` for one service.
    pub fn env(mut self, service: Service, key: &str, value: impl Into<String>) -> Self {
        self.overrides.push(Override { service: Some(service), key: key.to_owned(), value: Some(value.into()) });
        self
    }

    /// Sets `key=value` for all three services.
    pub fn env_all(mut self, key: &str, value: impl Into<String>) -> Self {
        self.overrides.push(Override { service: None, key: key.to_owned(), value: Some(value.into()) });
        self
    }

    /// Removes a variable the harness would otherwise set for one service.
    pub fn env_remove(mut self, service: Service, key: &str) -> Self {
        self.overrides.push(Override { service: Some(service), key: key.to_owned(), value: None });
        self
    }

    /// Runs a service on a port chosen before the start (e.g. authn, whose callback URL an OpenID
    /// Connect provider must know first).
    pub fn port(mut self, service: Service, port: u16) -> Self {
        self.ports.insert(service, port);
        self
    }

    /// Runs the token service as `count` replicas behind a round-robin nginx (1, the default, runs it
    /// alone with nothing in front).
    pub fn token_replicas(mut self, count: usize) -> Self {
        self.token_replicas = count;
        self
    }

    pub async fn start(self) -> Platform {
        Platform::start_with(self).await
    }
}

#[derive(Debug)]
struct ServiceProcess {
    service: Service,
    port: u16,
    env: BTreeMap<String, String>,
    log_path: PathBuf,
    child: Option<ChildGroup>,
}

impl ServiceProcess {
    fn spawn(&mut self, workdir: &Path) {
        assert!(self.child.is_none(), "{} is already running", self.service.binary_name());
        let log = File::options().create(true).append(true).open(&self.log_path).expect("open a service log file");
        let child = GroupCommand::new(binary(self.service.binary_name()))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(&self.env)
            // No `.env` file of the developer's is picked up from here.
            .current_dir(workdir)
            .stdout(log.try_clone().expect("clone a log file handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("could not start {}: {err}", self.service.binary_name()));
        self.child = Some(child);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_else(|err| format!("(no log: {err})"))
    }

    async fn wait_healthy(&mut self, client: &reqwest::Client) {
        let url = format!("http://127.0.0.1:{}/healthz", self.port);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                panic!(
                    "{} exited with {status} during start (port {}); its log:\n{}",
                    self.service.binary_name(),
                    self.port,
                    self.log()
                );
            }
            if let Ok(response) = client.get(&url).timeout(Duration::from_secs(1)).send().await
                && response.status() == reqwest::StatusCode::OK
            {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{} did not answer GET /healthz with 200 within {START_TIMEOUT:?} (port {}); its log:\n{}",
                    self.service.binary_name(),
                    self.port,
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Redis plus the three services, wired together as in production (`APP_ENV=prod`).
#[derive(Debug)]
pub struct Platform {
    services: BTreeMap<Service, ServiceProcess>,
    /// Token replicas beyond the first (which is `services[Token]`), with the same environment.
    extra_token_replicas: Vec<ServiceProcess>,
    /// The round-robin nginx in front of the token replicas, when there are several.
    token_balancer: Option<RoundRobin>,
    redis: RedisServer,
    internal_token: String,
    private_key_pem: String,
    api: Api,
    health_client: reqwest::Client,
    dir: tempfile::TempDir,
}

impl Platform {
    pub fn builder() -> PlatformBuilder {
        PlatformBuilder::default()
    }

    /// The platform with the harness defaults only.
    pub async fn start() -> Platform {
        PlatformBuilder::default().start().await
    }

    async fn start_with(builder: PlatformBuilder) -> Platform {
        let dir = tempfile::Builder::new().prefix("e2e-platform-").tempdir().expect("create a temp dir");
        let redis = RedisServer::start();
        let internal_token = random_secret(48);
        let private_key_pem = generate_private_key_pem();
        let key_path = dir.path().join("jwt-private-key.pem");
        std::fs::write(&key_path, &private_key_pem).expect("write the private key file");

        let ports: BTreeMap<Service, u16> = Service::ALL
            .iter()
            .map(|&service| (service, builder.ports.get(&service).copied().unwrap_or_else(free_port)))
            .collect();
        let extra_token_ports: Vec<u16> = (1..builder.token_replicas).map(|_| free_port()).collect();
        // With several token replicas, everything reaches token through the balancer, started below on
        // a port chosen now so the other services can be configured with it.
        let balancer_port = (!extra_token_ports.is_empty()).then(free_port);
        let url = |service: Service| match (service, balancer_port) {
            (Service::Token, Some(port)) => format!("http://127.0.0.1:{port}"),
            _ => format!("http://127.0.0.1:{}", ports[&service]),
        };

        let mut services = BTreeMap::new();
        for service in Service::ALL {
            let mut env = BTreeMap::new();
            let mut set = |key: &str, value: String| {
                env.insert(key.to_owned(), value);
            };
            set("APP_ENV", "prod".into());
            set("LISTEN_ADDR", format!("127.0.0.1:{}", ports[&service]));
            set("INTERNAL_API_TOKEN", internal_token.clone());
            set("RUST_LOG", "warn".into());
            match service {
                Service::Authn => {
                    set("REDIS_URL", redis.url());
                    set("TOKEN_SERVICE_URL", url(Service::Token));
                    set("ALLOW_REGISTRATION", "true".into());
                    set("ARGON2_MEMORY_KIB", "1024".into());
                    set("ARGON2_ITERATIONS", "1".into());
                }
                Service::Token => {
                    set("SESSION_SERVICE_URL", url(Service::Session));
                    set("JWT_PRIVATE_KEY_FILE", key_path.display().to_string());
                }
                Service::Session => {
                    set("REDIS_URL", redis.url());
                    set("JWKS_URL", format!("{}/.well-known/jwks.json", url(Service::Token)));
                }
            }
            for change in builder.overrides.iter().filter(|o| o.service.is_none_or(|s| s == service)) {
                match &change.value {
                    Some(value) => {
                        env.insert(change.key.clone(), value.clone());
                    }
                    None => {
                        env.remove(&change.key);
                    }
                }
            }
            let log_path = dir.path().join(format!("{}.log", service.binary_name()));
            services.insert(service, ServiceProcess { service, port: ports[&service], env, log_path, child: None });
        }

        let extra_token_replicas = extra_token_ports
            .iter()
            .enumerate()
            .map(|(index, &port)| {
                let mut env = services[&Service::Token].env.clone();
                env.insert("LISTEN_ADDR".to_owned(), format!("127.0.0.1:{port}"));
                let log_path = dir.path().join(format!("token-service-{}.log", index + 2));
                ServiceProcess { service: Service::Token, port, env, log_path, child: None }
            })
            .collect();

        let api = Api::new(url(Service::Authn), url(Service::Token), url(Service::Session), internal_token.clone());
        let health_client = reqwest::Client::builder().no_proxy().build().expect("build the health-check client");
        let mut platform = Platform {
            services,
            extra_token_replicas,
            token_balancer: None,
            redis,
            internal_token,
            private_key_pem,
            api,
            health_client,
            dir,
        };
        // Token first (the session service fetches its JWKS), then the two others side by side.
        platform.spawn(Service::Token);
        platform.wait_healthy(Service::Token).await;
        let workdir = platform.dir.path().to_path_buf();
        for replica in &mut platform.extra_token_replicas {
            replica.spawn(&workdir);
            replica.wait_healthy(&platform.health_client).await;
        }
        if let Some(port) = balancer_port {
            let balancer = RoundRobin::start(&platform.token_replica_ports(), port).await;
            platform.token_balancer = Some(balancer);
        }
        platform.spawn(Service::Session);
        platform.spawn(Service::Authn);
        platform.wait_healthy(Service::Session).await;
        platform.wait_healthy(Service::Authn).await;
        platform
    }

    fn spawn(&mut self, service: Service) {
        let workdir = self.dir.path().to_path_buf();
        self.process(service).spawn(&workdir);
    }

    async fn wait_healthy(&mut self, service: Service) {
        let client = self.health_client.clone();
        self.process(service).wait_healthy(&client).await;
    }

    fn process(&mut self, service: Service) -> &mut ServiceProcess {
        self.services.get_mut(&service).expect("every service has a process entry")
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    pub fn internal_token(&self) -> &str {
        &self.internal_token
    }

    /// The PKCS#8 PEM the token service signs with.
    pub fn private_key_pem(&self) -> &str {
        &self.private_key_pem
    }

    pub fn port(&self, service: Service) -> u16 {
        self.services[&service].port
    }

    pub fn redis(&self) -> &RedisServer {
        &self.redis
    }

    /// Kills Redis; all its data is lost (no persistence).
    pub fn stop_redis(&mut self) {
        self.redis.stop();
    }

    /// Starts Redis again on the same port, empty.
    pub fn start_redis(&mut self) {
        self.redis.restart();
    }

    /// Kills one service.
    pub fn stop_service(&mut self, service: Service) {
        self.process(service).stop();
    }

    /// Sends SIGTERM to one service (through kill(1): the workspace forbids `unsafe`), as Kubernetes does.
    pub fn terminate(&mut self, service: Service) {
        let pid = self.process(service).child.as_ref().expect("the service is running").id();
        let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -TERM {pid} failed");
    }

    /// Waits up to `timeout` for one service's process to exit; `None` when it is still running.
    pub async fn wait_exit(&mut self, service: Service, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            let process = self.process(service);
            let child = process.child.as_mut().expect("the service was started");
            if let Some(status) = child.try_wait().expect("poll the child") {
                process.child = None;
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts one stopped service again, same port and same environment, and waits for `/healthz`.
    pub async fn start_service(&mut self, service: Service) {
        self.spawn(service);
        self.wait_healthy(service).await;
    }

    /// Changes one variable of a service's environment, for its next start (e.g. a key rotation).
    pub fn set_env(&mut self, service: Service, key: &str, value: impl Into<String>) {
        self.process(service).env.insert(key.to_owned(), value.into());
    }

    /// The environment a service runs with.
    pub fn env(&self, service: Service) -> &BTreeMap<String, String> {
        &self.services[&service].env
    }

    /// The platform's temp dir (keys, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A command for a service's binary with that service's environment and working dir, for its
    /// administration subcommands (`authn-service users create NAME`, ...).
    pub fn command(&self, service: Service) -> Command {
        let mut command = Command::new(binary(service.binary_name()));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(&self.services[&service].env)
            .current_dir(self.dir.path());
        command
    }

    /// Runs an administration subcommand of a service's binary (`authn-service users disable NAME`)
    /// with `stdin` as its standard input: whether it succeeded, and what it printed.
    pub async fn admin(&self, service: Service, args: &[&str], stdin: &str) -> (bool, String) {
        use tokio::io::AsyncWriteExt;
        let mut command = tokio::process::Command::from(self.command(service));
        command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        let mut child = command.spawn().expect("spawn the administration command");
        let mut input = child.stdin.take().expect("the command's stdin is piped");
        input.write_all(stdin.as_bytes()).await.expect("write the command's stdin");
        drop(input);
        let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("`{} {}` did not finish within 20 s", service.binary_name(), args.join(" ")))
            .expect("wait for the administration command");
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        (output.status.success(), text)
    }

    /// The log of one service so far.
    pub fn log(&self, service: Service) -> String {
        self.services[&service].log()
    }

    /// The ports of the token replicas, the first one (`port(Service::Token)`) first.
    pub fn token_replica_ports(&self) -> Vec<u16> {
        std::iter::once(self.services[&Service::Token].port)
            .chain(self.extra_token_replicas.iter().map(|replica| replica.port))
            .collect()
    }

    /// Sends SIGHUP to a service (the first replica of token): token and session re-read their key and
    /// secret files.
    pub fn hangup(&mut self, service: Service) {
        let pid = self.process(service).child.as_ref().expect("the service is running").id();
        let status = Command::new("kill").args(["-HUP", &pid.to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -HUP {pid} failed");
    }

    /// Sends SIGHUP to one token replica (0 is the first), through kill(1) as [`Platform::terminate`]
    /// does: the token service re-reads its key files.
    pub fn hangup_token_replica(&mut self, index: usize) {
        let process = if index == 0 {
            self.process(Service::Token)
        } else {
            self.extra_token_replicas.get_mut(index - 1).expect("no such token replica")
        };
        let pid = process.child.as_ref().expect("the token replica is running").id();
        let status = Command::new("kill").args(["-HUP", &pid.to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -HUP {pid} failed");
    }

    /// The log of one token replica so far (0 is the first).
    pub fn token_replica_log(&self, index: usize) -> String {
        if index == 0 {
            return self.log(Service::Token);
        }
        self.extra_token_replicas[index - 1].log()
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        for process in self.services.values_mut().chain(self.extra_token_replicas.iter_mut()) {
            process.stop();
        }
        if std::thread::panicking() {
            for process in self.services.values().chain(self.extra_token_replicas.iter()) {
                eprintln!(
                    "----- log of {} (port {}) -----\n{}",
                    process.service.binary_name(),
                    process.port,
                    tail(&process.log(), 200)
                );
            }
        }
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// `n` random characters of `[0-9a-f]`.
pub fn random_secret(n: usize) -> String {
    let mut out = String::new();
    while out.len() < n {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(n);
    out
}

/// A fresh Ed25519 private key, PKCS#8 PEM, from `token-service keys generate --algorithm EdDSA`.
pub fn generate_private_key_pem() -> String {
    let output = Command::new(binary("token-service"))
        .args(["keys", "generate", "--algorithm", "EdDSA"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .output()
        .expect("run `token-service keys generate --algorithm EdDSA`");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && stdout.contains("-----BEGIN PRIVATE KEY-----"),
        "`token-service keys generate --algorithm EdDSA` should print a PKCS#8 PEM; exit {}, stdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
