//! Logging and tracing for the three services, set up in one place.
//!
//! Log lines are JSON in `prod` (for log shippers) and human-readable in `dev`, filtered by `RUST_LOG`.
//! When `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans are also exported over OTLP/HTTP (protobuf) to that
//! collector, and W3C `traceparent` is read from incoming requests (by tracing-actix-web) and written on
//! outgoing calls ([`propagation::trace_context_headers`]), so a login is one trace across authn, token
//! and session. Without an endpoint no OpenTelemetry layer is installed at all: tracing costs nothing
//! beyond the log lines.
//!
//! Each request has one INFO span (the root, with its method, route, status and request id, which every
//! log line of the request carries); the spans inside it (handler steps, Redis commands, calls to a peer)
//! are DEBUG. The log layer formats every span it enables into JSON when the span opens, and that cost
//! per span showed in `make bench` profiles; so at the default `RUST_LOG=info` the inner spans cost
//! nothing, while the exporter, whose filter takes the platform's own crates at DEBUG, still sends them.
//! The request span itself is written by [`span_fields`], which does not re-parse it on every record.

pub mod propagation;
mod span_fields;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// Which spans go to the collector. It has its own filter (a `RUST_LOG=warn` must not silence traces),
/// it takes the platform's crates at DEBUG (the spans inside a request), and it never exports the
/// exporter's own HTTP client, which would otherwise trace its own exports.
const EXPORT_FILTER: &str = "info,authn_service=debug,token_service=debug,session_service=debug,auth_client=debug,\
     redis_kit=debug,opentelemetry=off,opentelemetry_sdk=off,opentelemetry_otlp=off,reqwest=off,hyper=off,\
     hyper_util=off,h2=off";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Human,
}

/// What [`init`] needs to know.
#[derive(Debug, Clone, Copy)]
pub struct TelemetrySettings<'a> {
    /// The `service.name` of exported spans and the `service` field of the first log line.
    pub service: &'static str,
    /// A `RUST_LOG` filter for log lines.
    pub log_filter: &'a str,
    pub format: LogFormat,
    /// The collector's base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); `/v1/traces` is appended.
    pub otlp_endpoint: Option<&'a str>,
}

/// Keeps the span exporter alive; [`Telemetry::shutdown`] flushes the spans still queued.
#[derive(Debug)]
#[must_use = "dropping the guard without shutdown() may lose the last spans"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes queued spans and stops the exporter. It blocks (the exporter posts from its own thread), so
    /// call it after the server has stopped, off the async runtime (`spawn_blocking`).
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "flushing the last spans failed");
        }
    }
}

/// Installs the global subscriber. A `RUST_LOG` that does not parse falls back to `info` and says so; an
/// exporter that cannot be built leaves export off and says so (the service still serves). Calling it
/// twice (as tests that start several apps in one process do) keeps the first subscriber.
pub fn init(settings: TelemetrySettings<'_>) -> Telemetry {
    let (log_filter, bad_filter) = match EnvFilter::try_new(with_quiet_dependencies(settings.log_filter)) {
        Ok(parsed) => (parsed, false),
        Err(_) => (EnvFilter::new("info"), true),
    };
    let log_layer: Box<dyn Layer<Registry> + Send + Sync> = match settings.format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .fmt_fields(span_fields::JsonSpanFields)
            .with_filter(log_filter)
            .boxed(),
        LogFormat::Human => tracing_subscriber::fmt::layer().compact().with_filter(log_filter).boxed(),
    };
    let (provider, export_error) = match settings.otlp_endpoint {
        Some(endpoint) => match tracer_provider(settings.service, endpoint) {
            Ok(provider) => (Some(provider), None),
            Err(error) => (None, Some(error)),
        },
        None => (None, None),
    };
    let export_layer = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(settings.service))
            .with_filter(EnvFilter::new(EXPORT_FILTER))
    });
    let installed = tracing_subscriber::registry().with(log_layer).with(export_layer).try_init().is_ok();
    if !installed {
        // Another app in this process got there first; its subscriber stays and this exporter is unused.
        return Telemetry { provider: None };
    }
    if provider.is_some() {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    }
    tracing::info!(service = settings.service, exporting_traces = provider.is_some(), "logging started");
    if bad_filter {
        tracing::warn!(service = settings.service, "RUST_LOG did not parse; logging at info");
    }
    if let Some(error) = export_error {
        tracing::error!(%error, "OTEL_EXPORTER_OTLP_ENDPOINT is set but the exporter could not be built; no traces are exported");
    }
    Telemetry { provider }
}

/// actix-web-prom warns on every request to a route with a regex tail (`/docs/{_:.*}`,
/// `/session/verify/{tail:.*}`, which Envoy calls on every request) that it cannot template the label;
/// the label is still right (the route pattern), so that warning is only noise. A filter that names
/// actix_web_prom itself is left as it is.
fn with_quiet_dependencies(filter: &str) -> String {
    if filter.contains("actix_web_prom") { filter.to_owned() } else { format!("{filter},actix_web_prom=error") }
}

/// The OTLP/HTTP exporter behind a batch processor (which posts from its own thread, so a slow collector
/// never blocks a request).
fn tracer_provider(service: &'static str, endpoint: &str) -> Result<SdkTracerProvider, TelemetryError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(traces_url(endpoint))
        .build()
        .map_err(|error| TelemetryError(error.to_string()))?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(service).build())
        .build())
}

/// `OTEL_EXPORTER_OTLP_ENDPOINT` is the collector's base URL; the OTLP/HTTP signal path is appended as
/// the OpenTelemetry specification says (an endpoint given in code is otherwise used as is).
fn traces_url(endpoint: &str) -> String {
    let base = endpoint.trim().trim_end_matches('/');
    if base.ends_with("/v1/traces") { base.to_owned() } else { format!("{base}/v1/traces") }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct TelemetryError(String);

#[cfg(test)]
mod tests {
    use super::traces_url;

    #[test]
    fn the_metrics_middleware_warning_is_silenced_unless_asked_for() {
        assert_eq!(super::with_quiet_dependencies("info"), "info,actix_web_prom=error");
        assert_eq!(super::with_quiet_dependencies("warn,actix_web_prom=debug"), "warn,actix_web_prom=debug");
    }

    #[test]
    fn the_signal_path_is_appended_once() {
        assert_eq!(traces_url("http://collector:4318"), "http://collector:4318/v1/traces");
        assert_eq!(traces_url("http://collector:4318/"), "http://collector:4318/v1/traces");
        assert_eq!(traces_url("http://collector:4318/v1/traces"), "http://collector:4318/v1/traces");
        assert_eq!(traces_url(" http://c/prefix "), "http://c/prefix/v1/traces");
    }
}
