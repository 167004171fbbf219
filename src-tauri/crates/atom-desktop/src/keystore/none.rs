//! Elsewhere (the BSDs, say): no OS store this app knows.

use atom_core::{Secret, SecretStore, StoreError};

use super::OsKeystore;

/// Elsewhere (the BSDs, say) there is no OS store this app knows: [`OsKeystore::is_supported`] says
/// so, and the app keeps secrets for the session only.
impl SecretStore for OsKeystore {
    fn get(&self, _: &str, _: &str) -> Result<Option<Secret>, StoreError> {
        Err(StoreError::Unavailable("no keystore on this platform".into()))
    }

    fn set(&self, _: &str, _: &str, _: &Secret) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no keystore on this platform".into()))
    }

    fn delete(&self, _: &str, _: &str) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no keystore on this platform".into()))
    }

    fn kind(&self) -> &'static str {
        "none"
    }
}
