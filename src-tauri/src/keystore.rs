//! The OS keystore as a [`SecretStore`]: Secret Service on Linux, Keychain on macOS, Credential Manager
//! on Windows (keyring's native stores; never its in-memory mock). Entries are namespaced per
//! environment: service `com.atomagentos.marketplace/<environment>`, user `<entry name>`.
//! Calls block; the session makes them on a blocking thread with a timeout.

use atom_core::{Secret, SecretStore, StoreError};

pub const SERVICE_PREFIX: &str = "com.atomagentos.marketplace";

pub fn service(namespace: &str) -> String {
    format!("{SERVICE_PREFIX}/{namespace}")
}

pub struct KeyringStore;

fn map(e: keyring::Error) -> StoreError {
    match e {
        keyring::Error::NoStorageAccess(inner) => {
            let text = inner.to_string();
            if text.to_ascii_lowercase().contains("lock") {
                StoreError::Locked
            } else {
                StoreError::Unavailable(text)
            }
        }
        keyring::Error::PlatformFailure(inner) => StoreError::Unavailable(inner.to_string()),
        other => StoreError::Failed(other.to_string()),
    }
}

impl KeyringStore {
    fn entry(namespace: &str, account: &str) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(&service(namespace), account).map_err(map)
    }

    /// True when keyring would use its in-memory mock instead of a real OS store (a build without the
    /// native features); such a store must never be used, as it silently forgets everything.
    pub fn is_mock() -> bool {
        let Ok(entry) = keyring::Entry::new("com.atomagentos.marketplace/probe", "probe") else {
            return false;
        };
        entry.get_credential().is::<keyring::mock::MockCredential>()
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, namespace: &str, account: &str) -> Result<Option<Secret>, StoreError> {
        match Self::entry(namespace, account)?.get_password() {
            Ok(p) => Ok(Some(Secret::new(p))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map(e)),
        }
    }

    fn set(&self, namespace: &str, account: &str, secret: &Secret) -> Result<(), StoreError> {
        Self::entry(namespace, account)?.set_password(secret.expose()).map_err(map)
    }

    fn delete(&self, namespace: &str, account: &str) -> Result<(), StoreError> {
        match Self::entry(namespace, account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map(e)),
        }
    }

    fn kind(&self) -> &'static str {
        if cfg!(target_os = "macos") {
            "macOS Keychain"
        } else if cfg!(target_os = "windows") {
            "Windows Credential Manager"
        } else {
            "Secret Service"
        }
    }
}
