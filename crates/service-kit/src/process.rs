//! What every service's binary does around its application: run it with telemetry, and turn the
//! outcome into an exit code.

use crate::settings::CommonSettings;
use std::fmt::Display;
use std::future::Future;
use std::process::ExitCode;

/// Starts logging (and trace export when configured), warns about the `dev` conveniences in force (the
/// common ones and the service's `embedded_defaults`), runs the service, and flushes the last spans. The guard's flush blocks on the exporter's thread, so it
/// runs off the async workers.
pub async fn serve<E: Display>(
    binary: &'static str,
    common: &CommonSettings,
    embedded_defaults: &[&'static str],
    run: impl Future<Output = Result<(), E>>,
) -> Result<(), E> {
    let telemetry = telemetry::init(common.telemetry(binary));
    if common.app_env.is_dev() {
        tracing::warn!("APP_ENV=dev: embedded defaults are allowed; never run like this in production");
        for default in common.embedded_defaults().iter().chain(embedded_defaults) {
            tracing::warn!(default, "APP_ENV=dev: using an embedded default");
        }
    }
    let outcome = run.await;
    if let Err(error) = &outcome {
        tracing::error!(%error, "{binary} stopped with an error");
    }
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    outcome
}

/// The process's exit code: a failure is one `binary: reason` line on standard error and exit 1.
pub fn exit_code<E: Display>(binary: &str, outcome: Result<ExitCode, E>) -> ExitCode {
    outcome.unwrap_or_else(|error| {
        eprintln!("{binary}: {error}");
        ExitCode::FAILURE
    })
}
