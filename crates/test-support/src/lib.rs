//! Test-only helpers: free ports; a real `redis-server` per test on its own port, stoppable and
//! restartable on the same port for outage tests, killed on drop (also when the test panics); the
//! process groups that make every child a test starts die with the test process, even when that is
//! killed; and readable stand-ins for ids. The machine's own Redis on 6379 is never touched.

pub mod child_group;
pub mod ids;
pub mod ports;
pub mod redis_server;

pub use child_group::{ChildGroup, GroupCommand};
pub use ids::uuid_for;
pub use ports::free_port;
pub use redis_server::RedisServer;
