//! The embedded sandbox: a development build's local ATOM server, so that a newcomer's app works with
//! no account. It is in debug builds (`scripts/run.sh`, `cargo tauri dev`, the tests: the default
//! `sandbox` feature brings the crate) and in a release build only with the `embedded-sandbox` feature;
//! the packages carry no test server, and are built with `--no-default-features`, so that they do not
//! even compile one. Next to an installed app, run the standalone `atom-sandbox` and connect to it with
//! `--server URL` or the custom-server form.

use std::path::PathBuf;

use crate::error::ShellError;

/// Whether this build has the embedded sandbox.
pub const INCLUDED: bool =
    cfg!(all(feature = "sandbox", any(debug_assertions, feature = "embedded-sandbox")));

#[cfg(all(feature = "sandbox", any(debug_assertions, feature = "embedded-sandbox")))]
pub struct EmbeddedSandbox {
    data_dir: PathBuf,
    running: tokio::sync::Mutex<Option<atom_sandbox::SandboxHandle>>,
}

#[cfg(all(feature = "sandbox", any(debug_assertions, feature = "embedded-sandbox")))]
impl EmbeddedSandbox {
    pub fn new(data_dir: PathBuf) -> EmbeddedSandbox {
        EmbeddedSandbox { data_dir, running: tokio::sync::Mutex::new(None) }
    }

    /// Its address, starting it on first use. It keeps its data in the app data folder, so that a
    /// sandbox sign-in survives a restart. Its test hooks stay off unless the app's tests ask for them
    /// (`ATOM_SANDBOX_TEST_HOOKS=1`).
    pub async fn url(&self) -> Result<String, ShellError> {
        let mut running = self.running.lock().await;
        if let Some(s) = running.as_ref() {
            return Ok(s.base_url());
        }
        let config = atom_sandbox::Config {
            data_dir: Some(self.data_dir.join("sandbox")),
            test_hooks: std::env::var_os("ATOM_SANDBOX_TEST_HOOKS").is_some_and(|v| v == "1"),
            ..Default::default()
        };
        let handle = atom_sandbox::start(config).await.map_err(|e| {
            ShellError::SandboxUnavailable(format!("the embedded sandbox could not start: {e}"))
        })?;
        tracing::info!("embedded sandbox listening on {}", handle.base_url());
        let url = handle.base_url();
        *running = Some(handle);
        Ok(url)
    }

    /// Its address while it runs.
    pub async fn base_url(&self) -> Option<String> {
        self.running.lock().await.as_ref().map(|s| s.base_url())
    }

    /// Stops it: nothing listens on this computer when the user has left it.
    pub async fn stop(&self) {
        if let Some(sandbox) = self.running.lock().await.take() {
            sandbox.shutdown().await;
            tracing::info!("embedded sandbox stopped");
        }
    }
}

/// A build without the embedded sandbox (the packages).
#[cfg(not(all(feature = "sandbox", any(debug_assertions, feature = "embedded-sandbox"))))]
pub struct EmbeddedSandbox;

#[cfg(not(all(feature = "sandbox", any(debug_assertions, feature = "embedded-sandbox"))))]
impl EmbeddedSandbox {
    pub fn new(_data_dir: PathBuf) -> EmbeddedSandbox {
        EmbeddedSandbox
    }

    pub async fn url(&self) -> Result<String, ShellError> {
        Err(ShellError::SandboxUnavailable("this build has no embedded sandbox".into()))
    }

    pub async fn base_url(&self) -> Option<String> {
        None
    }

    pub async fn stop(&self) {}
}
