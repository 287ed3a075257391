//! The Redis settings of a service (`REDIS_URL`, `REDIS_CA_FILE`, `REDIS_SENTINEL_MASTER`,
//! `REDIS_CLUSTER`), read once at start into a [`RedisConfig`]: which topology, which nodes, which CA.
//!
//! The services read [`RedisVars`] with their own settings reader (it names the variable a value is
//! missing from) and call [`RedisVars::into_config`], which applies the rules across the four variables.
//! Every refusal is a [`RedisSettingError`] naming one variable and never its value: a URL may hold a
//! password.

use crate::redis_url::RedisUrl;
use redis::{ConnectionAddr, TlsCertificates};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The four variables as the environment holds them; [`RedisVars::into_config`] checks them.
#[derive(Deserialize, Default)]
pub struct RedisVars {
    #[serde(default)]
    redis_url: Option<SecretString>,
    #[serde(default)]
    redis_ca_file: Option<String>,
    #[serde(default)]
    redis_sentinel_master: Option<String>,
    #[serde(default)]
    redis_cluster: Option<String>,
}

impl fmt::Debug for RedisVars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisVars")
            .field("redis_url", &self.redis_url.as_ref().map(|_| "[REDACTED]"))
            .field("redis_ca_file", &self.redis_ca_file)
            .field("redis_sentinel_master", &self.redis_sentinel_master)
            .field("redis_cluster", &self.redis_cluster)
            .finish()
    }
}

/// A refused Redis setting: the variable, and why, worded without its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} {reason}")]
pub struct RedisSettingError {
    variable: &'static str,
    reason: String,
}

impl RedisSettingError {
    fn new(variable: &'static str, reason: impl Into<String>) -> Self {
        Self { variable, reason: reason.into() }
    }

    pub fn variable(&self) -> &'static str {
        self.variable
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// How the nodes in `REDIS_URL` are to be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topology {
    /// One server (possibly with replicas of its own, which [`crate::RedisConnection::wait_for_replicas`]
    /// waits for).
    Standalone,
    /// The URLs are Sentinels watching the master called `master_name`.
    Sentinel { master_name: String },
    /// The URLs are seed nodes of a Redis Cluster.
    Cluster,
}

/// The checked Redis settings: the nodes, the topology, and the CA for `rediss://`.
#[derive(Clone)]
pub struct RedisConfig {
    nodes: Vec<RedisUrl>,
    topology: Topology,
    /// The PEM of `REDIS_CA_FILE`, already checked to hold a certificate.
    ca_pem: Option<Arc<[u8]>>,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("nodes", &self.nodes.len())
            .field("topology", &self.topology)
            .field("private_ca", &self.ca_pem.is_some())
            .finish()
    }
}

impl RedisVars {
    /// For tests and tools that hold the values rather than an environment.
    pub fn new(url: Option<&str>, ca_file: Option<&str>, sentinel_master: Option<&str>, cluster: Option<&str>) -> Self {
        Self {
            redis_url: url.map(|url| SecretString::from(url.to_owned())),
            redis_ca_file: ca_file.map(str::to_owned),
            redis_sentinel_master: sentinel_master.map(str::to_owned),
            redis_cluster: cluster.map(str::to_owned),
        }
    }

    /// The configuration, `None` when `REDIS_URL` is unset or blank (the in-memory stores of `dev`).
    /// Reads `REDIS_CA_FILE` from disk, once, at start.
    pub fn into_config(self) -> Result<Option<RedisConfig>, RedisSettingError> {
        let sentinel_master = non_blank(self.redis_sentinel_master);
        let cluster = match non_blank(self.redis_cluster) {
            None => false,
            Some(value) => {
                parse_flag(&value).ok_or_else(|| RedisSettingError::new("REDIS_CLUSTER", "must be true or false"))?
            }
        };
        let ca_file = non_blank(self.redis_ca_file);
        let url = self.redis_url.filter(|url| !url.expose_secret().trim().is_empty());
        let Some(url) = url else {
            if sentinel_master.is_some() {
                return Err(RedisSettingError::new("REDIS_SENTINEL_MASTER", "is set but REDIS_URL is not"));
            }
            if cluster {
                return Err(RedisSettingError::new("REDIS_CLUSTER", "is true but REDIS_URL is not set"));
            }
            if ca_file.is_some() {
                return Err(RedisSettingError::new("REDIS_CA_FILE", "is set but REDIS_URL is not"));
            }
            return Ok(None);
        };
        let nodes = parse_urls(url.expose_secret())?;
        let topology = match (sentinel_master, cluster) {
            (Some(_), true) => {
                return Err(RedisSettingError::new(
                    "REDIS_CLUSTER",
                    "cannot be true together with REDIS_SENTINEL_MASTER",
                ));
            }
            (Some(master_name), false) => {
                if master_name.chars().any(char::is_whitespace) {
                    return Err(RedisSettingError::new("REDIS_SENTINEL_MASTER", "must be one name without spaces"));
                }
                Topology::Sentinel { master_name }
            }
            (None, true) => Topology::Cluster,
            (None, false) => Topology::Standalone,
        };
        let ca_pem = ca_file.map(|path| read_ca(&path)).transpose()?;
        RedisConfig::new(nodes, topology, ca_pem).map(Some)
    }
}

impl RedisConfig {
    fn new(nodes: Vec<RedisUrl>, topology: Topology, ca_pem: Option<Arc<[u8]>>) -> Result<Self, RedisSettingError> {
        let tls: Vec<bool> = nodes.iter().map(RedisUrl::is_tls).collect();
        if tls.iter().any(|&tls| tls) && !tls.iter().all(|&tls| tls) {
            return Err(RedisSettingError::new("REDIS_URL", "mixes redis:// and rediss:// URLs"));
        }
        if ca_pem.is_some() && !tls.iter().all(|&tls| tls) {
            return Err(RedisSettingError::new("REDIS_CA_FILE", "is set but REDIS_URL is not rediss://"));
        }
        match &topology {
            Topology::Standalone if nodes.len() > 1 => {
                return Err(RedisSettingError::new(
                    "REDIS_URL",
                    "lists several URLs: set REDIS_SENTINEL_MASTER (they are Sentinels) or REDIS_CLUSTER=true (they are cluster nodes)",
                ));
            }
            Topology::Cluster => {
                if nodes.iter().any(|node| node.info().redis_settings().db() != 0) {
                    return Err(RedisSettingError::new(
                        "REDIS_URL",
                        "names a db other than 0, which a Redis Cluster does not have",
                    ));
                }
                let first = nodes[0].info();
                let same_credentials = nodes.iter().all(|node| {
                    node.info().redis_settings().username() == first.redis_settings().username()
                        && node.info().redis_settings().password() == first.redis_settings().password()
                });
                if !same_credentials {
                    return Err(RedisSettingError::new("REDIS_URL", "gives the cluster nodes different credentials"));
                }
            }
            Topology::Standalone | Topology::Sentinel { .. } => {}
        }
        if nodes.iter().any(|node| matches!(node.info().addr(), ConnectionAddr::Unix(_))) && nodes.len() > 1 {
            return Err(RedisSettingError::new("REDIS_URL", "lists a unix socket among several nodes"));
        }
        Ok(Self { nodes, topology, ca_pem })
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    pub(crate) fn nodes(&self) -> &[RedisUrl] {
        &self.nodes
    }

    /// Whether the nodes are reached over TLS (`rediss://`).
    pub fn is_tls(&self) -> bool {
        self.nodes.iter().all(RedisUrl::is_tls)
    }

    /// The certificates to hand the redis crate: the private CA when `REDIS_CA_FILE` is set, else `None`
    /// (the system's roots).
    pub(crate) fn tls_certificates(&self) -> Option<TlsCertificates> {
        self.ca_pem.as_ref().map(|pem| TlsCertificates { client_tls: None, root_cert: Some(pem.to_vec()) })
    }
}

/// `"redis://…"` alone: a standalone server without a private CA (tests build their settings this way).
impl FromStr for RedisConfig {
    type Err = RedisSettingError;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        RedisVars::new(Some(url), None, None, None)
            .into_config()?
            .ok_or_else(|| RedisSettingError::new("REDIS_URL", "is blank"))
    }
}

fn non_blank(value: Option<String>) -> Option<String> {
    value.map(|value| value.trim().to_owned()).filter(|value| !value.is_empty())
}

/// Booleans as the services' other flags accept them.
fn parse_flag(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_urls(list: &str) -> Result<Vec<RedisUrl>, RedisSettingError> {
    let items: Vec<&str> = list.split(',').map(str::trim).filter(|item| !item.is_empty()).collect();
    let several = items.len() > 1;
    items
        .iter()
        .enumerate()
        .map(|(position, item)| {
            item.parse::<RedisUrl>().map_err(|reason| {
                let reason = if several { format!("item {}: {reason}", position + 1) } else { reason.to_owned() };
                RedisSettingError::new("REDIS_URL", reason)
            })
        })
        .collect()
}

fn read_ca(path: &str) -> Result<Arc<[u8]>, RedisSettingError> {
    let pem = std::fs::read(path)
        .map_err(|error| RedisSettingError::new("REDIS_CA_FILE", format!("cannot be read ({})", error.kind())))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| RedisSettingError::new("REDIS_CA_FILE", "is not a PEM file of certificates"))?;
    if certificates.is_empty() {
        return Err(RedisSettingError::new("REDIS_CA_FILE", "holds no PEM certificate"));
    }
    Ok(pem.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(
        url: &str,
        ca: Option<&str>,
        master: Option<&str>,
        cluster: Option<&str>,
    ) -> Result<Option<RedisConfig>, RedisSettingError> {
        RedisVars::new(Some(url), ca, master, cluster).into_config()
    }

    #[test]
    fn one_url_is_a_standalone_server() {
        let config = config("redis://:hunter2@127.0.0.1:6390/2", None, None, None).expect("valid").expect("set");
        assert_eq!(config.topology(), &Topology::Standalone);
        assert!(!config.is_tls());
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn unset_or_blank_url_means_no_redis() {
        assert!(RedisVars::default().into_config().expect("valid").is_none());
        assert!(config("  ", None, None, None).expect("valid").is_none());
    }

    #[test]
    fn several_urls_need_a_topology() {
        let error = config("redis://a:1,redis://b:2", None, None, None).expect_err("ambiguous");
        assert_eq!(error.variable(), "REDIS_URL");
        let sentinel = config("redis://:pw@a:26379/3, redis://b:26379", None, Some("mymaster"), None)
            .expect("valid")
            .expect("set");
        assert_eq!(sentinel.topology(), &Topology::Sentinel { master_name: "mymaster".to_owned() });
        let cluster = config("redis://a:7000,redis://b:7001", None, None, Some("true")).expect("valid").expect("set");
        assert_eq!(cluster.topology(), &Topology::Cluster);
    }

    #[test]
    fn refusals_name_the_variable_and_never_the_password() {
        let cases = [
            ("redis://:hunter2@a:1,http://:hunter2@b:2", None, Some("m"), None, "REDIS_URL"),
            ("redis://:hunter2@a:1", None, None, Some("maybe"), "REDIS_CLUSTER"),
            ("redis://:hunter2@a:1", None, Some("m"), Some("true"), "REDIS_CLUSTER"),
            ("redis://:hunter2@a:1", None, Some("two words"), None, "REDIS_SENTINEL_MASTER"),
            ("redis://:hunter2@a:1/3", None, None, Some("yes"), "REDIS_URL"),
            ("redis://:hunter2@a:1,rediss://:hunter2@b:2", None, None, Some("true"), "REDIS_URL"),
            ("redis://:hunter2@a:1", Some("/nonexistent/ca.pem"), None, None, "REDIS_CA_FILE"),
            ("rediss://:hunter2@a:1", Some("/nonexistent/ca.pem"), None, None, "REDIS_CA_FILE"),
        ];
        for (url, ca, master, cluster, variable) in cases {
            let error = config(url, ca, master, cluster).expect_err(url);
            assert_eq!(error.variable(), variable, "{url}: {error}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn settings_without_url_are_refused() {
        let error = RedisVars::new(None, None, Some("mymaster"), None).into_config().expect_err("no url");
        assert_eq!(error.variable(), "REDIS_SENTINEL_MASTER");
        let error = RedisVars::new(None, None, None, Some("true")).into_config().expect_err("no url");
        assert_eq!(error.variable(), "REDIS_CLUSTER");
        assert!(RedisVars::new(None, None, None, Some("false")).into_config().expect("valid").is_none());
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        let dir = std::env::temp_dir().join(format!("redis-kit-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let not_pem = dir.join("not.pem");
        std::fs::write(&not_pem, "hello").expect("write");
        let error = config("rediss://a:1", not_pem.to_str(), None, None).expect_err("no certificate");
        assert_eq!(error.variable(), "REDIS_CA_FILE");
        std::fs::remove_dir_all(&dir).ok();
    }
}
