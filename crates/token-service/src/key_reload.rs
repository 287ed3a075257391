//! Key rotation without a restart: on `SIGHUP` the service reads `JWT_PRIVATE_KEY_FILE` and
//! `JWT_PREVIOUS_KEY_FILES` again (with HS256, `SECRET_KEY_FILE`), with the checks of the start, and puts
//! the new ring in force for every request that starts after it. Requests in flight finish with the ring
//! they began with, and nothing is refused meanwhile. A reload that fails (a missing or broken file)
//! keeps the ring in force and logs why, naming the variable.
//!
//! HS256: a new secret signs from the reload on, and the secret it replaces stays a verification key
//! until the next reload. The session service verifies with the same secret and, on its own `SIGHUP`,
//! accepts the new and the previous one; so the safe order is: write the new secret file, `SIGHUP` the
//! session replicas, then the token replicas (README, "Rotating the HS256 secret"). A `SECRET_KEY` given
//! in the environment cannot be given anew to a running process and is kept.

use crate::keyring::{KeyRing, SharedKeyRing};
use crate::settings::KeyFiles;
use service_kit::settings::SettingsError;
use std::sync::Arc;

/// Reloads one service's key ring from its key files.
#[derive(Debug, Clone)]
pub struct KeyReloader {
    keys: Arc<SharedKeyRing>,
    files: KeyFiles,
}

/// Why a reload did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Keys(#[from] SettingsError),
    #[error("the reload task failed: {0}")]
    Task(String),
}

impl KeyReloader {
    pub fn new(keys: Arc<SharedKeyRing>, files: KeyFiles) -> Self {
        Self { keys, files }
    }

    /// Reads the key files and, when every one is a valid key, swaps the ring in force. The file reads and
    /// key checks (an RSA self-test takes milliseconds) run off the async runtime.
    pub async fn reload(&self) -> Result<Arc<KeyRing>, ReloadError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let ring = this.files.reload(&this.keys.load())?;
            this.keys.replace(ring);
            Ok(this.keys.load())
        })
        .await
        .map_err(|error| ReloadError::Task(error.to_string()))?
    }

    /// Listens for `SIGHUP` for the life of the process and reloads on each. Installed before the service
    /// serves, so a `SIGHUP` never meets the default action (which ends the process).
    pub fn spawn_on_sighup(self) -> std::io::Result<()> {
        let reloader = Arc::new(self);
        service_kit::hangup::on_hangup(move || {
            let reloader = Arc::clone(&reloader);
            async move {
                match reloader.reload().await {
                    Ok(ring) => {
                        tracing::info!(kid = %ring.current().kid(), published = ?ring.kids(), "SIGHUP: signing keys reloaded");
                    }
                    Err(error) => {
                        tracing::error!(%error, "SIGHUP: key reload failed; the keys in force are kept");
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_jwt::algorithm::SigningAlgorithm;

    fn key_file() -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("a temp file");
        let pem = auth_jwt::keys::generate_private_key_pem(SigningAlgorithm::EdDsa).expect("a key");
        std::fs::write(file.path(), pem).expect("written");
        file
    }

    #[tokio::test]
    async fn a_successful_reload_swaps_the_ring_and_a_failed_one_keeps_it() {
        let first = key_file();
        let second = key_file();
        let files = KeyFiles {
            algorithm: SigningAlgorithm::EdDsa,
            private_key: Some(first.path().to_path_buf()),
            previous: Vec::new(),
            secret_key: None,
        };
        let start = files.reload(&KeyRing::new(
            auth_jwt::keys::SigningKey::generate(SigningAlgorithm::EdDsa).expect("a key"),
            Vec::new(),
        ));
        let shared = Arc::new(SharedKeyRing::new(Arc::new(start.expect("a key file"))));
        let first_kid = shared.load().current().kid().to_owned();

        // The file's content is replaced in place, as a Secret update does: the reload sees the new key.
        std::fs::copy(second.path(), first.path()).expect("copied");
        let reloader = KeyReloader::new(Arc::clone(&shared), files.clone());
        let ring = reloader.reload().await.expect("a valid key");
        assert_ne!(ring.current().kid(), first_kid);
        assert_eq!(shared.load().current().kid(), ring.current().kid());

        let in_force = shared.load().current().kid().to_owned();
        std::fs::write(first.path(), "-----BEGIN PRIVATE KEY-----\ngarbage\n").expect("written");
        let error = reloader.reload().await.expect_err("a broken key file");
        assert!(error.to_string().contains("JWT_PRIVATE_KEY_FILE"), "{error}");
        assert_eq!(shared.load().current().kid(), in_force, "the keys in force are kept");
    }

    #[tokio::test]
    async fn an_hs256_secret_file_is_read_again_and_the_old_secret_stays_a_verification_key() {
        let file = tempfile::NamedTempFile::new().expect("a temp file");
        std::fs::write(file.path(), format!("{}\n", "a".repeat(32))).expect("written");
        let files = KeyFiles {
            algorithm: SigningAlgorithm::Hs256,
            private_key: None,
            previous: Vec::new(),
            secret_key: Some(file.path().to_path_buf()),
        };
        let first = auth_jwt::keys::SigningKey::from_secret("a".repeat(32).as_bytes()).expect("a key");
        let shared = Arc::new(SharedKeyRing::new(Arc::new(KeyRing::new(first.clone(), Vec::new()))));
        let reloader = KeyReloader::new(Arc::clone(&shared), files);

        std::fs::write(file.path(), "b".repeat(32)).expect("written");
        let ring = reloader.reload().await.expect("a valid secret");
        assert_ne!(ring.current().kid(), first.kid(), "the new secret signs");
        assert_eq!(ring.kids(), [ring.current().kid(), first.kid()], "the old one still verifies");
        assert_eq!(ring.verification().len(), 2);

        let in_force = shared.load().current().kid().to_owned();
        std::fs::write(file.path(), "short").expect("written");
        let error = reloader.reload().await.expect_err("a short secret");
        assert!(error.to_string().contains("SECRET_KEY_FILE"), "{error}");
        assert!(!error.to_string().contains("short"), "{error}");
        assert_eq!(shared.load().current().kid(), in_force, "the keys in force are kept");
    }
}
