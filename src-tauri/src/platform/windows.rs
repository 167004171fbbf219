//! Windows: WebView2, Credential Manager, the shell's opener, the per-user registry for the scheme.

use std::sync::Arc;

use atom_core::SecretStore;
use tauri::{AppHandle, Runtime};
use tauri_plugin_deep_link::DeepLinkExt;

use super::Start;

/// A second start hands its link to the running app through the single-instance plugin, once Tauri
/// is up; there is nothing to prepare.
pub fn prepare_process(_argv: &[String]) -> Start {
    Start::Run
}

pub fn keystore() -> Arc<dyn SecretStore> {
    Arc::new(atom_desktop::keystore::OsKeystore)
}

pub use super::open_with_plugin as open_in_browser;

/// Development builds not installed by a package (the installers register the scheme).
pub fn registers_scheme_itself() -> bool {
    cfg!(debug_assertions)
}

/// The deep-link plugin writes the user's registry (`HKCU\Software\Classes\<scheme>`, tested in
/// `tests/windows_scheme.rs`).
pub fn register_scheme<R: Runtime>(handle: &AppHandle<R>) -> Result<(), String> {
    handle.deep_link().register_all().map_err(|e| e.to_string())
}

/// Not read on this system yet (issue 42): said, not guessed.
pub fn check_link_handler() -> atom_desktop::doctor::Finding {
    use atom_desktop::doctor::{Finding, Verdict, LINK_HANDLER};
    Finding::new(
        LINK_HANDLER,
        Verdict::NotChecked,
        "this version does not read the registry entry yet; the installer registers it",
    )
}

pub const CAN_REGISTER_LINKS: bool = false;

/// The system allocator gives memory back by itself.
pub fn release_memory() {}

pub fn lower_thread_priority() {}

/// A window that cannot be made is nearly always a missing WebView2 runtime (Windows 11 has it and
/// the installers bring it; a copied `.exe` on an older Windows may not).
pub const WINDOW_FAILED_CAUSE: Option<&str> = Some(
    "It needs the Microsoft Edge WebView2 Runtime. Install it from \
     https://developer.microsoft.com/microsoft-edge/webview2/ and start the app again.",
);

/// A message box: a copied `.exe` started from Explorer has no console to say it in.
pub fn tell_window_failed(text: &str) {
    use windows_sys::Win32::UI::WindowsAndMessaging::{MessageBoxW, MB_ICONERROR, MB_OK};
    let wide = |s: &str| s.encode_utf16().chain(Some(0)).collect::<Vec<u16>>();
    let (body, title) = (wide(text), wide("ATOM Marketplace"));
    // SAFETY: both strings are NUL-terminated UTF-16 that outlive the call; no owner window.
    unsafe { MessageBoxW(std::ptr::null_mut(), body.as_ptr(), title.as_ptr(), MB_OK | MB_ICONERROR) };
}
