//! `GET /metrics`: Prometheus text with request counts and latency histograms by route pattern, method
//! and status (actix-web-prom). Unmatched paths are folded into one `UNKNOWN` label so that scanners
//! cannot blow up the label cardinality.

use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};

/// The middleware that records every request and serves `/metrics`; `service` names the metric
/// namespace (`authn_http_requests_total`, …).
pub fn http_metrics(service: &str) -> Result<PrometheusMetrics, MetricsError> {
    PrometheusMetricsBuilder::new(&service.replace('-', "_"))
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNKNOWN")
        .build()
        .map_err(|error| MetricsError(error.to_string()))
}

#[derive(Debug, thiserror::Error)]
#[error("metrics could not be set up: {0}")]
pub struct MetricsError(String);
