//! The `session-service` binary: reads `.env`, parses the command line and runs it (see [`cli`]). A bad
//! setting or a failed start prints one `session-service: …` line and exits 1.
//!
//! [`cli`]: session_service::cli

use clap::Parser;
use session_service::cli::{self, Cli};
use session_service::startup::SERVICE;
use std::process::ExitCode;

// Small allocations on every request: mimalloc's thread-local free lists beat glibc's malloc here
// (`make bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// actix's runtime: the main thread runs a current-thread runtime, so the tasks started while building
// the app (Redis connections, the key refresh) don't get a multi-thread pool of their own competing
// with actix's workers for the cores (measured: verify throughput 0.56 of /healthz with
// `#[tokio::main]`, 0.60 with this).
#[actix_web::main]
async fn main() -> ExitCode {
    service_kit::settings::load_dotenv();
    service_kit::process::exit_code(SERVICE.binary, cli::execute(Cli::parse()).await)
}
