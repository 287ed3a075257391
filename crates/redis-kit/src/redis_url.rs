//! One Redis URL of `REDIS_URL`: an address that may carry a password, so it is checked once at start
//! and never printed.

use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo};
use std::fmt;
use std::str::FromStr;

/// A Redis URL whose shape has been checked (without connecting), kept as the connection details the
/// redis crate parsed from it.
#[derive(Clone)]
pub struct RedisUrl(ConnectionInfo);

impl RedisUrl {
    /// The parsed URL, for the connectors only.
    pub(crate) fn info(&self) -> ConnectionInfo {
        self.0.clone()
    }

    /// `rediss://`
    pub fn is_tls(&self) -> bool {
        matches!(self.0.addr(), ConnectionAddr::TcpTls { .. })
    }

    /// `host:port`, without credentials: safe to show (in `/readyz`, in logs).
    pub fn address(&self) -> String {
        self.0.addr().to_string()
    }
}

impl FromStr for RedisUrl {
    /// Worded without the value, which may hold a password.
    type Err = &'static str;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let url = url.trim();
        let scheme_ok =
            ["redis://", "rediss://", "unix://", "redis+unix://"].iter().any(|scheme| url.starts_with(scheme));
        let info = scheme_ok
            .then(|| url.into_connection_info().ok())
            .flatten()
            .ok_or("expected redis://[user:password@]host:port[/db] or rediss://…")?;
        Ok(Self(info))
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RedisUrl").field(&self.address()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_redis_urls_and_never_prints_them() {
        let url: RedisUrl = "redis://user:hunter2@127.0.0.1:6390/1".parse().expect("valid");
        assert_eq!(url.info().redis_settings().password(), Some("hunter2"));
        assert_eq!(url.info().redis_settings().db(), 1);
        assert!(!url.is_tls());
        assert!(!format!("{url:?}").contains("hunter2"));
        let error = "http://user:hunter2@nowhere".parse::<RedisUrl>().expect_err("not redis");
        assert!(!error.contains("hunter2"));
    }

    #[test]
    fn rediss_is_tls() {
        let url: RedisUrl = "rediss://:hunter2@redis.internal:6380".parse().expect("valid");
        assert!(url.is_tls());
        assert_eq!(url.address(), "redis.internal:6380");
    }
}
