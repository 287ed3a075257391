//! A real nginx in front of a [`Platform`], configured by the repository's own
//! `deploy/gateway/nginx.conf` (not a copy): the file is rendered with the platform's free ports in
//! place of the compose host names, plus temp paths in a temp dir, and nginx runs in the foreground,
//! in a `test_support::ChildGroup` with its workers, until the [`Gateway`] is dropped or the test
//! process dies. Behind its sample protected location `/api/` sits an
//! [`EchoUpstream`] that answers every request with the request's own method, URI and headers as JSON,
//! so a test sees exactly what the gateway passed on. [`Gateway::start_with_tls`] also serves HTTPS on a
//! second port, with a certificate for `127.0.0.1` made for that gateway alone by the `openssl` command
//! (clients that insist on `https`, such as the `oauth2` crate's revocation, trust it by its PEM).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::child_start::{find_binary, read_log, show_log_if_panicking, wait_accepting};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::api::Api;
use crate::binaries::workspace_root;
use crate::forward_auth::ForwardAuthGateway;
use crate::platform::{Platform, Service};
use test_support::{ChildGroup, GroupCommand, free_port};

/// How long nginx may take to accept connections after it was spawned.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The gateway configuration, relative to the workspace root.
pub const NGINX_CONF: &str = "deploy/gateway/nginx.conf";

/// The literal upstream addresses and listen directive of `nginx.conf` that rendering replaces.
const AUTHN_UPSTREAM: &str = "server authn:8081;";
const TOKEN_UPSTREAM: &str = "server token:8082;";
const SESSION_UPSTREAM: &str = "server session:8083;";
const SAMPLE_UPSTREAM: &str = "server sample-api:9000;";
const LISTEN: &str = "listen 8080;";

/// The nginx binary: `$NGINX` when set, else `nginx` on the `PATH`, else Debian's `/usr/sbin/nginx`.
pub fn nginx_binary() -> PathBuf {
    find_binary("NGINX", "nginx", "/usr/sbin/nginx")
}

/// The addresses the rendered configuration points at.
#[derive(Debug, Clone)]
pub struct Upstreams {
    pub authn: String,
    pub token: String,
    pub session: String,
    pub sample_api: String,
}

impl Upstreams {
    /// The platform's three services, and `echo` as the sample API behind the protected `/api/`.
    pub fn of(platform: &Platform, echo: &EchoUpstream) -> Self {
        Self {
            authn: format!("127.0.0.1:{}", platform.port(Service::Authn)),
            token: format!("127.0.0.1:{}", platform.port(Service::Token)),
            session: format!("127.0.0.1:{}", platform.port(Service::Session)),
            sample_api: format!("127.0.0.1:{}", echo.port()),
        }
    }
}

/// `nginx.conf` with the upstreams and the listen port replaced, and every temp path inside `dir`
/// (Debian's compiled-in ones under /var/lib/nginx are writable by root only).
pub fn render(conf: &str, upstreams: &Upstreams, port: u16, dir: &Path) -> String {
    let replacements = [
        (AUTHN_UPSTREAM, format!("server {};", upstreams.authn)),
        (TOKEN_UPSTREAM, format!("server {};", upstreams.token)),
        (SESSION_UPSTREAM, format!("server {};", upstreams.session)),
        (SAMPLE_UPSTREAM, format!("server {};", upstreams.sample_api)),
        (LISTEN, format!("listen 127.0.0.1:{port};")),
        ("http {\n", format!("http {{\n{}", temp_paths(dir))),
    ];
    let mut rendered = conf.to_owned();
    for (from, to) in replacements {
        assert_eq!(
            rendered.matches(from).count(),
            1,
            "{NGINX_CONF} must contain {from:?} exactly once: the gateway test renders the file by replacing it"
        );
        rendered = rendered.replace(from, &to);
    }
    rendered
}

/// nginx's temp directories inside `dir`, so that it writes nothing outside the test's temp dir.
pub(crate) fn temp_paths(dir: &Path) -> String {
    ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .iter()
        .map(|kind| format!("    {kind}_temp_path {};\n", dir.join(format!("{kind}_temp")).display()))
        .collect()
}

/// nginx in front of one platform, and the echo upstream behind its `/api/`; both stop on drop.
#[derive(Debug)]
pub struct Gateway {
    child: Option<ChildGroup>,
    port: u16,
    tls: Option<GatewayTls>,
    conf_path: PathBuf,
    log_path: PathBuf,
    api: Api,
    echo: EchoUpstream,
    dir: tempfile::TempDir,
}

impl Gateway {
    /// Renders `deploy/gateway/nginx.conf` for `platform`, starts nginx and waits until it accepts.
    pub async fn start(platform: &Platform) -> Gateway {
        Self::start_inner(platform, false).await
    }

    /// As [`Gateway::start`], and nginx also terminates TLS on a second port ([`Gateway::tls_url`]).
    pub async fn start_with_tls(platform: &Platform) -> Gateway {
        Self::start_inner(platform, true).await
    }

    async fn start_inner(platform: &Platform, with_tls: bool) -> Gateway {
        let dir = tempfile::Builder::new().prefix("e2e-gateway-").tempdir().expect("create a temp dir");
        // nginx's workers drop root for `nobody` when started as root: they must reach the temp dir.
        set_mode_0755(dir.path());
        let echo = EchoUpstream::start().await;
        let upstreams = Upstreams::of(platform, &echo);
        let source = workspace_root().join(NGINX_CONF);
        let conf = std::fs::read_to_string(&source).unwrap_or_else(|err| panic!("read {}: {err}", source.display()));
        let port = free_port();
        let conf_path = dir.path().join("nginx.conf");
        let mut rendered = render(&conf, &upstreams, port, dir.path());
        let tls = with_tls.then(|| GatewayTls::create(dir.path()));
        if let Some(tls) = &tls {
            let listen = format!("listen 127.0.0.1:{port};");
            rendered = rendered.replace(&listen, &format!("{listen}\n{}", tls.directives(dir.path())));
        }
        std::fs::write(&conf_path, rendered).expect("write the rendered nginx.conf");
        let log_path = dir.path().join("nginx.log");
        let base = format!("http://127.0.0.1:{port}");
        let api = Api::new(base.clone(), base.clone(), base, platform.internal_token().to_owned());
        let mut gateway = Gateway { child: None, port, tls, conf_path, log_path, api, echo, dir };
        gateway.spawn();
        gateway.wait_accepting().await;
        gateway
    }

    /// The arguments every nginx invocation of this gateway shares: its prefix, config and pid file.
    fn base_args(&self) -> Vec<String> {
        vec![
            "-e".into(),
            "stderr".into(),
            "-p".into(),
            self.dir.path().display().to_string(),
            "-c".into(),
            self.conf_path.display().to_string(),
        ]
    }

    fn pid_directive(&self) -> String {
        format!("pid {};", self.dir.path().join("nginx.pid").display())
    }

    fn spawn(&mut self) {
        let log = File::options().create(true).append(true).open(&self.log_path).expect("open the nginx log file");
        let child = GroupCommand::new(nginx_binary())
            .args(self.base_args())
            .args(["-g", &format!("daemon off; {}", self.pid_directive())])
            .stdout(log.try_clone().expect("clone a log file handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("could not start nginx: {err}"));
        self.child = Some(child);
    }

    async fn wait_accepting(&mut self) {
        wait_accepting(&mut self.child, self.port, "nginx", START_TIMEOUT, &self.log_path).await;
    }

    /// A client of the platform's public routes whose three base URLs are all the gateway.
    pub fn api(&self) -> &Api {
        &self.api
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The `https` URL of `path` (a gateway from [`Gateway::start_with_tls`] only).
    pub fn tls_url(&self, path: &str) -> String {
        let tls = self.tls.as_ref().expect("a gateway started with TLS");
        format!("https://127.0.0.1:{}{path}", tls.port)
    }

    /// The PEM of the HTTPS port's self-signed certificate, for a client to trust.
    pub fn tls_certificate_pem(&self) -> &str {
        &self.tls.as_ref().expect("a gateway started with TLS").certificate_pem
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn echo(&self) -> &EchoUpstream {
        &self.echo
    }

    /// nginx's access and error log so far.
    pub fn log(&self) -> String {
        read_log(&self.log_path)
    }

    /// Stops nginx: a fast shutdown through its pid file, so that it finishes its log; after a few
    /// seconds, or on the early return, the process group's kill takes the master and the workers.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new(nginx_binary())
            .args(self.base_args())
            .args(["-g", &self.pid_directive(), "-s", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill();
    }
}

impl ForwardAuthGateway for Gateway {
    fn name(&self) -> &'static str {
        "nginx"
    }

    fn api(&self) -> &Api {
        Gateway::api(self)
    }

    fn port(&self) -> u16 {
        Gateway::port(self)
    }

    fn log(&self) -> String {
        Gateway::log(self)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop();
        show_log_if_panicking("nginx", self.port, &self.log_path);
    }
}

/// The HTTPS side of a gateway: its port and its certificate (key and certificate files in the temp dir).
#[derive(Debug)]
struct GatewayTls {
    port: u16,
    certificate_pem: String,
}

/// A leaf certificate for `127.0.0.1` (not a CA: rustls refuses a CA certificate as a server's own).
const OPENSSL_CONFIG: &str = "[req]
distinguished_name = dn
x509_extensions = leaf
prompt = no
[dn]
CN = 127.0.0.1
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
";

impl GatewayTls {
    fn create(dir: &Path) -> Self {
        let config = dir.join("openssl.cnf");
        std::fs::write(&config, OPENSSL_CONFIG).expect("write the openssl config");
        let output = Command::new("openssl")
            .args(["req", "-x509", "-config"])
            .arg(&config)
            .args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-keyout"])
            .arg(dir.join("tls.key"))
            .arg("-out")
            .arg(dir.join("tls.crt"))
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|err| panic!("could not run openssl (apt-get install openssl): {err}"));
        assert!(output.status.success(), "openssl failed: {}", String::from_utf8_lossy(&output.stderr));
        let certificate_pem = std::fs::read_to_string(dir.join("tls.crt")).expect("read the certificate");
        Self { port: free_port(), certificate_pem }
    }

    /// The server block's lines for the HTTPS port.
    fn directives(&self, dir: &Path) -> String {
        format!(
            "        listen 127.0.0.1:{} ssl;\n        ssl_certificate {};\n        ssl_certificate_key {};",
            self.port,
            dir.join("tls.crt").display(),
            dir.join("tls.key").display()
        )
    }
}

/// Sends `GET request_target` byte for byte to a gateway on `port` (no URL normalisation, unlike
/// reqwest), and returns the answer.
pub async fn raw_get(port: u16, request_target: &str) -> RawReply {
    let request = format!("GET {request_target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .unwrap_or_else(|_| panic!("GET {request_target} through the gateway timed out"))
        .unwrap_or_else(|err| panic!("GET {request_target} through the gateway failed: {err}"));
    RawReply::parse(request_target, &String::from_utf8_lossy(&answer))
}

/// An answer read off the wire by [`raw_get`].
#[derive(Debug, Clone)]
pub struct RawReply {
    pub request_target: String,
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl RawReply {
    fn parse(request_target: &str, answer: &str) -> Self {
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("GET {request_target}: not an HTTP answer: {answer:?}"));
        Self { request_target: request_target.to_owned(), status, head: head.to_owned(), body: body.to_owned() }
    }
}

/// A tiny HTTP/1.1 server that answers every request with 200 and
/// `{"method", "target", "headers": {lower-case name: value}}`, one request per connection.
#[derive(Debug)]
pub struct EchoUpstream {
    port: u16,
    task: JoinHandle<()>,
}

impl EchoUpstream {
    pub async fn start() -> EchoUpstream {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind the echo upstream");
        let port = listener.local_addr().expect("the echo upstream's address").port();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(echo(stream));
            }
        });
        EchoUpstream { port, task }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for EchoUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request head (bodies are not echoed) and answers it.
async fn echo(mut stream: TcpStream) {
    let mut head = Vec::new();
    let mut buffer = [0_u8; 4096];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split_whitespace();
    let method = request_line.next().unwrap_or_default();
    let target = request_line.next().unwrap_or_default();
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for line in lines.take_while(|line| !line.is_empty()) {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            headers
                .entry(name.trim().to_ascii_lowercase())
                .and_modify(|existing| {
                    existing.push_str(", ");
                    existing.push_str(value);
                })
                .or_insert_with(|| value.to_owned());
        }
    }
    let body = json!({"method": method, "target": target, "headers": headers}).to_string();
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The echo upstream's answer: what the gateway sent it.
#[derive(Debug, Clone)]
pub struct Echoed(pub Value);

impl Echoed {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.0["headers"][name.to_ascii_lowercase()].as_str()
    }

    pub fn target(&self) -> &str {
        self.0["target"].as_str().unwrap_or_default()
    }
}

#[cfg(unix)]
fn set_mode_0755(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod the gateway temp dir");
}

#[cfg(not(unix))]
fn set_mode_0755(_path: &Path) {}
