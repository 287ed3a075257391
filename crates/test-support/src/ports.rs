//! Free TCP ports on 127.0.0.1, never 6379 and never handed out twice by this process.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock, PoisonError};

/// Ports below the Linux ephemeral range, so that an outgoing connection can't be holding one.
const LOW: u16 = 20_000;
const HIGH: u16 = 32_000;

fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A port that nobody listens on right now and that no other test of this process was given.
pub fn free_port() -> u16 {
    for _ in 0..1_000 {
        let random = u16::from_le_bytes([uuid::Uuid::new_v4().as_bytes()[0], uuid::Uuid::new_v4().as_bytes()[1]]);
        let port = LOW + random % (HIGH - LOW);
        if port == 6379 {
            continue;
        }
        let mut taken = handed_out().lock().unwrap_or_else(PoisonError::into_inner);
        if taken.contains(&port) {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            taken.insert(port);
            return port;
        }
    }
    panic!("no free TCP port found on 127.0.0.1 between {LOW} and {HIGH}");
}
