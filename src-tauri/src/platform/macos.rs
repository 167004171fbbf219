//! macOS: WKWebView, the login keychain, `open`, and the scheme the bundle's Info.plist declares.
//!
//! Links arrive as Apple Events, not in `argv`: a cold start by a link starts the app and then
//! delivers the link (the deep-link plugin's `on_open_url`, set up before the event loop runs), and a
//! link while the app runs goes to the running app; no second process starts, so nothing is
//! forwarded.

use std::sync::Arc;

use atom_core::SecretStore;
use tauri::{AppHandle, Runtime};

use super::Start;

pub fn prepare_process(_argv: &[String]) -> Start {
    Start::Run
}

/// The login keychain (docs/security.md, "macOS keychain", says why and what a user sees).
pub fn keystore() -> Arc<dyn SecretStore> {
    Arc::new(atom_desktop::keystore::OsKeystore)
}

pub use super::open_with_plugin as open_in_browser;

/// The bundle's Info.plist declares the scheme (`CFBundleURLTypes`, from tauri.conf.json's deep-link
/// settings); LaunchServices registers it when the app is first seen. Nothing to write.
pub fn registers_scheme_itself() -> bool {
    false
}

pub fn register_scheme<R: Runtime>(_handle: &AppHandle<R>) -> Result<(), String> {
    Err("on macOS the app's bundle declares its scheme".into())
}

/// Not read on this system yet (issue 42): said, not guessed.
pub fn check_link_handler() -> atom_desktop::doctor::Finding {
    use atom_desktop::doctor::{Finding, Verdict, LINK_HANDLER};
    Finding::new(LINK_HANDLER, Verdict::NotChecked, "on macOS the bundle declares the scheme and LaunchServices registers it; this version does not ask LaunchServices which app it chose")
}

pub const CAN_REGISTER_LINKS: bool = false;

/// The system allocator gives memory back by itself.
pub fn release_memory() {}

pub fn lower_thread_priority() {}

pub const WINDOW_FAILED_CAUSE: Option<&str> = None;

/// Said on the error output (and in the log): Console.app shows it.
pub fn tell_window_failed(_text: &str) {}
