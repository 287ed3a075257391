//! The session service binary: reads settings, starts logging, serves until stopped.

use session_service::settings::Settings;
use session_service::startup::Application;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    service_kit::settings::load_dotenv();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("session-service: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    settings.init_telemetry();
    let application = match Application::build(settings).await {
        Ok(application) => application,
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "session-service failed to start");
            eprintln!("session-service: {error:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match application.run_until_stopped().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "session-service stopped with an error");
            std::process::ExitCode::FAILURE
        }
    }
}
