//! The session service's domain metric: `session_invalidations_total{scope}` (logouts), beside the HTTP
//! and Redis metrics.

use crate::routes::invalidate::Target;
use prometheus::{IntCounterVec, Opts, Registry};

#[derive(Debug, Clone)]
pub struct SessionMetrics {
    invalidations: IntCounterVec,
}

impl SessionMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let invalidations = IntCounterVec::new(
            Opts::new("session_invalidations_total", "Sessions ended through POST /session/invalidate, by scope"),
            &["scope"],
        )?;
        registry.register(Box::new(invalidations.clone()))?;
        Ok(Self { invalidations })
    }

    /// Counts the sessions a request ended (none when it ended nothing).
    pub fn record_invalidation(&self, target: &Target, ended: u64) {
        let scope = match target {
            Target::Current => "current",
            Target::One(_) => "one",
            Target::All => "all",
        };
        self.invalidations.with_label_values(&[scope]).inc_by(ended);
    }
}
