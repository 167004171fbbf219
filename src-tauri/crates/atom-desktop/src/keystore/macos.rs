//! macOS: the login keychain (`apple-native-keyring-store`'s `keychain` store), in signed and unsigned
//! builds alike; why, and what a user sees after an update, is in docs/security.md ("macOS keychain").

use std::sync::Arc;

use atom_core::{Secret, SecretStore, StoreError};
use keyring_core::CredentialStore;

use super::native::{read, remove, write};
use super::OsKeystore;

/// The store `native.rs` uses here.
pub(super) fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    apple_native_keyring_store::keychain::Store::new().map(|s| s as Arc<CredentialStore>)
}

impl SecretStore for OsKeystore {
    fn get(&self, namespace: &str, account: &str) -> Result<Option<Secret>, StoreError> {
        Ok(read(namespace, account)?.map(Secret::new))
    }

    fn set(&self, namespace: &str, account: &str, secret: &Secret) -> Result<(), StoreError> {
        write(namespace, account, secret.expose())
    }

    fn delete(&self, namespace: &str, account: &str) -> Result<(), StoreError> {
        remove(namespace, account)
    }

    fn kind(&self) -> &'static str {
        "macOS Keychain"
    }
}
