//! Test-only helpers: free ports, a real `redis-server` per test on its own port, stoppable and
//! restartable on the same port for outage tests, killed on drop (also when the test panics), and
//! readable stand-ins for ids. The machine's own Redis on 6379 is never touched.

pub mod ids;
pub mod ports;
pub mod redis_server;

pub use ids::uuid_for;
pub use ports::free_port;
pub use redis_server::RedisServer;
