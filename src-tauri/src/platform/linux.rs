//! Linux: WebKitGTK, the Secret Service, the desktop's opener (`xdg-open`, `gio`), a `.desktop` entry
//! for the scheme, glibc's heap.

use std::sync::Arc;

use atom_core::SecretStore;
use atom_desktop::doctor::{link_handler, Finding, Verdict};
use atom_desktop::{desktop_proxy, forward, memory, opener, scheme};
use tauri::{AppHandle, Runtime};
use url::Url;

use super::Start;

pub fn prepare_process(argv: &[String]) -> Start {
    if forward::to_running_app(atom_desktop::IDENTIFIER, argv) {
        return Start::Forwarded;
    }
    // Before any thread starts: it sets the environment the web processes inherit.
    memory::tune_web_engine();
    // Before the HTTP client is built.
    desktop_proxy::install();
    Start::Run
}

pub fn keystore() -> Arc<dyn SecretStore> {
    Arc::new(atom_desktop::keystore::OsKeystore)
}

/// Blocks for up to [`opener::OPENER_WAIT`] (the browser is watched): call it off the main thread.
pub fn open_in_browser<R: Runtime>(_handle: &AppHandle<R>, url: &Url) -> Result<(), String> {
    opener::open_with_desktop(url.as_str(), opener::OPENER_WAIT)
}

/// The desktop's opener (`xdg-open`, else `gio open`), as a browser hands it a link of another app's
/// (Chromium does through `xdg-open`): the sign-in doctor's round trip. Blocks like [`open_in_browser`].
pub fn hand_link_to_desktop<R: Runtime>(_handle: &AppHandle<R>, url: &Url) -> Result<(), String> {
    opener::open_with_openers(url.as_str(), opener::OPENER_WAIT)
}

/// Development builds and AppImages: a `.deb` or `.rpm` registers its own entry at install time, and
/// it must stay the handler.
pub fn registers_scheme_itself() -> bool {
    let packaged =
        std::env::current_exe().is_ok_and(|exe| exe.starts_with("/usr/") || exe.starts_with("/opt/"));
    (cfg!(debug_assertions) && !packaged) || std::env::var_os("APPIMAGE").is_some()
}

/// The entry `scheme.rs` writes, which every opener reads (the deep-link plugin's quoted `Exec`
/// defeats the generic `xdg-open`).
/// The program the scheme's links should start: the AppImage itself when the app runs from one.
fn this_program() -> Option<std::path::PathBuf> {
    std::env::var_os("APPIMAGE").map(std::path::PathBuf::from).or_else(|| std::env::current_exe().ok())
}

pub fn register_scheme<R: Runtime>(_handle: &AppHandle<R>) -> Result<(), String> {
    let (Some(exe), Some((data, config))) = (this_program(), scheme::xdg_homes()) else {
        return Err("no home folder".into());
    };
    scheme::register("ATOM Marketplace", &exe, atom_core::contract::paths::REDIRECT_SCHEME, &data, &config)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Which program the desktop opens the scheme's links with (`xdg-mime`), and whether it is this one.
/// Blocks on `xdg-mime`: call it off the main thread.
pub fn check_link_handler() -> Finding {
    let (Some(exe), Some(homes)) = (this_program(), link_handler::Homes::from_env()) else {
        return Finding::new(
            atom_desktop::doctor::LINK_HANDLER,
            Verdict::NotChecked,
            "this session has no home folder to look in",
        );
    };
    link_handler::check(atom_core::contract::paths::REDIRECT_SCHEME, &exe, &homes)
}

/// "Register again" writes the user's own entry and default ([`register_scheme`]).
pub const CAN_REGISTER_LINKS: bool = true;

pub fn release_memory() {
    memory::release_freed();
}

pub fn lower_thread_priority() {
    // SAFETY: setpriority on the calling thread (Linux threads have their own nice value).
    unsafe {
        let _ = libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

pub const WINDOW_FAILED_CAUSE: Option<&str> = None;

/// Said on the error output (and in the log) only: a terminal or the journal shows it.
pub fn tell_window_failed(_text: &str) {}
