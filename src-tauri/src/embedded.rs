//! The embedded sandbox: a development build's local ATOM server, so that a newcomer's app works with
//! no account. It is compiled into debug builds (`scripts/run.sh`, `tauri dev`) and into a release build
//! only with the `embedded-sandbox` feature; the packages `tauri build` makes carry no test server. (A
//! default-on Cargo feature would not do: the Tauri CLI's dev command runs `cargo run
//! --no-default-features`.) Next to an installed app, run the standalone `atom-sandbox` and connect to
//! it with `--server URL` or the custom-server form.

use std::path::PathBuf;

use atom_core::ErrorInfo;

/// Whether this build has the embedded sandbox.
pub const INCLUDED: bool = cfg!(any(debug_assertions, feature = "embedded-sandbox"));

#[cfg(any(debug_assertions, feature = "embedded-sandbox"))]
pub struct EmbeddedSandbox {
    data_dir: PathBuf,
    running: tokio::sync::Mutex<Option<atom_sandbox::SandboxHandle>>,
}

#[cfg(any(debug_assertions, feature = "embedded-sandbox"))]
impl EmbeddedSandbox {
    pub fn new(data_dir: PathBuf) -> EmbeddedSandbox {
        EmbeddedSandbox { data_dir, running: tokio::sync::Mutex::new(None) }
    }

    /// Its address, starting it on first use. It keeps its data in the app data folder, so that a
    /// sandbox sign-in survives a restart. Its test hooks stay off unless the app's tests ask for them
    /// (`ATOM_SANDBOX_TEST_HOOKS=1`).
    pub async fn url(&self) -> Result<String, ErrorInfo> {
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
            atom_core::Error::SandboxUnavailable(format!("the embedded sandbox could not start: {e}")).info()
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
#[cfg(not(any(debug_assertions, feature = "embedded-sandbox")))]
pub struct EmbeddedSandbox;

#[cfg(not(any(debug_assertions, feature = "embedded-sandbox")))]
impl EmbeddedSandbox {
    pub fn new(_data_dir: PathBuf) -> EmbeddedSandbox {
        EmbeddedSandbox
    }

    pub async fn url(&self) -> Result<String, ErrorInfo> {
        Err(atom_core::Error::SandboxUnavailable("this build has no embedded sandbox".into()).info())
    }

    pub async fn base_url(&self) -> Option<String> {
        None
    }

    pub async fn stop(&self) {}
}
