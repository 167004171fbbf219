//! Any other OS Tauri builds for (the BSDs): no keystore this app knows (secrets kept for the run, and
//! said), the opener plugin, no scheme registration.

use std::sync::Arc;

use atom_core::SecretStore;
use tauri::{AppHandle, Runtime};

use super::Start;

pub fn prepare_process(_argv: &[String]) -> Start {
    Start::Run
}

pub fn keystore() -> Arc<dyn SecretStore> {
    tracing::error!("this build has no native keystore; secrets are kept for this run only");
    Arc::new(atom_core::MemoryStore::default())
}

pub use super::open_with_plugin as open_in_browser;
/// The sign-in doctor's round trip: the shell opens an app's link as it opens a page.
pub use super::open_with_plugin as hand_link_to_desktop;

pub fn registers_scheme_itself() -> bool {
    false
}

pub fn register_scheme<R: Runtime>(_handle: &AppHandle<R>) -> Result<(), String> {
    Err("this OS's scheme registration is not known to the app".into())
}

/// Not read on this system yet (issue 42): said, not guessed.
pub fn check_link_handler() -> atom_desktop::doctor::Finding {
    use atom_desktop::doctor::{Finding, Verdict, LINK_HANDLER};
    Finding::new(LINK_HANDLER, Verdict::NotChecked, "this system's link handlers are not known to the app")
}

pub const CAN_REGISTER_LINKS: bool = false;

pub fn release_memory() {}

pub fn lower_thread_priority() {}

pub const WINDOW_FAILED_CAUSE: Option<&str> = None;

pub fn tell_window_failed(_text: &str) {}
