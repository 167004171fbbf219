//! The OS keystore as a [`SecretStore`]: Secret Service on Linux (our client, `secret_service.rs`),
//! Keychain on macOS and Credential Manager on Windows (the native stores of `keyring-core`). Entries
//! are namespaced per environment: service `com.atomagentos.marketplace/<environment>`, user
//! `<entry name>`. Calls block; the session makes them on a blocking thread with a timeout.
//! On Windows a secret longer than a credential holds is kept in several (`split.rs`).

use atom_core::{Secret, SecretStore, StoreError};

#[cfg(target_os = "linux")]
mod secret_service;
// Used on Windows; built and unit-tested everywhere.
#[cfg_attr(not(windows), allow(dead_code))]
mod split;

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

#[cfg(target_os = "linux")]
fn key<'a>(namespace: &str, account: &'a str) -> secret_service::Key<'a> {
    secret_service::Key { service: service(namespace), username: account }
}

#[cfg(target_os = "linux")]
impl SecretStore for OsKeystore {
    fn get(&self, namespace: &str, account: &str) -> Result<Option<Secret>, StoreError> {
        secret_service::get(&key(namespace, account))
    }

    fn set(&self, namespace: &str, account: &str, secret: &Secret) -> Result<(), StoreError> {
        let label = format!("ATOM Marketplace: {account} ({namespace})");
        secret_service::set(&key(namespace, account), &label, secret)
    }

    fn delete(&self, namespace: &str, account: &str) -> Result<(), StoreError> {
        secret_service::delete(&key(namespace, account))
    }

    fn kind(&self) -> &'static str {
        "Secret Service"
    }
}

/// macOS and Windows: the keyring ecosystem's maintained native stores (`keyring-core` with
/// `apple-native-keyring-store` and `windows-native-keyring-store`, the line keyring 3's notes point to).
/// Their default configurations name credentials as keyring 3 did (Keychain: service and account;
/// Credential Manager: `<user>.<service>`), so entries written by earlier versions stay readable
/// (`tests/keystore.rs` checks it on Windows against keyring 3 itself).
#[cfg(any(windows, target_os = "macos"))]
mod native {
    use std::sync::{Arc, OnceLock};

    use keyring_core::{CredentialStore, Entry, Error};

    use super::*;

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
            .get_or_init(|| {
                #[cfg(windows)]
                let made = windows_native_keyring_store::Store::new();
                #[cfg(target_os = "macos")]
                let made = apple_native_keyring_store::keychain::Store::new();
                made.map(|s| s as Arc<CredentialStore>).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| StoreError::Unavailable(e.clone()))
    }

    fn entry(namespace: &str, account: &str) -> Result<Entry, StoreError> {
        Entry::new_in_store(store()?, &service(namespace), account).map_err(map)
    }

    fn read(namespace: &str, account: &str) -> Result<Option<String>, StoreError> {
        match entry(namespace, account)?.get_password() {
            Ok(p) => Ok(Some(p)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(map(e)),
        }
    }

    fn write(namespace: &str, account: &str, value: &str) -> Result<(), StoreError> {
        entry(namespace, account)?.set_password(value).map_err(map)
    }

    fn remove(namespace: &str, account: &str) -> Result<(), StoreError> {
        match entry(namespace, account)?.delete_credential() {
            Ok(()) | Err(Error::NoEntry) => Ok(()),
            Err(e) => Err(map(e)),
        }
    }

    /// The credentials of one namespace, for `split.rs`.
    #[cfg(windows)]
    struct Credentials<'a>(&'a str);

    #[cfg(windows)]
    impl split::Entries for Credentials<'_> {
        fn capacity(&self) -> usize {
            // Windows' CRED_MAX_CREDENTIAL_BLOB_SIZE (2,560 bytes), in the UTF-16 a password is kept in
            // (as keyring 3 kept it, so that earlier versions' entries read back).
            1280
        }
        fn read(&self, name: &str) -> Result<Option<String>, StoreError> {
            read(self.0, name)
        }
        fn write(&self, name: &str, value: &str) -> Result<(), StoreError> {
            write(self.0, name, value)
        }
        fn remove(&self, name: &str) -> Result<(), StoreError> {
            remove(self.0, name)
        }
    }

    #[cfg(windows)]
    impl SecretStore for OsKeystore {
        fn get(&self, namespace: &str, account: &str) -> Result<Option<Secret>, StoreError> {
            split::get(&Credentials(namespace), account)
        }

        fn set(&self, namespace: &str, account: &str, secret: &Secret) -> Result<(), StoreError> {
            split::set(&Credentials(namespace), account, secret)
        }

        fn delete(&self, namespace: &str, account: &str) -> Result<(), StoreError> {
            split::delete(&Credentials(namespace), account)
        }

        fn kind(&self) -> &'static str {
            "Windows Credential Manager"
        }
    }

    #[cfg(target_os = "macos")]
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
}

/// Elsewhere (the BSDs, say) there is no OS store this app knows: [`OsKeystore::is_supported`] says
/// so, and the app keeps secrets for the session only.
#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
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
