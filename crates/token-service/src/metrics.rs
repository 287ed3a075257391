//! The token service's domain metrics: `token_refresh_total{outcome}` and
//! `token_revocations_total{token_type}`, beside the HTTP and peer-call metrics.
//!
//! Every refresh outcome is exported from the start at 0, so the `RefreshTokenReuseDetected` alert
//! (deploy/prometheus/alerts.yml) sees the first reuse as an increase; a series born at 1 shows none.

use crate::error::Error;
use prometheus::{IntCounterVec, Opts, Registry};

/// How a refresh ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// A new refresh token was issued.
    Rotated,
    /// A just-rotated token came back within the grace window and got the same successor.
    GraceReplay,
}

/// What a revocation found to revoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokedKind {
    AccessToken,
    RefreshToken,
    /// Not a valid token of this platform: nothing was revoked (and the answer is still 200).
    Unknown,
}

/// Every `outcome` of `token_refresh_total`.
const REFRESH_OUTCOMES: [&str; 6] = ["rotated", "grace_replay", "reuse_detected", "rejected", "bad_request", "failed"];

#[derive(Debug, Clone)]
pub struct TokenMetrics {
    refreshes: IntCounterVec,
    revocations: IntCounterVec,
}

impl TokenMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let refreshes = IntCounterVec::new(
            Opts::new("token_refresh_total", "Refresh attempts by outcome (reuse_detected ends the session)"),
            &["outcome"],
        )?;
        let revocations = IntCounterVec::new(
            Opts::new("token_revocations_total", "POST /token/revoke by the kind of token it revoked"),
            &["token_type"],
        )?;
        for outcome in REFRESH_OUTCOMES {
            refreshes.with_label_values(&[outcome]).reset();
        }
        registry.register(Box::new(refreshes.clone()))?;
        registry.register(Box::new(revocations.clone()))?;
        Ok(Self { refreshes, revocations })
    }

    pub fn record_refresh<T>(&self, result: &Result<(T, RefreshOutcome), Error>) {
        let outcome = match result {
            Ok((_, RefreshOutcome::Rotated)) => "rotated",
            Ok((_, RefreshOutcome::GraceReplay)) => "grace_replay",
            Err(Error::RefreshRefused { reused: true }) => "reuse_detected",
            Err(Error::RefreshRefused { reused: false }) => "rejected",
            Err(Error::UnsupportedGrantType | Error::BadRequest(_)) => "bad_request",
            Err(_) => "failed",
        };
        self.refreshes.with_label_values(&[outcome]).inc();
    }

    pub fn record_revocation(&self, kind: RevokedKind) {
        let label = match kind {
            RevokedKind::AccessToken => "access_token",
            RevokedKind::RefreshToken => "refresh_token",
            RevokedKind::Unknown => "unknown",
        };
        self.revocations.with_label_values(&[label]).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reuse_is_counted_and_every_outcome_is_exported_from_the_start() {
        let registry = Registry::new();
        let metrics = TokenMetrics::register(&registry).unwrap();
        let exported = prometheus::TextEncoder::new().encode_to_string(&registry.gather()).unwrap();
        assert!(exported.contains("token_refresh_total{outcome=\"reuse_detected\"} 0"), "{exported}");
        metrics.record_refresh::<()>(&Err(Error::RefreshRefused { reused: true }));
        assert_eq!(metrics.refreshes.with_label_values(&["reuse_detected"]).get(), 1);
    }
}
