//! The `Debug` stand-in for a secret. Types that carry a password, a token, a code or a verifier write
//! their `Debug` by hand and put [`Redacted`] where the secret would be, so that a `{:?}` in a log line or
//! a panic message never leaks one.

use std::fmt;

/// Prints `[REDACTED]`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// `Some([REDACTED])` or `None`: whether an optional secret is there is worth seeing, its value is not.
pub fn redacted_option<T>(secret: &Option<T>) -> Option<Redacted> {
    secret.as_ref().map(|_| Redacted)
}
