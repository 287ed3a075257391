//! Assertions on the wire format the contract fixes.

use serde_json::Value;

use crate::api::{Reply, Tokens};

/// An RFC 9457 problem: the status, `Content-Type: application/problem+json` and the four members.
#[track_caller]
pub fn assert_problem(reply: &Reply, status: u16) {
    reply.expect_status(status);
    assert!(
        reply.content_type().starts_with("application/problem+json"),
        "a {status} must have Content-Type application/problem+json: {reply}"
    );
    let body: Value =
        serde_json::from_str(&reply.body).unwrap_or_else(|err| panic!("problem body is not JSON ({err}): {reply}"));
    for member in ["type", "title", "detail"] {
        assert!(body[member].is_string(), "problem member {member:?} must be a string: {reply}");
    }
    assert_eq!(body["status"].as_u64(), Some(u64::from(status)), "problem member \"status\" must be {status}: {reply}");
}

/// Any 4xx: a problem, and not a 5xx.
#[track_caller]
pub fn assert_client_error(reply: &Reply) {
    assert!((400..500).contains(&reply.status), "expected a 4xx: {reply}");
    assert_problem(reply, reply.status);
}

/// 401 with `WWW-Authenticate: Bearer …` and a problem body.
#[track_caller]
pub fn assert_unauthorized(reply: &Reply) {
    assert_problem(reply, 401);
    let challenge = reply.header("www-authenticate").unwrap_or_else(|| panic!("a 401 needs WWW-Authenticate: {reply}"));
    assert!(challenge.starts_with("Bearer"), "WWW-Authenticate must be a Bearer challenge, got {challenge:?}: {reply}");
}

/// 401 for a presented token: the Bearer challenge says `error="invalid_token"`.
#[track_caller]
pub fn assert_invalid_token(reply: &Reply) {
    assert_unauthorized(reply);
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.contains("error=\"invalid_token\""),
        "WWW-Authenticate must carry error=\"invalid_token\" when a token was presented, got {challenge:?}: {reply}"
    );
}

/// 503 with `Retry-After` (delta-seconds or an HTTP date) and a problem body.
#[track_caller]
pub fn assert_unavailable(reply: &Reply) {
    assert_problem(reply, 503);
    assert_retry_after(reply);
}

#[track_caller]
pub fn assert_retry_after(reply: &Reply) {
    let value = reply.header("retry-after").unwrap_or_else(|| panic!("Retry-After is missing: {reply}"));
    let seconds_ok = value.parse::<u64>().is_ok();
    let date_ok = value.ends_with("GMT");
    assert!(seconds_ok || date_ok, "Retry-After must be seconds or an HTTP date, got {value:?}: {reply}");
}

/// The token response shape; returns its values.
#[track_caller]
pub fn token_response(reply: &Reply) -> Tokens {
    let body = reply.json();
    let string = |name: &str| -> String {
        match body[name].as_str() {
            Some(value) if !value.is_empty() => value.to_owned(),
            _ => panic!("token response member {name:?} must be a non-empty string: {reply}"),
        }
    };
    let number = |name: &str| -> i64 {
        body[name].as_i64().unwrap_or_else(|| panic!("token response member {name:?} must be an integer: {reply}"))
    };
    assert_eq!(body["token_type"].as_str(), Some("Bearer"), "token_type must be \"Bearer\": {reply}");
    let tokens = Tokens {
        access_token: string("access_token"),
        refresh_token: string("refresh_token"),
        session_id: string("session_id"),
        expires_in: number("expires_in"),
        refresh_expires_in: number("refresh_expires_in"),
    };
    assert!(tokens.expires_in > 0, "expires_in must be positive: {reply}");
    assert!(tokens.refresh_expires_in > 0, "refresh_expires_in must be positive: {reply}");
    assert_eq!(tokens.access_token.split('.').count(), 3, "access_token must be a JWS compact JWT: {reply}");
    tokens
}

/// An RFC 3339 timestamp.
#[track_caller]
pub fn rfc3339(value: &Value, what: &str) -> time::OffsetDateTime {
    let text = value.as_str().unwrap_or_else(|| panic!("{what} must be an RFC 3339 string, got {value}"));
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|err| panic!("{what} must be RFC 3339, got {text:?}: {err}"))
}

/// The value of one sample line of a Prometheus text page (`name{labels} value`), or 0 when the
/// series is absent.
pub fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.trim().parse::<f64>().ok()))
        .unwrap_or(0.0)
}

/// The `name=value` of the SSO state cookie a `/oauth/login` answer sets, which the browser sends back
/// to the callback.
pub fn state_cookie(reply: &Reply) -> String {
    let cookies: Vec<&str> = reply.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
    let cookie = cookies
        .iter()
        .find(|cookie| cookie.starts_with("authn_sso_"))
        .unwrap_or_else(|| panic!("no SSO state cookie in {cookies:?}: {reply}"));
    cookie.split(';').next().unwrap_or_default().trim().to_owned()
}
