//! `SIGHUP`: with HS256 and `SECRET_KEY_FILE`, the service reads the secret file again and verifies with
//! the new secret and the one it replaces (until the next change), so tokens the token service signed
//! before it took the new secret stay valid. The safe rotation is: write the new secret file, `SIGHUP`
//! every session replica, then every token replica (README, "Rotating the HS256 secret"). A reload that
//! fails (unreadable file, a secret too short) keeps the keys in force and logs why, naming the variable.
//!
//! With a JWKS (EdDSA, ES256, RS256) there is nothing to re-read: keys follow the token service's JWKS.
//! The handler is installed either way, so a `SIGHUP` sent to every service never ends this one.

use crate::jwks_cache::KeyCache;
use auth_jwt::keys::SigningKey;
use service_kit::settings::SettingsError;
use service_kit::settings::secret_files::read_secret_file;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Reads the secret file and puts the new secret in force beside the previous one.
pub async fn reload(keys: &KeyCache, file: &Path) -> Result<(), SettingsError> {
    let path = file.to_path_buf();
    let key = tokio::task::spawn_blocking(move || {
        let secret = read_secret_file("SECRET_KEY_FILE", &path)?;
        SigningKey::from_secret(secret.as_bytes())
            .map_err(|error| SettingsError::new("SECRET_KEY_FILE", error.to_string()))
    })
    .await
    .map_err(|error| SettingsError::new("SECRET_KEY_FILE", format!("the reload task failed: {error}")))??;
    keys.replace_secret(key);
    Ok(())
}

/// Listens for `SIGHUP` for the life of the process.
pub fn spawn_on_sighup(keys: Arc<KeyCache>, file: Option<PathBuf>) -> std::io::Result<()> {
    let file: Option<Arc<Path>> = file.map(Arc::from);
    service_kit::hangup::on_hangup(move || {
        let (keys, file) = (Arc::clone(&keys), file.clone());
        async move {
            let Some(file) = file else {
                tracing::info!("SIGHUP: no SECRET_KEY_FILE to re-read (keys come from the JWKS or the environment)");
                return;
            };
            match reload(&keys, &file).await {
                Ok(()) => tracing::info!(keys = keys.current().len(), "SIGHUP: SECRET_KEY_FILE reloaded"),
                Err(error) => tracing::error!(%error, "SIGHUP: secret reload failed; the keys in force are kept"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_secret_verifies_beside_the_previous_one_and_a_bad_file_keeps_both() {
        let first = "a".repeat(32);
        let cache = KeyCache::from_secret(first.as_bytes()).expect("a secret");
        let first_kid = SigningKey::from_secret(first.as_bytes()).expect("a key").kid().to_owned();
        let file = tempfile::NamedTempFile::new().expect("a temp file");

        std::fs::write(file.path(), format!("{}\n", "b".repeat(32))).expect("written");
        reload(&cache, file.path()).await.expect("a valid secret");
        let second_kid = SigningKey::from_secret("b".repeat(32).as_bytes()).expect("a key").kid().to_owned();
        assert!(cache.current().find(&first_kid).is_some(), "the previous secret still verifies");
        assert!(cache.current().find(&second_kid).is_some(), "the new secret verifies");

        // The same secret again keeps the previous one.
        reload(&cache, file.path()).await.expect("the same secret");
        assert_eq!(cache.current().len(), 2);

        std::fs::write(file.path(), "short").expect("written");
        let error = reload(&cache, file.path()).await.expect_err("too short");
        assert_eq!(error.variable(), "SECRET_KEY_FILE");
        assert!(cache.current().find(&second_kid).is_some() && cache.current().find(&first_kid).is_some());

        // A third secret retires the first.
        std::fs::write(file.path(), "c".repeat(32)).expect("written");
        reload(&cache, file.path()).await.expect("a valid secret");
        assert!(cache.current().find(&first_kid).is_none());
        assert!(cache.current().find(&second_kid).is_some());
    }
}
