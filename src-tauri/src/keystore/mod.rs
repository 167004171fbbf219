//! The OS keystore as a [`SecretStore`]: Secret Service on Linux (our client, `secret_service.rs`),
//! Keychain on macOS and Credential Manager on Windows (keyring's native stores; never its in-memory
//! mock). Entries are namespaced per environment: service `com.atomagentos.marketplace/<environment>`,
//! user `<entry name>`. Calls block; the session makes them on a blocking thread with a timeout.
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
    /// True when the store would be keyring's in-memory mock instead of a real OS store (a platform
    /// keyring has no native store for); such a store must never be used, as it silently forgets
    /// everything.
    pub fn is_mock() -> bool {
        #[cfg(target_os = "linux")]
        return false;
        #[cfg(not(target_os = "linux"))]
        native::is_mock()
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

#[cfg(not(target_os = "linux"))]
mod native {
    use super::*;

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
            // What the store will never take, however often it is asked.
            e @ (keyring::Error::TooLong(..) | keyring::Error::Invalid(..)) => {
                StoreError::Refused(e.to_string())
            }
            other => StoreError::Failed(other.to_string()),
        }
    }

    fn entry(namespace: &str, account: &str) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(&service(namespace), account).map_err(map)
    }

    pub fn is_mock() -> bool {
        let Ok(entry) = keyring::Entry::new(&service("probe"), "probe") else {
            return false;
        };
        entry.get_credential().is::<keyring::mock::MockCredential>()
    }

    /// The credentials of one namespace, for `split.rs`.
    #[cfg(windows)]
    struct Credentials<'a>(&'a str);

    #[cfg(windows)]
    impl split::Entries for Credentials<'_> {
        fn capacity(&self) -> usize {
            // Windows' CRED_MAX_CREDENTIAL_BLOB_SIZE (2,560 bytes), in the UTF-16 keyring writes.
            1280
        }
        fn read(&self, name: &str) -> Result<Option<String>, StoreError> {
            match entry(self.0, name)?.get_password() {
                Ok(p) => Ok(Some(p)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(map(e)),
            }
        }
        fn write(&self, name: &str, value: &str) -> Result<(), StoreError> {
            entry(self.0, name)?.set_password(value).map_err(map)
        }
        fn remove(&self, name: &str) -> Result<(), StoreError> {
            match entry(self.0, name)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(map(e)),
            }
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

    #[cfg(not(windows))]
    impl SecretStore for OsKeystore {
        fn get(&self, namespace: &str, account: &str) -> Result<Option<Secret>, StoreError> {
            match entry(namespace, account)?.get_password() {
                Ok(p) => Ok(Some(Secret::new(p))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(map(e)),
            }
        }

        fn set(&self, namespace: &str, account: &str, secret: &Secret) -> Result<(), StoreError> {
            entry(namespace, account)?.set_password(secret.expose()).map_err(map)
        }

        fn delete(&self, namespace: &str, account: &str) -> Result<(), StoreError> {
            match entry(namespace, account)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(map(e)),
            }
        }

        fn kind(&self) -> &'static str {
            "macOS Keychain"
        }
    }
}
