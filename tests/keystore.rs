//! The OS keystore through the real Secret Service (gnome-keyring in the test's D-Bus session).
//! On Windows and macOS the same code uses Credential Manager and Keychain, which cannot run here.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use atom_core::{Secret, SecretStore, StoreError, StoreHandle};
use atom_marketplace::keystore::{service, KeyringStore};

mod support;
use support::LockedKeyring;

/// Serialises the tests: one of them locks the keyring.
static KEYRING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn secret_tool(args: &[&str]) -> Option<String> {
    let out = Command::new("secret-tool").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

#[test]
fn keyring_is_built_with_a_native_store_not_the_mock() {
    assert!(!KeyringStore::is_mock(), "keyring would silently keep secrets in memory");
}

#[test]
#[ignore = "needs a desktop session: scripts/test.sh"]
fn set_get_delete_through_the_secret_service() {
    let _guard = KEYRING.lock().unwrap_or_else(|p| p.into_inner());
    let store = KeyringStore;
    let ns = format!("test-{}", std::process::id());
    store.set(&ns, "refresh_token", &Secret::new("rt-value-1")).unwrap();
    assert_eq!(store.get(&ns, "refresh_token").unwrap().unwrap().expose(), "rt-value-1");
    // Another process sees it in the Secret Service: it is not kept in this process's memory.
    let seen = secret_tool(&["lookup", "service", &service(&ns), "username", "refresh_token"]);
    assert_eq!(seen.as_deref(), Some("rt-value-1"));
    store.set(&ns, "refresh_token", &Secret::new("rt-value-2")).unwrap();
    assert_eq!(store.get(&ns, "refresh_token").unwrap().unwrap().expose(), "rt-value-2");
    store.delete(&ns, "refresh_token").unwrap();
    assert!(store.get(&ns, "refresh_token").unwrap().is_none());
    assert!(secret_tool(&["lookup", "service", &service(&ns), "username", "refresh_token"]).is_none());
    store.delete(&ns, "refresh_token").expect("deleting a missing entry is fine");
}

#[test]
#[ignore = "needs a desktop session: scripts/test.sh"]
fn environments_do_not_share_entries() {
    let _guard = KEYRING.lock().unwrap_or_else(|p| p.into_inner());
    let store = KeyringStore;
    let a = format!("prod-{}", std::process::id());
    let b = format!("sandbox-{}", std::process::id());
    store.set(&b, "refresh_token", &Secret::new("sandbox-token")).unwrap();
    assert!(store.get(&a, "refresh_token").unwrap().is_none());
    store.delete(&b, "refresh_token").unwrap();
}

#[test]
#[ignore = "needs a desktop session: scripts/test.sh"]
fn a_locked_keyring_gives_a_typed_error_within_the_timeout() {
    let _guard = KEYRING.lock().unwrap_or_else(|p| p.into_inner());
    let ns = format!("locked-{}", std::process::id());
    KeyringStore.set(&ns, "refresh_token", &Secret::new("before-lock")).unwrap();
    let locked = LockedKeyring::lock();

    let handle = StoreHandle::new(Arc::new(KeyringStore), ns.clone()).with_timeout(Duration::from_secs(3));
    let started = Instant::now();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let result = runtime.block_on(handle.get("refresh_token"));
    let took = started.elapsed();

    // Unlock again for the other tests, whatever happened.
    locked.unlock();

    match result {
        Err(StoreError::Timeout(_) | StoreError::Locked | StoreError::Unavailable(_)) => {}
        other => panic!("a locked keyring must be a typed error, got {other:?}"),
    }
    assert!(took < Duration::from_millis(3_800), "answered in {took:?}, within the timeout");
}
