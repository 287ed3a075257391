//! `argon2-ceiling`, for `make bench`: how many argon2id hashes per second this machine does with the
//! service's parameters, on as many threads as the service hashes on, with nothing else in the way (no
//! HTTP, no Redis, no token service). A login costs one such hash, so this is the most logins per second
//! one authn process could ever answer; the bench compares the measured login throughput to it.
//!
//! Reads `ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`, `ARGON2_PARALLELISM` and `ARGON2_MAX_CONCURRENT` like
//! the service (same defaults), and `CEILING_SECONDS` (default 10). Prints `hashes_per_second=<n>`.

use argon2::{Algorithm, Argon2, Block, Version};
use authn_service::settings::HashingSettings;
use service_kit::settings::Environment;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let hashing = match HashingSettings::from_environment(&Environment::process()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("argon2-ceiling: {error}");
            return ExitCode::FAILURE;
        }
    };
    let params = match hashing.params() {
        Ok(params) => params,
        Err(error) => {
            eprintln!("argon2-ceiling: {error}");
            return ExitCode::FAILURE;
        }
    };
    let seconds = std::env::var("CEILING_SECONDS").ok().and_then(|raw| raw.parse().ok()).unwrap_or(10);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..hashing.max_concurrent)
        .map(|_| {
            let (params, stop, done) = (params.clone(), Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || {
                let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
                let mut memory = vec![Block::new(); params.block_count()];
                let mut out = [0u8; 32];
                while !stop.load(Ordering::Relaxed) {
                    if argon2
                        .hash_password_into_with_memory(
                            b"bench password",
                            b"bench-salt-16byt",
                            &mut out,
                            &mut memory[..],
                        )
                        .is_ok()
                    {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        let _ = thread.join();
    }
    // Hashes finished after the stop signal are counted with the time they took.
    let elapsed = started.elapsed().as_secs_f64();
    println!("hashes_per_second={:.1}", done.load(Ordering::Relaxed) as f64 / elapsed);
    println!("threads={} memory_kib={} iterations={}", hashing.max_concurrent, hashing.memory_kib, hashing.iterations);
    ExitCode::SUCCESS
}
