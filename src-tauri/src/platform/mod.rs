//! What differs from one OS to the next, behind one small interface; each OS's file implements all of
//! it (one `cfg` per `mod` line, none inside a function):
//!
//! - [`prepare_process`]: a second start that only hands its link to the running app does that and
//!   ends (Linux: over D-Bus, before any other work; Windows: the single-instance plugin; macOS: the
//!   OS delivers links to the running app as Apple Events, no second process), and what the process
//!   needs before any thread starts (WebKitGTK's tuning, the desktop's proxy);
//! - [`keystore`]: where secrets live;
//! - [`open_in_browser`]: the system browser; [`hand_link_to_desktop`]: a link handed to the desktop the
//!   way a browser hands it one of another app's (the sign-in doctor's round trip);
//! - [`registers_scheme_itself`] and [`register_scheme`]: the URL scheme's handler, for builds no
//!   package or bundle registered; [`check_link_handler`] and [`CAN_REGISTER_LINKS`]: the sign-in
//!   doctor's look at it, and whether "Register again" can fix it;
//! - [`release_memory`], [`lower_thread_priority`], [`tell_window_failed`] (where the user sees it) with
//!   [`WINDOW_FAILED_CAUSE`], the likely cause.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as os;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as os;
#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
mod other;
#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
use other as os;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as os;

/// What the process does after [`prepare_process`].
#[derive(Debug, PartialEq, Eq)]
pub enum Start {
    /// Start the app.
    Run,
    /// The running app took this start's arguments: end.
    Forwarded,
}

/// The opener plugin's way to the web browser (macOS' `open`, Windows' `ShellExecuteW`): it answers
/// at once. Linux watches the desktop's own opener instead (`atom_desktop::opener`).
#[cfg(not(target_os = "linux"))]
pub fn open_with_plugin<R: tauri::Runtime>(
    handle: &tauri::AppHandle<R>,
    url: &url::Url,
) -> Result<(), String> {
    use tauri_plugin_opener::OpenerExt;
    handle.opener().open_url(url.as_str(), None::<&str>).map_err(|e| e.to_string())
}

pub use os::{
    check_link_handler, hand_link_to_desktop, keystore, lower_thread_priority, open_in_browser,
    prepare_process, register_scheme, registers_scheme_itself, release_memory, tell_window_failed,
    CAN_REGISTER_LINKS, WINDOW_FAILED_CAUSE,
};
