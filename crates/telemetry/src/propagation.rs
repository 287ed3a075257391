//! W3C trace context for outgoing calls: the `traceparent` (and `tracestate`) headers of the current span,
//! so the callee's spans join the caller's trace.

use opentelemetry::propagation::Injector;
use tracing_opentelemetry::OpenTelemetrySpanExt;

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
