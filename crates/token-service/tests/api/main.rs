//! The token service's integration tests: the real token app and the real session app on random ports,
//! talking HTTP, with the session app on its own `redis-server`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod introspect;
mod keys;
mod mint;
mod outage;
mod refresh;
mod revoke;
