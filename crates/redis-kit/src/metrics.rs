//! Redis latency and failures, for `/metrics`: `redis_command_duration_seconds{operation}` and
//! `redis_command_errors_total{operation,kind}`.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

/// The collectors a pool records into; cheap to clone (clones share their values).
#[derive(Debug, Clone)]
pub struct RedisMetrics {
    duration: HistogramVec,
    errors: IntCounterVec,
}

impl RedisMetrics {
    /// Creates the collectors and exports them through `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let duration = HistogramVec::new(
            HistogramOpts::new("redis_command_duration_seconds", "Duration of Redis commands and scripts")
                .buckets(vec![0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0]),
            &["operation"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new("redis_command_errors_total", "Redis commands that failed, by kind"),
            &["operation", "kind"],
        )?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        Ok(Self { duration, errors })
    }

    pub(crate) fn observe(&self, operation: &str, seconds: f64, error: Option<&'static str>) {
        self.duration.with_label_values(&[operation]).observe(seconds);
        if let Some(kind) = error {
            self.errors.with_label_values(&[operation, kind]).inc();
        }
    }
}
