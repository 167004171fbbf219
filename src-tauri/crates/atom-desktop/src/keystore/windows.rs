//! Windows: Credential Manager (`windows-native-keyring-store`); a secret longer than one credential
//! holds is kept in several (`split.rs`), whose parts are found by listing.

use std::sync::Arc;

use atom_core::{Secret, SecretStore, StoreError};
use keyring_core::CredentialStore;

use super::native::{read, remove, write};
use super::{service, split, OsKeystore};

/// The store `native.rs` uses here.
pub(super) fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    windows_native_keyring_store::Store::new().map(|s| s as Arc<CredentialStore>)
}

/// The credentials of one namespace, for `split.rs`.
struct Credentials<'a>(&'a str);

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
    fn parts(&self, name: &str) -> Result<Vec<String>, StoreError> {
        credential_users(&format!("{name}#"), &service(self.0))
    }
}

/// The user names of the generic credentials of `service` whose user name starts with `prefix`:
/// Credential Manager names them `<user>.<service>` (as keyring 3 did), and lists them by a
/// filter with a trailing `*` (`CredEnumerateW`).
fn credential_users(prefix: &str, service: &str) -> Result<Vec<String>, StoreError> {
    use windows_sys::Win32::Foundation::{GetLastError, ERROR_NOT_FOUND};
    use windows_sys::Win32::Security::Credentials::{CredEnumerateW, CredFree, CREDENTIALW};
    let filter: Vec<u16> = format!("{prefix}*").encode_utf16().chain(Some(0)).collect();
    let mut count = 0u32;
    let mut list: *mut *mut CREDENTIALW = std::ptr::null_mut();
    // SAFETY: a NUL-terminated filter, and out-pointers the call fills; the list is freed below.
    if unsafe { CredEnumerateW(filter.as_ptr(), 0, &mut count, &mut list) } == 0 {
        // SAFETY: reads the calling thread's last error.
        return match unsafe { GetLastError() } {
            ERROR_NOT_FOUND => Ok(Vec::new()),
            code => {
                Err(StoreError::Unavailable(format!("Credential Manager could not list entries ({code})")))
            }
        };
    }
    let suffix = format!(".{service}");
    let mut users = Vec::new();
    // SAFETY: `list` holds `count` credential pointers, valid until CredFree. Each is read without
    // assuming its alignment: Wine packs the structures it returns at any address.
    for credential in unsafe { std::slice::from_raw_parts(list, count as usize) } {
        // SAFETY: a valid credential, copied out; its target name is a NUL-terminated UTF-16
        // string, read a unit at a time.
        let target = unsafe {
            let name = std::ptr::read_unaligned(*credential).TargetName;
            let len = (0..).take_while(|&i| std::ptr::read_unaligned(name.add(i)) != 0).count();
            let units: Vec<u16> = (0..len).map(|i| std::ptr::read_unaligned(name.add(i))).collect();
            String::from_utf16_lossy(&units)
        };
        if let Some(user) = target.strip_suffix(&suffix).filter(|u| u.starts_with(prefix)) {
            users.push(user.to_string());
        }
    }
    // SAFETY: the list CredEnumerateW allocated, freed once.
    unsafe { CredFree(list as *const std::ffi::c_void) };
    Ok(users)
}

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
