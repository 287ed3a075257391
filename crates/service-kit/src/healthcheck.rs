//! `<service> healthcheck`: asks the running service's `/readyz` and exits 0 when it answers 200.
//!
//! Container images are distroless (no shell, no curl), so a Docker or compose `HEALTHCHECK` runs the
//! service's own binary. It reads `LISTEN_ADDR` like the server does; an unspecified address
//! (`0.0.0.0`, `::`) is probed on loopback.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Probes `/readyz` of the service listening on `LISTEN_ADDR` (or `default_listen`). Only that variable
/// is read: a probe must work with whatever else the container's environment holds.
pub async fn probe_readiness(service: &str, default_listen: SocketAddr) -> ExitCode {
    let addr = match std::env::var("LISTEN_ADDR") {
        Err(_) => default_listen,
        Ok(listen) => match listen.trim().parse::<SocketAddr>() {
            Ok(addr) => addr,
            Err(_) => {
                eprintln!("{service} healthcheck: LISTEN_ADDR is malformed");
                return ExitCode::FAILURE;
            }
        },
    };
    let url = format!("http://{}/readyz", probe_address(addr));
    let client = match reqwest::Client::builder().timeout(PROBE_TIMEOUT).build() {
        Ok(client) => client,
        Err(error) => {
            eprintln!("{service} healthcheck: {error}");
            return ExitCode::FAILURE;
        }
    };
    match client.get(&url).send().await {
        Ok(response) if response.status().is_success() => ExitCode::SUCCESS,
        Ok(response) => {
            eprintln!("{service} healthcheck: {url} answered {}", response.status());
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("{service} healthcheck: {url}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn probe_address(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port()),
        _ => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::probe_address;

    #[test]
    fn unspecified_addresses_are_probed_on_loopback() {
        assert_eq!(probe_address("0.0.0.0:8081".parse().unwrap()).to_string(), "127.0.0.1:8081");
        assert_eq!(probe_address("[::]:8082".parse().unwrap()).to_string(), "[::1]:8082");
        assert_eq!(probe_address("10.0.0.7:8083".parse().unwrap()).to_string(), "10.0.0.7:8083");
    }
}
