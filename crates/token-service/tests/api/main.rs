//! The token service's integration tests: the real token app on a random port, in front of a stand-in
//! session service (see `helpers`) that records what the token service asks and answers what each test
//! scripts. Flows that need the real session service and Redis are in the workspace's `tests/` crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod introspect;
mod keys;
mod mint;
mod outage;
mod refresh;
mod revoke;
