//! W3C trace context: the `traceparent` (and `tracestate`) headers of the current span for outgoing
//! calls, so the callee's spans join the caller's trace; and, for an incoming request, the caller's
//! trace continued by the request's span.

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TraceContextExt;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Where an incoming request's headers are read from (the HTTP framework's header map).
pub trait HeaderSource {
    /// The value of the header `name` (lowercase), when present and text.
    fn header(&self, name: &str) -> Option<&str>;
}

/// Makes `span` (a request's root span, not yet entered) a child of the caller's span named by the
/// request's `traceparent`, when there is one, and returns the trace id (hex) the span belongs to when
/// traces are being exported.
pub fn continue_incoming_trace(span: &tracing::Span, headers: &dyn HeaderSource) -> Option<String> {
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(&Carrier(headers)));
    // Without an OpenTelemetry layer there is no OTel span to attach to: nothing to do.
    let _ = span.set_parent(parent);
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then(|| format!("{:032x}", span_context.trace_id()))
}

struct Carrier<'a>(&'a dyn HeaderSource);

impl Extractor for Carrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.header(key)
    }

    /// The W3C trace-context propagator only asks for its own headers by name.
    fn keys(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// The propagation headers for the current span; empty when no trace is being exported.
pub fn trace_context_headers() -> Vec<(String, String)> {
    let context = tracing::Span::current().context();
    let mut headers = Headers(Vec::new());
    opentelemetry::global::get_text_map_propagator(|propagator| propagator.inject_context(&context, &mut headers));
    headers.0
}

struct Headers(Vec<(String, String)>);

impl Injector for Headers {
    fn set(&mut self, key: &str, value: String) {
        self.0.push((key.to_owned(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::trace_context_headers;

    #[test]
    fn nothing_is_propagated_outside_a_trace() {
        assert!(trace_context_headers().is_empty());
    }
}
