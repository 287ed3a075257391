//! The client address of a request: the TCP peer, unless the peer is a trusted proxy.
//!
//! `X-Forwarded-For` is only believed when the connection comes from a network listed in
//! `TRUSTED_PROXIES`, and then only as far as the proxies we trust: the list is read from the right
//! (the entry our own proxy appended) and the first address not in the trusted set is the client.
//! Anything further left was written by the client itself and could be forged to dodge the lockout.

use actix_web::HttpRequest;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// The networks whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`, comma-separated CIDRs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    /// Trusts nobody: every request's client is its TCP peer.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The client address of a request; `None` only when actix knows no peer (never over TCP).
    pub fn client_address_of(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        Some(self.client_address(peer, &forwarded))
    }

    /// Resolves the client from the peer and the `X-Forwarded-For` entries, in header order.
    pub fn client_address(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        for entry in forwarded_for.iter().rev() {
            match parse_forwarded_entry(entry) {
                Some(address) if self.contains(address) => client = address,
                Some(address) => return address,
                // A trusted proxy passed on garbage: believe nothing to its left, keep the last good hop.
                None => return client,
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an IP, possibly with a port (`1.2.3.4:80`, `[::1]:80`) or brackets.
fn parse_forwarded_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let address = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse::<IpAddr>().ok())?;
    Some(address.to_canonical())
}

/// Parses `TRUSTED_PROXIES`: comma-separated CIDRs; a bare address means just that host.
impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        let mut networks = Vec::new();
        for (position, item) in list.split(',').map(str::trim).filter(|item| !item.is_empty()).enumerate() {
            let network = item
                .parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("entry {} is not a CIDR or an IP address", position + 1))?;
            networks.push(network);
        }
        Ok(Self(networks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn ip(raw: &str) -> IpAddr {
        raw.parse().expect("ip")
    }

    fn proxies(list: &str) -> TrustedProxies {
        list.parse().expect("valid list")
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = proxies("10.0.0.0/8");
        assert_eq!(trusted.client_address(ip("203.0.113.9"), &["198.51.100.1"]), ip("203.0.113.9"));
        assert_eq!(TrustedProxies::none().client_address(ip("127.0.0.1"), &["198.51.100.1"]), ip("127.0.0.1"));
    }

    #[test]
    fn a_trusted_peer_gives_the_rightmost_untrusted_entry() {
        let trusted = proxies("10.0.0.0/8, 192.168.1.1");
        let forwarded = ["6.6.6.6", "198.51.100.7", "10.1.2.3"];
        assert_eq!(trusted.client_address(ip("10.0.0.1"), &forwarded), ip("198.51.100.7"));
    }

    #[test]
    fn a_trusted_peer_without_the_header_is_the_client() {
        assert_eq!(proxies("10.0.0.0/8").client_address(ip("10.0.0.1"), &[]), ip("10.0.0.1"));
    }

    #[test]
    fn all_trusted_entries_give_the_leftmost() {
        let trusted = proxies("10.0.0.0/8");
        assert_eq!(trusted.client_address(ip("10.0.0.1"), &["10.9.9.9", "10.0.0.2"]), ip("10.9.9.9"));
    }

    #[test]
    fn garbage_stops_the_walk_at_the_last_good_hop() {
        let trusted = proxies("10.0.0.0/8");
        assert_eq!(trusted.client_address(ip("10.0.0.1"), &["198.51.100.7", "unknown", "10.0.0.2"]), ip("10.0.0.2"));
        assert_eq!(trusted.client_address(ip("10.0.0.1"), &["", " "]), ip("10.0.0.1"));
    }

    #[test]
    fn entries_with_ports_brackets_and_mapped_addresses_parse() {
        assert_eq!(parse_forwarded_entry(" 198.51.100.7:4711 "), Some(ip("198.51.100.7")));
        assert_eq!(parse_forwarded_entry("[2001:db8::1]:443"), Some(ip("2001:db8::1")));
        assert_eq!(parse_forwarded_entry("[2001:db8::1]"), Some(ip("2001:db8::1")));
        assert_eq!(parse_forwarded_entry("::ffff:198.51.100.7"), Some(ip("198.51.100.7")));
        assert_eq!(parse_forwarded_entry("example.com"), None);
    }

    #[test]
    fn an_ipv4_mapped_peer_matches_ipv4_networks() {
        let trusted = proxies("127.0.0.1/32");
        assert_eq!(trusted.client_address(ip("::ffff:127.0.0.1"), &["198.51.100.7"]), ip("198.51.100.7"));
    }

    #[test]
    fn the_setting_parses_cidrs_and_bare_addresses_and_refuses_garbage() {
        assert_eq!(proxies(""), TrustedProxies::none());
        assert!(proxies("10.0.0.0/8,::1, 2001:db8::/32").contains(ip("2001:db8::5")));
        let error = "10.0.0.0/8,nonsense".parse::<TrustedProxies>().expect_err("garbage");
        assert!(error.contains("entry 2"));
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn reads_the_peer_and_every_forwarded_header_of_a_request() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.1:5555".parse().expect("socket"))
            .append_header(("X-Forwarded-For", "6.6.6.6, 198.51.100.7"))
            .append_header(("X-Forwarded-For", "10.0.0.9"))
            .to_http_request();
        assert_eq!(proxies("10.0.0.0/8").client_address_of(&req), Some(ip("198.51.100.7")));
        assert_eq!(TrustedProxies::none().client_address_of(&req), Some(ip("10.0.0.1")));
    }
}
