//! `GET /metrics`: Prometheus text.
//!
//! Each running app owns one [`Registry`]: actix-web-prom records request counts and latency histograms
//! by route pattern, method and status into it (unmatched paths are folded into one `UNKNOWN` label so
//! that scanners cannot blow up the label cardinality), and the service registers its domain metrics
//! (login and refresh outcomes, Redis and peer-call latency, …) into the same registry. A registry per app
//! rather than a process-global one keeps apps started side by side in one test process apart.

use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::Registry;

/// The middleware that records every request into `registry` and serves it at `/metrics`; `namespace`
/// prefixes the HTTP metrics (`authn_http_requests_total`, …).
pub fn http_metrics(namespace: &str, registry: &Registry) -> Result<PrometheusMetrics, MetricsError> {
    PrometheusMetricsBuilder::new(&namespace.replace('-', "_"))
        .registry(registry.clone())
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNKNOWN")
        .build()
        .map_err(|error| MetricsError(error.to_string()))
}

#[derive(Debug, thiserror::Error)]
#[error("metrics could not be set up: {0}")]
pub struct MetricsError(String);

impl From<prometheus::Error> for MetricsError {
    fn from(error: prometheus::Error) -> Self {
        Self(error.to_string())
    }
}
