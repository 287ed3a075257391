//! Latency and failures of calls to peer services, for `/metrics`:
//! `peer_request_duration_seconds{peer,operation}` and `peer_request_errors_total{peer,operation,kind}`.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

/// The collectors a client records into; cheap to clone (clones share their values).
#[derive(Debug, Clone)]
pub struct PeerMetrics {
    duration: HistogramVec,
    errors: IntCounterVec,
}

impl PeerMetrics {
    /// Creates the collectors and exports them through `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let duration = HistogramVec::new(
            HistogramOpts::new("peer_request_duration_seconds", "Duration of calls to peer services")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
            &["peer", "operation"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new("peer_request_errors_total", "Calls to peer services that failed, by kind"),
            &["peer", "operation", "kind"],
        )?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        Ok(Self { duration, errors })
    }

    pub(crate) fn observe(&self, peer: &str, operation: &str, seconds: f64, error: Option<&'static str>) {
        self.duration.with_label_values(&[peer, operation]).observe(seconds);
        if let Some(kind) = error {
            self.errors.with_label_values(&[peer, operation, kind]).inc();
        }
    }
}
