//! Any other OS Tauri builds for (the BSDs): no keystore this app knows (secrets kept for the run, and
//! said), the opener plugin, no scheme registration.

use std::sync::Arc;

use atom_core::SecretStore;
use tauri::{AppHandle, Runtime};
use tauri_plugin_opener::OpenerExt;
use url::Url;

use super::Start;

pub fn prepare_process(_argv: &[String]) -> Start {
    Start::Run
}

pub fn keystore() -> Arc<dyn SecretStore> {
    tracing::error!("this build has no native keystore; secrets are kept for this run only");
    Arc::new(atom_core::MemoryStore::default())
}

pub fn open_in_browser<R: Runtime>(handle: &AppHandle<R>, url: &Url) -> Result<(), String> {
    handle.opener().open_url(url.as_str(), None::<&str>).map_err(|e| e.to_string())
}

pub fn registers_scheme_itself() -> bool {
    false
}

pub fn register_scheme<R: Runtime>(_handle: &AppHandle<R>) -> Result<(), String> {
    Err("this OS's scheme registration is not known to the app".into())
}

pub fn release_memory() {}

pub fn lower_thread_priority() {}

pub const WINDOW_FAILED_CAUSE: Option<&str> = None;

pub fn tell_window_failed(_text: &str) {}
