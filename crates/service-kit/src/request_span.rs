//! The root span of every request, with secrets kept out of its target.
//!
//! tracing-actix-web's default root span records the full request target (`http.target`), query
//! included, and that field is printed in every JSON log line of the request (the span list) and
//! exported with the span. An SSO callback's query carries the authorization code and the state
//! (`/oauth/callback?code=…&state=…`), so [`RedactingRootSpan`] builds the same span with the values
//! of [`SENSITIVE_QUERY_PARAMETERS`] replaced by `[REDACTED]`, for all three services.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Version;
use actix_web::http::header::HeaderMap;
use std::borrow::Cow;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// Query parameters whose values never reach a log line or a trace: OAuth 2.0 and OpenID Connect
/// codes, states and tokens (RFC 6749 §4.1.2, §4.2.2, OIDC session management), and passwords.
/// Compared case-insensitively, after percent-decoding the name as the handlers do.
pub const SENSITIVE_QUERY_PARAMETERS: [&str; 7] =
    ["code", "state", "session_state", "id_token", "access_token", "refresh_token", "password"];

const REDACTED: &str = "[REDACTED]";

/// The [`RootSpanBuilder`] of every service: tracing-actix-web's fields, with a redacted `http.target`.
#[derive(Debug, Clone, Copy)]
pub struct RedactingRootSpan;

impl RootSpanBuilder for RedactingRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let target = redacted_target(request.path(), request.query_string());
        let user_agent = request.headers().get("user-agent").and_then(|value| value.to_str().ok()).unwrap_or("");
        let route: Cow<'static, str> = request.match_pattern().map_or(Cow::Borrowed("default"), Cow::Owned);
        let method = request.method().as_str();
        let request_id = request.extensions().get::<RequestId>().map(ToString::to_string).unwrap_or_default();
        let connection = request.connection_info().clone();
        let span = tracing::info_span!(
            "HTTP request",
            http.method = %method,
            http.route = %route,
            http.flavor = flavor(request.version()),
            http.scheme = %connection.scheme(),
            http.host = %connection.host(),
            http.client_ip = %connection.realip_remote_addr().unwrap_or(""),
            http.user_agent = %user_agent,
            http.target = %target,
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            trace_id = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        );
        if let Some(trace_id) = telemetry::propagation::continue_incoming_trace(&span, &ActixHeaders(request.headers()))
        {
            span.record("trace_id", tracing::field::display(trace_id));
        }
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// The request's headers, for the trace-context propagator.
struct ActixHeaders<'a>(&'a HeaderMap);

impl telemetry::propagation::HeaderSource for ActixHeaders<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|value| value.to_str().ok())
    }
}

/// OpenTelemetry's `http.flavor` spelling of the protocol version.
fn flavor(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2.0",
        Version::HTTP_3 => "3.0",
        _ => "1.1",
    }
}

/// `path?query` with the values of sensitive parameters replaced; the rest of the query as sent.
pub fn redacted_target(path: &str, query: &str) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    let pairs: Vec<Cow<'_, str>> = query
        .split('&')
        .map(|pair| {
            let raw_name = pair.split_once('=').map_or(pair, |(name, _)| name);
            let name = url::form_urlencoded::parse(raw_name.as_bytes()).next().map(|(name, _)| name);
            match name {
                Some(name) if is_sensitive(&name) => Cow::Owned(format!("{raw_name}={REDACTED}")),
                _ => Cow::Borrowed(pair),
            }
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

fn is_sensitive(name: &str) -> bool {
    SENSITIVE_QUERY_PARAMETERS.iter().any(|sensitive| sensitive.eq_ignore_ascii_case(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_states_and_tokens_are_redacted_and_the_rest_kept() {
        assert_eq!(
            redacted_target("/oauth/callback", "code=abc123&state=xyz&iss=https%3A%2F%2Fidp"),
            "/oauth/callback?code=[REDACTED]&state=[REDACTED]&iss=https%3A%2F%2Fidp"
        );
        assert_eq!(
            redacted_target("/cb", "session_state=s&id_token=t&access_token=a&refresh_token=r&password=p&x=1"),
            "/cb?session_state=[REDACTED]&id_token=[REDACTED]&access_token=[REDACTED]&refresh_token=[REDACTED]&password=[REDACTED]&x=1"
        );
        assert_eq!(redacted_target("/oauth/login", "provider=corp"), "/oauth/login?provider=corp");
        assert_eq!(redacted_target("/healthz", ""), "/healthz");
    }

    #[test]
    fn encoded_repeated_and_odd_spellings_of_a_name_are_redacted_too() {
        let target = redacted_target("/oauth/callback", "co%64e=secret1&CODE=secret2&state=a&state=secret3&code&=x");
        for secret in ["secret1", "secret2", "secret3"] {
            assert!(!target.contains(secret), "{target}");
        }
        assert_eq!(
            target,
            "/oauth/callback?co%64e=[REDACTED]&CODE=[REDACTED]&state=[REDACTED]&state=[REDACTED]&code=[REDACTED]&=x"
        );
        let plus = redacted_target("/cb", "code+=secret4");
        assert!(!plus.contains("secret4"), "a trailing + decodes to a space: {plus}");
    }
}
