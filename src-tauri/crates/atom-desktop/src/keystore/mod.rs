//! The OS keystore as a [`SecretStore`]: Secret Service on Linux (our client, `secret_service.rs`),
//! Keychain on macOS and Credential Manager on Windows (the native stores of `keyring-core`). Entries
//! are namespaced per environment: service `com.atomagentos.marketplace/<environment>`, user
//! `<entry name>`. Calls block; an account makes them on a blocking thread with a timeout.
//! On Windows a secret longer than a credential holds is kept in several (`split.rs`).

// One file per platform: each implements the core's `SecretStore` for `OsKeystore`.
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(any(windows, target_os = "macos"))]
mod native;
#[cfg(target_os = "macos")]
use macos::platform_store;
#[cfg(windows)]
use windows::platform_store;
#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
mod none;
#[cfg(target_os = "linux")]
mod secret_service;
// Used on Windows; built and unit-tested everywhere.
#[cfg_attr(not(windows), allow(dead_code))]
mod split;
#[cfg(windows)]
mod windows;

pub const SERVICE_PREFIX: &str = "com.atomagentos.marketplace";

pub fn service(namespace: &str) -> String {
    format!("{SERVICE_PREFIX}/{namespace}")
}

pub struct OsKeystore;

impl OsKeystore {
    /// Whether this platform has an OS store the app writes to (Secret Service, Keychain, Credential
    /// Manager). Where it has none, secrets are kept for the session only, and the app says so.
    pub const fn is_supported() -> bool {
        cfg!(any(target_os = "linux", windows, target_os = "macos"))
    }
}
