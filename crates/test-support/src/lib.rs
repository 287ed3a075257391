//! Test-only helpers: free ports; a real `redis-server` per test on its own port, stoppable and
//! restartable on the same port for outage tests, killed on drop (also when the test panics); the real
//! topologies (a TLS server with a generated CA, a Sentinel group, a Redis Cluster); the
//! process groups that make every child a test starts die with the test process, even when that is
//! killed; and readable stand-ins for ids. The machine's own Redis on 6379 is never touched.

pub mod child_group;
pub mod ids;
pub mod ports;
pub mod redis_cluster;
mod redis_node;
pub mod redis_server;
pub mod sentinel_group;
pub mod tls_redis;

pub use child_group::{ChildGroup, GroupCommand};
pub use ids::uuid_for;
pub use ports::free_port;
pub use redis_cluster::RedisCluster;
pub use redis_server::RedisServer;
pub use sentinel_group::SentinelGroup;
pub use tls_redis::TlsRedisServer;
