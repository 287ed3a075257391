//! What the two gateways the repository ships (nginx's `auth_request` in [`crate::gateway`], Caddy's
//! `forward_auth` in [`crate::caddy`]) have in common for a test: a public client through the gateway,
//! its port for raw requests, its log, and the protected `/api/` with the echo upstream behind it. The
//! checks both gateways must pass are written once against [`ForwardAuthGateway`].

use reqwest::Method;

use crate::api::{Api, Reply};
use crate::gateway::{RawReply, raw_get};
use crate::platform::Service;

/// A gateway in front of a platform that checks `/api/` requests with `/session/verify` first.
pub trait ForwardAuthGateway {
    /// The program's name, for messages.
    fn name(&self) -> &'static str;

    /// A client of the platform's public routes whose three base URLs are all the gateway.
    fn api(&self) -> &Api;

    fn port(&self) -> u16;

    /// The gateway's log so far.
    fn log(&self) -> String;
}

/// `GET /api/orders?page=2` (the protected upstream) through `gateway`, with these extra headers.
pub async fn protected_get(gateway: &impl ForwardAuthGateway, headers: &[(&str, &str)]) -> Reply {
    let api = gateway.api();
    let mut request = api.request(Method::GET, Service::Session, "/api/orders?page=2");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    api.send(request).await
}

/// Sends `request_target` byte for byte through `gateway` (no URL normalisation, unlike reqwest), and
/// returns the status, head and body of the answer.
pub async fn raw_get_through(gateway: &impl ForwardAuthGateway, request_target: &str) -> RawReply {
    raw_get(gateway.port(), request_target).await
}

/// `gateway`'s log once `ready` holds for it, or after five seconds (gateways write an access log line
/// when the answer is complete, so a test that just got its answer gives the log a moment to flush).
pub async fn log_when(gateway: &impl ForwardAuthGateway, ready: impl Fn(&str) -> bool) -> String {
    let mut log = gateway.log();
    for _ in 0..50 {
        if ready(&log) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        log = gateway.log();
    }
    log
}
