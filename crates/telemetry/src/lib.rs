//! Tracing setup shared by the three services: JSON lines in `prod` (for log shippers), human-readable
//! lines in `dev`, filtered by `RUST_LOG`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Human,
}

/// Installs the global subscriber. A filter that does not parse falls back to `info` and says so.
/// Calling it twice (as tests that start several apps do) keeps the first subscriber.
pub fn init(service: &'static str, filter: &str, format: LogFormat) {
    let (env_filter, bad_filter) = match EnvFilter::try_new(filter) {
        Ok(parsed) => (parsed, false),
        Err(_) => (EnvFilter::new("info"), true),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(env_filter).with_span_events(FmtSpan::NONE);
    let installed = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
        LogFormat::Human => builder.compact().try_init(),
    };
    if installed.is_ok() {
        tracing::info!(service, "logging started");
        if bad_filter {
            tracing::warn!(service, "RUST_LOG did not parse; logging at info");
        }
    }
}
