//! The session service's domain metrics: `session_invalidations_total{scope}` (logouts) and
//! `session_jwks_fetches_total{result}` (fetches of the token service's JWKS, `ok` or `failed`, both
//! exported from the start at 0 for the `JwksRefreshFailing` alert), beside the HTTP and Redis metrics.

use crate::routes::invalidate::Target;
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

#[derive(Debug, Clone)]
pub struct SessionMetrics {
    invalidations: IntCounterVec,
    jwks_fetches: IntCounterVec,
}

/// The two counters of JWKS fetches, held by the key cache.
#[derive(Debug, Clone)]
pub struct JwksFetchMetrics {
    pub ok: IntCounter,
    pub failed: IntCounter,
}

impl SessionMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let invalidations = IntCounterVec::new(
            Opts::new("session_invalidations_total", "Sessions ended through POST /session/invalidate, by scope"),
            &["scope"],
        )?;
        let jwks_fetches = IntCounterVec::new(
            Opts::new("session_jwks_fetches_total", "Fetches of the token service's JWKS, by result"),
            &["result"],
        )?;
        registry.register(Box::new(invalidations.clone()))?;
        registry.register(Box::new(jwks_fetches.clone()))?;
        Ok(Self { invalidations, jwks_fetches })
    }

    /// The JWKS fetch counters (creating both at 0).
    pub fn jwks_fetches(&self) -> JwksFetchMetrics {
        JwksFetchMetrics {
            ok: self.jwks_fetches.with_label_values(&["ok"]),
            failed: self.jwks_fetches.with_label_values(&["failed"]),
        }
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
