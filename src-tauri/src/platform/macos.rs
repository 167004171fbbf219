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
/// The sign-in doctor's round trip: the shell opens an app's link as it opens a page.
pub use super::open_with_plugin as hand_link_to_desktop;

/// The bundle's Info.plist declares the scheme (`CFBundleURLTypes`, from tauri.conf.json's deep-link
/// settings); LaunchServices registers it when the app is first seen. Nothing to write.
pub fn registers_scheme_itself() -> bool {
    false
}

pub fn register_scheme<R: Runtime>(_handle: &AppHandle<R>) -> Result<(), String> {
    Err("on macOS the app's bundle declares its scheme".into())
}

/// Which app LaunchServices opens the scheme's links with (`NSWorkspace`), judged against this program's
/// bundle by `atom_desktop::doctor::launch_services`. Compiled and linted here, run by the hosted macOS job.
pub fn check_link_handler() -> atom_desktop::doctor::Finding {
    use objc2_app_kit::NSWorkspace;
    use objc2_foundation::{NSString, NSURL};
    let scheme = atom_core::contract::paths::REDIRECT_SCHEME;
    let exe = std::env::current_exe().unwrap_or_default();
    // Off the main thread: what the calls autorelease is released here.
    let handler = objc2::rc::autoreleasepool(|_| {
        let link = NSURL::URLWithString(&NSString::from_str(&format!("{scheme}://doctor")))?;
        NSWorkspace::sharedWorkspace().URLForApplicationToOpenURL(&link)?.to_file_path()
    });
    atom_desktop::doctor::launch_services::judge(scheme, handler.as_deref(), &exe)
}

pub const CAN_REGISTER_LINKS: bool = false;

/// The system allocator gives memory back by itself.
pub fn release_memory() {}

pub fn lower_thread_priority() {}

pub const WINDOW_FAILED_CAUSE: Option<&str> = None;

/// Said on the error output (and in the log): Console.app shows it.
pub fn tell_window_failed(_text: &str) {}
