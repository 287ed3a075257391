//! Test-only helpers: free ports, and a real `redis-server` per test on its own port, stoppable and
//! restartable on the same port for outage tests, killed on drop (also when the test panics). The
//! machine's own Redis on 6379 is never touched.

pub mod ports;
pub mod redis_server;

pub use ports::free_port;
pub use redis_server::RedisServer;
