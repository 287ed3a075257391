//! The `token-service` binary: reads `.env`, parses the command line and runs it (see [`cli`]). A bad
//! setting or a failed start prints one `token-service: …` line and exits 1.
//!
//! [`cli`]: token_service::cli

use clap::Parser;
use std::process::ExitCode;
use token_service::cli::{self, Cli};
use token_service::startup::SERVICE;

#[tokio::main]
async fn main() -> ExitCode {
    service_kit::settings::load_dotenv();
    service_kit::process::exit_code(SERVICE.binary, cli::execute(Cli::parse()).await)
}
