//! macOS and Windows: the keyring ecosystem's maintained native stores (`keyring-core` with
//! `apple-native-keyring-store` and `windows-native-keyring-store`, the line keyring 3's notes point to).
//! Their default configurations name credentials as keyring 3 did (Keychain: service and account;
//! Credential Manager: `<user>.<service>`), so entries written by earlier versions stay readable
//! (`tests/keystore.rs` checks it on Windows against keyring 3 itself).
//! Each platform's file says which store (`platform_store`) and implements `SecretStore` with these.

use std::sync::{Arc, OnceLock};

use keyring_core::{CredentialStore, Entry, Error};

use atom_core::StoreError;

use super::service;

fn map(e: Error) -> StoreError {
    match e {
        Error::NoStorageAccess(inner) => {
            let text = inner.to_string();
            if text.to_ascii_lowercase().contains("lock") {
                StoreError::Locked
            } else {
                StoreError::Unavailable(text)
            }
        }
        Error::PlatformFailure(inner) => StoreError::Unavailable(inner.to_string()),
        // What the store will never take, however often it is asked.
        e @ (Error::TooLong(..) | Error::Invalid(..)) => StoreError::Refused(e.to_string()),
        other => StoreError::Failed(other.to_string()),
    }
}

/// The platform's store, made once (no process-wide default is set: nothing else can swap it).
fn store() -> Result<&'static Arc<CredentialStore>, StoreError> {
    static STORE: OnceLock<Result<Arc<CredentialStore>, String>> = OnceLock::new();
    STORE
        .get_or_init(|| super::platform_store().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| StoreError::Unavailable(e.clone()))
}

fn entry(namespace: &str, account: &str) -> Result<Entry, StoreError> {
    Entry::new_in_store(store()?, &service(namespace), account).map_err(map)
}

pub(super) fn read(namespace: &str, account: &str) -> Result<Option<String>, StoreError> {
    match entry(namespace, account)?.get_password() {
        Ok(p) => Ok(Some(p)),
        Err(Error::NoEntry) => Ok(None),
        Err(e) => Err(map(e)),
    }
}

pub(super) fn write(namespace: &str, account: &str, value: &str) -> Result<(), StoreError> {
    entry(namespace, account)?.set_password(value).map_err(map)
}

pub(super) fn remove(namespace: &str, account: &str) -> Result<(), StoreError> {
    match entry(namespace, account)?.delete_credential() {
        Ok(()) | Err(Error::NoEntry) => Ok(()),
        Err(e) => Err(map(e)),
    }
}
