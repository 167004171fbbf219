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
/// The sign-in doctor's round trip: the shell opens an app's link as it opens a page.
pub use super::open_with_plugin as hand_link_to_desktop;

/// Development builds not installed by a package (the installers register the scheme).
pub fn registers_scheme_itself() -> bool {
    cfg!(debug_assertions)
}

/// The deep-link plugin writes the user's registry (`HKCU\Software\Classes\<scheme>`, tested in
/// `tests/windows_scheme.rs`).
pub fn register_scheme<R: Runtime>(handle: &AppHandle<R>) -> Result<(), String> {
    handle.deep_link().register_all().map_err(|e| e.to_string())
}

/// Which program Windows opens the scheme's links with: the open command of the scheme's key in the
/// user's classes, else the machine's, judged by `atom_desktop::doctor::registry`.
pub fn check_link_handler() -> atom_desktop::doctor::Finding {
    use windows_sys::Win32::System::Registry::{HKEY, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE};
    let scheme = atom_core::contract::paths::REDIRECT_SCHEME;
    let subkey = format!(r"Software\Classes\{scheme}\shell\open\command");
    let roots: [(HKEY, &str); 2] = [(HKEY_CURRENT_USER, "HKCU"), (HKEY_LOCAL_MACHINE, "HKLM")];
    let found = roots.iter().find_map(|(root, name)| {
        registry_default(*root, &subkey).map(|command| (format!(r"{name}\{subkey}"), command))
    });
    let exe = std::env::current_exe().unwrap_or_default();
    atom_desktop::doctor::registry::judge(scheme, found.as_ref().map(|(k, c)| (k.as_str(), c.as_str())), &exe)
}

/// A key's default value, as text; `None` when the key or its value is missing, or not text.
fn registry_default(root: windows_sys::Win32::System::Registry::HKEY, subkey: &str) -> Option<String> {
    use windows_sys::Win32::Foundation::ERROR_SUCCESS;
    use windows_sys::Win32::System::Registry::{RegGetValueW, RRF_RT_REG_SZ};
    let subkey: Vec<u16> = subkey.encode_utf16().chain(Some(0)).collect();
    // One read of the default value into `data` (null: only its size), `bytes` the room in and the size
    // out.
    let read = |data: *mut std::ffi::c_void, bytes: &mut u32| {
        // SAFETY: the subkey is NUL-terminated UTF-16 that outlives the call; a null value name reads the
        // default value; `data` is null or holds `*bytes` bytes, which the call writes at most.
        let status = unsafe {
            RegGetValueW(
                root,
                subkey.as_ptr(),
                std::ptr::null(),
                RRF_RT_REG_SZ,
                std::ptr::null_mut(),
                data,
                bytes,
            )
        };
        status == ERROR_SUCCESS
    };
    let mut bytes: u32 = 0;
    if !read(std::ptr::null_mut(), &mut bytes) || bytes == 0 {
        return None;
    }
    let mut buffer = vec![0u16; (bytes as usize).div_ceil(2)];
    if !read(buffer.as_mut_ptr().cast(), &mut bytes) {
        return None;
    }
    let len = buffer.iter().position(|&c| c == 0).unwrap_or(buffer.len());
    Some(String::from_utf16_lossy(&buffer[..len]))
}

/// "Register again" writes the user's own classes (`HKCU`), which Windows reads before the machine's.
pub const CAN_REGISTER_LINKS: bool = true;

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
