//! The pool keeps connections per thread, as actix's workers use it: each worker's commands go over a
//! connection driven on that worker, and a thread that outlives its runtime (and starts another) gets
//! working connections rather than ones whose driver died with the old runtime. Against a real
//! `redis-server`.

use redis_kit::{RedisConfig, RedisPool, RedisTimeouts, RedisVars};
use test_support::RedisServer;

fn pool(url: &str) -> RedisPool {
    let config: RedisConfig =
        RedisVars::new(Some(url), None, None, None).into_config().expect("valid settings").expect("REDIS_URL is set");
    RedisPool::new(&config, RedisTimeouts::default()).expect("pool")
}

/// The id Redis gave the connection a command went over (`CLIENT ID`).
async fn client_id(pool: &RedisPool) -> Result<i64, redis_kit::RedisError> {
    pool.run(
        "client_id",
        |mut connection| async move { redis::cmd("CLIENT").arg("ID").query_async(&mut connection).await },
    )
    .await
}

/// Runs `work` on a current-thread runtime of its own, as an actix worker runs its requests.
fn on_current_thread_runtime<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(work)
}

#[test]
fn each_thread_sends_over_its_own_connection_and_keeps_it() {
    let server = RedisServer::start();
    let pool = pool(&server.url());
    let ids_of_one_thread = || {
        let pool = pool.clone();
        std::thread::spawn(move || {
            on_current_thread_runtime(async {
                let first = client_id(&pool).await.expect("CLIENT ID");
                let second = client_id(&pool).await.expect("CLIENT ID");
                (first, second)
            })
        })
    };
    let (a, b) = (ids_of_one_thread(), ids_of_one_thread());
    let (a_first, a_second) = a.join().expect("thread a");
    let (b_first, b_second) = b.join().expect("thread b");
    assert_eq!(a_first, a_second, "a thread reuses its connection");
    assert_eq!(b_first, b_second, "a thread reuses its connection");
    assert_ne!(a_first, b_first, "two threads do not share a connection");
}

#[test]
fn a_thread_that_starts_a_new_runtime_gets_connections_that_work() {
    let server = RedisServer::start();
    let pool = pool(&server.url());
    let before = on_current_thread_runtime(client_id(&pool)).expect("CLIENT ID on the first runtime");
    // The first runtime is gone, and with it the task that drove its connection: the very first command
    // on the next runtime must not be sent over that connection.
    let after = on_current_thread_runtime(client_id(&pool)).expect("CLIENT ID on the second runtime, first try");
    assert_ne!(before, after, "the second runtime opened a connection of its own");
}
