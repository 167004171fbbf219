//! The OS keystore through the real Secret Service (gnome-keyring in the test's D-Bus session).
//! Our Secret Service client is checked against libsecret's `secret-tool`, a client nobody here wrote.
//! On Windows and macOS the store is keyring's Credential Manager and Keychain, which cannot run here.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use atom_core::{Secret, SecretStore, StoreError, StoreHandle};
use atom_marketplace::keystore::{service, OsKeystore};

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
    assert!(!OsKeystore::is_mock(), "keyring would silently keep secrets in memory");
}

#[test]
#[ignore = "needs a desktop session: scripts/test.sh"]
fn set_get_delete_through_the_secret_service() {
    let _guard = KEYRING.lock().unwrap_or_else(|p| p.into_inner());
    let store = OsKeystore;
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

/// Stores through libsecret's command-line client (another Secret Service client, with its own
/// encrypted session).
fn secret_tool_store(value: &str, attributes: &[&str]) {
    use std::io::Write;
    let mut child = Command::new("secret-tool")
        .args(["store", "--label", "written by secret-tool"])
        .args(attributes)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("secret-tool runs");
    child.stdin.take().unwrap().write_all(value.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "secret-tool stored the entry");
}

fn secret_tool_count(attributes: &[&str]) -> usize {
    let out = Command::new("secret-tool").args(["search", "--all"]).args(attributes).output().unwrap();
    // One "[/…]" header line per item (the item's path, shortened), then "key = value" lines.
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().filter(|l| l.starts_with("[/") && l.ends_with(']')).count()
}

/// The attributes of our entries for `svc`'s refresh token.
fn our_attributes(svc: &str) -> Vec<&str> {
    vec!["service", svc, "username", "refresh_token"]
}

/// What the app stored through keyring before it had its own client: two more attributes.
fn keyring_attributes(svc: &str) -> Vec<&str> {
    let mut attributes = our_attributes(svc);
    attributes.extend(["target", "default", "application", "rust-keyring"]);
    attributes
}

#[test]
#[ignore = "needs a desktop session: scripts/test.sh"]
fn a_secret_written_by_libsecret_reads_back_byte_for_byte() {
    let _guard = KEYRING.lock().unwrap_or_else(|p| p.into_inner());
    let ns = format!("libsecret-{}", std::process::id());
    let svc = service(&ns);
    // Long enough for several AES blocks, with characters beyond ASCII.
    let value = "rt-Ünïcødé-ключ-🔑-".repeat(5);
    secret_tool_store(&value, &our_attributes(&svc));
    assert_eq!(OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(), value);
    OsKeystore.delete(&ns, "refresh_token").unwrap();
    assert_eq!(secret_tool_count(&our_attributes(&svc)), 0);
}

#[test]
#[ignore = "needs a desktop session: scripts/test.sh"]
fn an_entry_of_an_earlier_version_is_read_then_replaced_not_duplicated() {
    let _guard = KEYRING.lock().unwrap_or_else(|p| p.into_inner());
    let ns = format!("upgrade-{}", std::process::id());
    let svc = service(&ns);
    secret_tool_store("rt-from-the-old-version", &keyring_attributes(&svc));
    assert_eq!(OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(), "rt-from-the-old-version");
    OsKeystore.set(&ns, "refresh_token", &Secret::new("rt-new")).unwrap();
    assert_eq!(secret_tool_count(&our_attributes(&svc)), 1, "one entry after the upgrade, not two");
    assert_eq!(
        secret_tool(&["lookup", "service", &svc, "username", "refresh_token"]).as_deref(),
        Some("rt-new")
    );
    assert_eq!(OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(), "rt-new");
    OsKeystore.delete(&ns, "refresh_token").unwrap();
}

#[test]
#[ignore = "needs a desktop session: scripts/test.sh"]
fn of_two_entries_for_one_key_the_newest_is_read() {
    let _guard = KEYRING.lock().unwrap_or_else(|p| p.into_inner());
    // First an upgrade cut short (the earlier version's entry, then ours written after it); then an
    // older version of the app that signed in since (its entry is the live one).
    for (case, ours_last) in [("upgrade", true), ("downgrade", false)] {
        let ns = format!("two-{case}-{}", std::process::id());
        let svc = service(&ns);
        let (ours, theirs) = (our_attributes(&svc), keyring_attributes(&svc));
        let (first, last) = if ours_last { (&theirs, &ours) } else { (&ours, &theirs) };
        secret_tool_store("rt-written-first", first);
        // The items' times are in seconds: the second write waits for the next second.
        std::thread::sleep(Duration::from_millis(1100));
        secret_tool_store("rt-written-last", last);
        assert_eq!(
            OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(),
            "rt-written-last",
            "{case}"
        );
        OsKeystore.delete(&ns, "refresh_token").unwrap();
        assert_eq!(secret_tool_count(&ours), 0, "{case}: delete removes every entry of the key");
    }
}

#[test]
#[ignore = "needs a desktop session: scripts/test.sh"]
fn environments_do_not_share_entries() {
    let _guard = KEYRING.lock().unwrap_or_else(|p| p.into_inner());
    let store = OsKeystore;
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
    OsKeystore.set(&ns, "refresh_token", &Secret::new("before-lock")).unwrap();
    let locked = LockedKeyring::lock();

    let handle = StoreHandle::new(Arc::new(OsKeystore), ns.clone()).with_timeout(Duration::from_secs(3));
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
