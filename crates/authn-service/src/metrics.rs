//! The authn service's domain metrics, beside the HTTP, Redis and peer-call metrics:
//! `authn_login_attempts_total{method,outcome}`, and the argon2 pool's `authn_argon2_queue_depth`
//! (requests waiting for a hashing permit), `authn_argon2_in_flight` (hashes running) and
//! `authn_argon2_capacity` (`ARGON2_MAX_CONCURRENT`: in flight at capacity with a queue is saturation,
//! the `AuthnHashingSaturated` alert of deploy/prometheus/alerts.yml).
//!
//! Every method and outcome is exported from the start at 0: an alert on `increase()` sees the first
//! lockout or failure as a rise from 0, where a series born at 1 would show no increase at all.

use crate::error::Error;
use prometheus::{IntCounterVec, IntGauge, Opts, Registry};

/// How the user tried to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    Password,
    Oidc,
}

impl LoginMethod {
    fn label(self) -> &'static str {
        match self {
            LoginMethod::Password => "password",
            LoginMethod::Oidc => "oidc",
        }
    }
}

/// The `outcome` label of a login attempt, password or single sign-on: the one place that names them.
pub fn login_outcome<T>(result: &Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => "success",
        // The proof of identity failed: wrong password, or a code or ID token that does not hold up.
        Err(
            Error::InvalidCredentials
            | Error::AccountDisabled
            | Error::CodeExchangeFailed(_)
            | Error::InvalidIdToken(_),
        ) => "bad_credentials",
        Err(Error::LockedOut { .. }) => "locked",
        // The user (or the provider) declined at the identity provider: `error=` on the callback.
        Err(Error::ProviderRefused { .. }) => "provider_error",
        Err(
            Error::HashingBusy
            | Error::Redis(_)
            | Error::BlockingTask(_)
            | Error::IdentityProviderUnavailable { .. }
            | Error::TokenService(auth_client::ClientError::Unavailable { .. }),
        ) => "unavailable",
        // Malformed requests, unknown or replayed SSO state, and anything unexpected.
        Err(_) => "rejected",
    }
}

/// Every value [`login_outcome`] can give, for exporting them at 0 from the start.
const LOGIN_OUTCOMES: [&str; 6] = ["success", "bad_credentials", "locked", "provider_error", "unavailable", "rejected"];

#[derive(Debug, Clone)]
pub struct AuthnMetrics {
    logins: IntCounterVec,
    hashing: HashingMetrics,
}

/// The argon2 pool's gauges, held by the hasher.
#[derive(Debug, Clone)]
pub struct HashingMetrics {
    pub queue_depth: IntGauge,
    pub in_flight: IntGauge,
    /// How many hashes may run at once (`ARGON2_MAX_CONCURRENT`), set by the hasher.
    pub capacity: IntGauge,
}

impl AuthnMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let logins = IntCounterVec::new(
            Opts::new("authn_login_attempts_total", "Login attempts by method and outcome"),
            &["method", "outcome"],
        )?;
        let queue_depth = IntGauge::new("authn_argon2_queue_depth", "Password hashes waiting for a hashing permit")?;
        let in_flight = IntGauge::new("authn_argon2_in_flight", "Password hashes running on the hashing threads")?;
        let capacity =
            IntGauge::new("authn_argon2_capacity", "Password hashes that may run at once (ARGON2_MAX_CONCURRENT)")?;
        for method in [LoginMethod::Password, LoginMethod::Oidc] {
            for outcome in LOGIN_OUTCOMES {
                logins.with_label_values(&[method.label(), outcome]).reset();
            }
        }
        registry.register(Box::new(logins.clone()))?;
        registry.register(Box::new(queue_depth.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(capacity.clone()))?;
        Ok(Self { logins, hashing: HashingMetrics { queue_depth, in_flight, capacity } })
    }

    pub fn hashing(&self) -> HashingMetrics {
        self.hashing.clone()
    }

    pub fn record_login<T>(&self, method: LoginMethod, result: &Result<T, Error>) {
        self.logins.with_label_values(&[method.label(), login_outcome(result)]).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_outcomes_are_named_for_operators() {
        assert_eq!(login_outcome(&Ok::<(), Error>(())), "success");
        assert_eq!(login_outcome::<()>(&Err(Error::InvalidCredentials)), "bad_credentials");
        assert_eq!(login_outcome::<()>(&Err(Error::LockedOut { retry_after_seconds: 1 })), "locked");
        assert_eq!(login_outcome::<()>(&Err(Error::HashingBusy)), "unavailable");
        assert_eq!(login_outcome::<()>(&Err(Error::UnsupportedGrantType)), "rejected");
    }

    #[test]
    fn login_attempts_are_counted_by_method_and_outcome() {
        let registry = Registry::new();
        let metrics = AuthnMetrics::register(&registry).unwrap();
        metrics.record_login(LoginMethod::Password, &Err::<(), _>(Error::InvalidCredentials));
        metrics.record_login(LoginMethod::Oidc, &Ok::<(), Error>(()));
        assert_eq!(metrics.logins.with_label_values(&["password", "bad_credentials"]).get(), 1);
        assert_eq!(metrics.logins.with_label_values(&["oidc", "success"]).get(), 1);
    }

    #[test]
    fn every_login_outcome_is_exported_before_it_happens() {
        let registry = Registry::new();
        AuthnMetrics::register(&registry).unwrap();
        let exported = prometheus::TextEncoder::new().encode_to_string(&registry.gather()).unwrap();
        for outcome in LOGIN_OUTCOMES {
            let series = format!("authn_login_attempts_total{{method=\"password\",outcome=\"{outcome}\"}} 0");
            assert!(exported.contains(&series), "{series} missing from:\n{exported}");
        }
    }
}
