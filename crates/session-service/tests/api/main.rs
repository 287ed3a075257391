//! The session service's integration tests: the store contract on a real Redis (and in memory), and the
//! HTTP API of the real actix app on a random port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod concurrency;
mod helpers;
mod outage;
mod redis_cluster;
mod routes;
mod security;
mod store_contract;
