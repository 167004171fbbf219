//! The desktop app's parts that need no window: they build, run and test without Tauri, as the core
//! does. The app (the root package) wires them to Tauri.
//!
//! - `keystore`: the OS keystores as the core's `SecretStore` (Secret Service, Credential Manager,
//!   Keychain);
//! - `loopback`: the RFC 8252 loopback redirect listener;
//! - `scheme`: the URL scheme's handler entry on Linux;
//! - `settings`: `settings.json` (accounts, the active one, the updater's choices);
//! - `outbox`: the queue of events for the window;
//! - `opener`: the desktop's web browser on Linux, watched;
//! - `doctor`: the sign-in doctor's findings, its redacted report, and the checks that read this
//!   computer (issue 42, in progress);
//! - `args`, `logfile`, `memory`, `desktop_proxy`, `forward`: the process's start-up work.

pub mod args;
#[cfg(target_os = "linux")]
pub mod desktop_proxy;
pub mod doctor;
#[cfg(target_os = "linux")]
pub mod forward;
pub mod keystore;
pub mod logfile;
pub mod loopback;
#[cfg(target_os = "linux")]
pub mod memory;
#[cfg(target_os = "linux")]
pub mod opener;
pub mod outbox;
mod private;
pub mod progress;
#[cfg(target_os = "linux")]
pub mod scheme;
pub mod settings;

/// The app's identifier (tauri.conf.json's `identifier`; the app's tests hold them equal).
pub const IDENTIFIER: &str = "com.atomagentos.marketplace";
