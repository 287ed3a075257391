//! A `redis-server` that accepts only TLS, with a CA and a server certificate for `127.0.0.1` generated
//! for the test by the `openssl` command-line tool (the product itself uses rustls only; no Rust crate
//! for certificate generation is available offline here). Optionally with a password.

use crate::redis_node::{Node, base_args, os_args, start_node};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Debug)]
pub struct TlsRedisServer {
    node: Node,
    password: Option<String>,
    dir: tempfile::TempDir,
}

impl TlsRedisServer {
    /// Starts a TLS-only server (no plain-text port) with a fresh CA.
    pub fn start() -> Self {
        Self::start_with_password(None)
    }

    /// The same, requiring `password` (`requirepass`).
    pub fn start_with_password(password: Option<&str>) -> Self {
        let dir = tempfile::Builder::new().prefix("tls-redis-").tempdir().expect("create a temp dir");
        generate_certificates(dir.path());
        let cli_tls = cli_tls_args(dir.path());
        let certs = dir.path().to_path_buf();
        let password_owned = password.map(str::to_owned);
        let node =
            start_node("redis-server", dir.path(), "tls-redis", &cli_tls_with_auth(&cli_tls, password), |port| {
                // Plain TCP off (`--port 0`): every client must come through TLS.
                let mut args = base_args(0);
                args.extend(os_args([
                    "--tls-port".to_owned(),
                    port.to_string(),
                    "--tls-auth-clients".into(),
                    "no".into(),
                ]));
                args.extend([
                    OsString::from("--tls-cert-file"),
                    certs.join("server.pem").into(),
                    "--tls-key-file".into(),
                    certs.join("server.key").into(),
                    "--tls-ca-cert-file".into(),
                    certs.join("ca.pem").into(),
                ]);
                if let Some(password) = &password_owned {
                    args.extend(os_args(["--requirepass".to_owned(), password.clone()]));
                }
                args
            });
        Self { node, password: password.map(str::to_owned), dir }
    }

    pub fn port(&self) -> u16 {
        self.node.port
    }

    /// `rediss://[:password@]127.0.0.1:PORT`
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("rediss://:{password}@127.0.0.1:{}", self.node.port),
            None => format!("rediss://127.0.0.1:{}", self.node.port),
        }
    }

    /// The PEM file of the CA that signed the server's certificate (for `REDIS_CA_FILE`).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A CA that did not sign the server's certificate: a client trusting only it must refuse the server.
    pub fn other_ca_file(&self) -> PathBuf {
        let other = self.dir.path().join("other");
        if !other.join("ca.pem").exists() {
            std::fs::create_dir_all(&other).expect("create a dir for another CA");
            generate_certificates(&other);
        }
        other.join("ca.pem")
    }

    /// `redis-cli` with this server's TLS options and password, for inspecting it from a test.
    pub fn cli(&self, args: &[&str]) -> Option<String> {
        crate::redis_node::cli(
            self.node.port,
            &cli_tls_with_auth(&cli_tls_args(self.dir.path()), self.password.as_deref()),
            args,
        )
    }
}

fn cli_tls_args(dir: &Path) -> Vec<OsString> {
    vec!["--tls".into(), "--cacert".into(), dir.join("ca.pem").into()]
}

fn cli_tls_with_auth(tls: &[OsString], password: Option<&str>) -> Vec<OsString> {
    let mut args = tls.to_vec();
    if let Some(password) = password {
        args.extend(os_args(["--no-auth-warning".to_owned(), "-a".into(), password.to_owned()]));
    }
    args
}

/// `ca.pem`/`ca.key` (a P-256 CA) and `server.pem`/`server.key` (for IP 127.0.0.1 and `localhost`, with
/// the v3 extensions webpki insists on) in `dir`.
fn generate_certificates(dir: &Path) {
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("write the certificate extensions");
    let steps: [&[&str]; 3] = [
        &[
            "req",
            "-x509",
            "-new",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=test redis CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        &[
            "req",
            "-new",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    ];
    for step in steps {
        let output = Command::new("openssl")
            .args(step)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .expect("the openssl command-line tool is not installed: `apt-get install openssl` (or run .ci/run)");
        assert!(
            output.status.success(),
            "openssl {} failed: {}",
            step.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
