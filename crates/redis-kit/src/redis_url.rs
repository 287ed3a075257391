//! `REDIS_URL`: a Redis address that may carry a password, so it is checked once at start and never
//! printed.

use redis::IntoConnectionInfo;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::str::FromStr;

/// A Redis URL whose shape has been checked (without connecting).
#[derive(Clone)]
pub struct RedisUrl(SecretString);

impl RedisUrl {
    /// The URL itself, for the connection manager only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl FromStr for RedisUrl {
    /// Worded without the value, which may hold a password.
    type Err = &'static str;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let url = url.trim();
        url.into_connection_info().map_err(|_| "expected redis://[user:password@]host:port[/db]")?;
        Ok(Self(SecretString::from(url.to_owned())))
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RedisUrl([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_redis_urls_and_never_prints_them() {
        let url: RedisUrl = "redis://user:hunter2@127.0.0.1:6390/1".parse().expect("valid");
        assert_eq!(url.expose(), "redis://user:hunter2@127.0.0.1:6390/1");
        assert!(!format!("{url:?}").contains("hunter2"));
        let error = "http://user:hunter2@nowhere".parse::<RedisUrl>().expect_err("not redis");
        assert!(!error.contains("hunter2"));
    }
}
