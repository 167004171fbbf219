//! The OS keystore, for real: on Linux the Secret Service (gnome-keyring in the test's D-Bus session),
//! our client checked against libsecret's `secret-tool`, a client nobody here wrote; on Windows the
//! Credential Manager (Wine's here, Windows' own in the hosted job), checked against keyring's client,
//! which earlier versions of the app wrote with. macOS' Keychain runs in the hosted job only.
//!
//! The first tests hold on every platform; the `linux` and `windows` modules test what only that
//! platform's store does.

use atom_core::{Secret, SecretStore};
use atom_desktop::keystore::OsKeystore;

/// Serialises the tests: one of them locks the keyring.
static KEYRING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    KEYRING.lock().unwrap_or_else(|p| p.into_inner())
}

/// A namespace of this run's own.
fn namespace(name: &str) -> String {
    format!("test-{name}-{}", std::process::id())
}

/// A refresh token as long as some servers issue (Entra ID, Keycloak with many roles): 4,000
/// characters, over three times what one Windows credential holds.
fn long_token() -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    (0..4000).map(|i| char::from(alphabet[i % alphabet.len()])).collect()
}

/// On Linux the tests need the desktop session `scripts/with-desktop.sh` makes; Windows' and macOS'
/// stores are always there.
macro_rules! needs_a_keystore {
    ($(#[$doc:meta])* fn $name:ident() $body:block) => {
        $(#[$doc])*
        #[test]
        #[cfg_attr(target_os = "linux", ignore = "needs a desktop session: scripts/test.sh")]
        fn $name() $body
    };
}

#[test]
fn this_platform_has_an_os_keystore() {
    assert!(OsKeystore::is_supported(), "secrets would be kept for the session only");
}

needs_a_keystore! {
    fn store_read_replace_delete() {
        let _guard = lock();
        let ns = namespace("crud");
        OsKeystore.set(&ns, "refresh_token", &Secret::new("rt-value-1")).unwrap();
        assert_eq!(OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(), "rt-value-1");
        OsKeystore.set(&ns, "refresh_token", &Secret::new("rt-value-2")).unwrap();
        assert_eq!(OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(), "rt-value-2");
        OsKeystore.delete(&ns, "refresh_token").unwrap();
        assert!(OsKeystore.get(&ns, "refresh_token").unwrap().is_none());
        OsKeystore.delete(&ns, "refresh_token").expect("deleting a missing entry is fine");
    }
}

needs_a_keystore! {
    fn environments_do_not_share_entries() {
        let _guard = lock();
        let (production, sandbox) = (namespace("production"), namespace("sandbox"));
        OsKeystore.set(&production, "refresh_token", &Secret::new("production-token")).unwrap();
        assert!(OsKeystore.get(&sandbox, "refresh_token").unwrap().is_none());
        OsKeystore.set(&sandbox, "refresh_token", &Secret::new("sandbox-token")).unwrap();
        assert_eq!(OsKeystore.get(&production, "refresh_token").unwrap().unwrap().expose(), "production-token");
        OsKeystore.delete(&sandbox, "refresh_token").unwrap();
        assert_eq!(OsKeystore.get(&production, "refresh_token").unwrap().unwrap().expose(), "production-token");
        OsKeystore.delete(&production, "refresh_token").unwrap();
    }
}

needs_a_keystore! {
    fn a_long_refresh_token_is_kept_replaced_and_deleted_whole() {
        let _guard = lock();
        let ns = namespace("long");
        let token = long_token();
        OsKeystore.set(&ns, "refresh_token", &Secret::new(token.clone())).unwrap();
        assert_eq!(OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(), token);
        let rotated = format!("{}-rotated", &token[..3000]);
        OsKeystore.set(&ns, "refresh_token", &Secret::new(rotated.clone())).unwrap();
        assert_eq!(OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(), rotated);
        OsKeystore.delete(&ns, "refresh_token").unwrap();
        assert!(OsKeystore.get(&ns, "refresh_token").unwrap().is_none());
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::process::Command;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use atom_core::{Patient, Secret, SecretStore, StoreError, StoreHandle};
    use atom_desktop::keystore::{service, OsKeystore};

    use super::{lock, long_token, namespace};
    use atom_webdriver::LockedKeyring;

    fn secret_tool(args: &[&str]) -> Option<String> {
        let out = Command::new("secret-tool").args(args).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).to_string())
    }

    #[test]
    #[ignore = "needs a desktop session: scripts/test.sh"]
    fn a_long_token_is_one_entry_that_another_client_reads() {
        let _guard = lock();
        let ns = namespace("long-linux");
        OsKeystore.set(&ns, "refresh_token", &Secret::new(long_token())).unwrap();
        let seen = secret_tool(&["lookup", "service", &service(&ns), "username", "refresh_token"]);
        assert_eq!(seen, Some(long_token()), "the Secret Service has no length limit: kept as one entry");
        OsKeystore.delete(&ns, "refresh_token").unwrap();
    }

    #[test]
    #[ignore = "needs a desktop session: scripts/test.sh"]
    fn set_get_delete_through_the_secret_service() {
        let _guard = lock();
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
        let _guard = lock();
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
        let _guard = lock();
        let ns = format!("upgrade-{}", std::process::id());
        let svc = service(&ns);
        secret_tool_store("rt-from-the-old-version", &keyring_attributes(&svc));
        assert_eq!(
            OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(),
            "rt-from-the-old-version"
        );
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
        let _guard = lock();
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

    /// The namespace's keystore as the session holds it (calls in order, 3 s of waiting each), and a
    /// runtime to drive it.
    fn handle(ns: &str) -> (StoreHandle, tokio::runtime::Runtime) {
        let handle = StoreHandle::new(Arc::new(OsKeystore), ns).with_timeout(Duration::from_secs(3));
        (handle, tokio::runtime::Runtime::new().unwrap())
    }

    /// The sign-in doctor's keystore check against the session's real gnome-keyring: healthy, then
    /// locked (named, with the way to unlock it, in time), then healthy again once unlocked.
    #[test]
    #[ignore = "needs a desktop session: scripts/test.sh"]
    fn the_doctor_tells_a_working_keyring_from_a_locked_one() {
        use atom_desktop::doctor::{keystore::check_within, Verdict};
        let _guard = lock();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let check = || runtime.block_on(check_within(Arc::new(OsKeystore), Duration::from_secs(3)));
        let healthy = check();
        assert_eq!(healthy.verdict, Verdict::Ok, "{healthy:?}");
        assert!(healthy.detail.starts_with("Secret Service"), "{healthy:?}");

        let locked = LockedKeyring::lock();
        let started = Instant::now();
        let found = check();
        let took = started.elapsed();
        locked.unlock();
        assert_eq!(found.verdict, Verdict::Problem, "{found:?}");
        assert!(found.detail.contains("locked") || found.detail.contains("did not answer"), "{found:?}");
        assert!(found.fix.is_some(), "{found:?}");
        assert!(took < Duration::from_secs(5), "the check took {took:?}");
        assert_eq!(check().verdict, Verdict::Ok, "unlocked again");
    }

    /// With no prompt that can show (the session's prompter has no display), a locked keyring is a
    /// typed error within the timeout, and the entry is still there once unlocked.
    #[test]
    #[ignore = "needs a desktop session: scripts/test.sh"]
    fn a_locked_keyring_with_no_prompt_gives_a_typed_error_in_time_and_loses_nothing() {
        let _guard = lock();
        let ns = namespace("locked");
        OsKeystore.set(&ns, "refresh_token", &Secret::new("before-lock")).unwrap();
        let locked = LockedKeyring::lock();

        let (handle, runtime) = handle(&ns);
        let started = Instant::now();
        let result = runtime.block_on(handle.get("refresh_token"));
        let took = started.elapsed();

        // Unlock again for the other tests, whatever happened.
        locked.unlock();

        match result {
            Err(StoreError::Timeout(_) | StoreError::Locked | StoreError::Unavailable(_)) => {}
            other => panic!("a locked keyring must be a typed error, got {other:?}"),
        }
        assert!(took < Duration::from_millis(3_800), "answered in {took:?}, within the timeout");
        assert_eq!(OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(), "before-lock");
        OsKeystore.delete(&ns, "refresh_token").unwrap();
    }

    /// GNOME's unlock prompt (gcr's prompter, which gnome-keyring asks for over D-Bus) on the test's
    /// display while this lives; [`UnlockPrompter::answer`] plays the user typing the password. The
    /// session's own prompter is started by D-Bus without a display and cannot show: this one is
    /// started by the test, with it.
    struct UnlockPrompter(std::process::Child);

    impl UnlockPrompter {
        const NAME: &'static str = "org.gnome.keyring.SystemPrompter";

        fn start() -> UnlockPrompter {
            let child = Command::new("/usr/libexec/gcr-prompter")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("gcr's prompter (installed with gnome-keyring) runs");
            let prompter = UnlockPrompter(child);
            let deadline = Instant::now() + Duration::from_secs(10);
            while !Self::registered() {
                assert!(Instant::now() < deadline, "the prompter did not take {} on the bus", Self::NAME);
                std::thread::sleep(Duration::from_millis(100));
            }
            prompter
        }

        fn registered() -> bool {
            let out = Command::new("dbus-send")
                .args(["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/"])
                .args(["org.freedesktop.DBus.NameHasOwner", &format!("string:{}", Self::NAME)])
                .output();
            out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
        }

        /// Waits for the "Unlock Login Keyring" window and types the session's password into it.
        fn answer(&self) {
            let password =
                std::env::var("ATOM_KEYRING_PASSWORD").unwrap_or_else(|_| "atom-desktop-tests".into());
            let out = Command::new("timeout")
                .args(["30", "xdotool", "search", "--sync", "--onlyvisible", "--name", "Unlock"])
                .output()
                .expect("xdotool runs");
            let window = String::from_utf8_lossy(&out.stdout).lines().next().map(str::to_owned);
            let window = window.expect("the unlock prompt showed within 30 s");
            let xdotool = |args: &[&str]| {
                let status = Command::new("xdotool").args(args).status().expect("xdotool runs");
                assert!(status.success(), "xdotool {args:?}");
            };
            xdotool(&["windowfocus", "--sync", &window]);
            xdotool(&["type", "--window", &window, "--delay", "20", &password]);
            xdotool(&["key", "--window", &window, "Return"]);
        }
    }

    impl Drop for UnlockPrompter {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// The keyring is locked and its unlock prompt is up at start-up: the caller stops waiting within
    /// the timeout (the window is not held), the read keeps its turn, and when the user types the
    /// password a while later the read answers with the entry (the session then signs in:
    /// `races_and_faults::a_keystore_unlocked_late_at_start_up_signs_in_then`).
    #[test]
    #[ignore = "needs a desktop session: scripts/test.sh"]
    fn a_keyring_unlocked_late_at_its_real_prompt_answers_the_waiting_read() {
        let _guard = lock();
        let ns = namespace("late");
        OsKeystore.set(&ns, "refresh_token", &Secret::new("before-lock")).unwrap();
        let locked = LockedKeyring::lock();
        let prompter = UnlockPrompter::start();
        let (handle, runtime) = handle(&ns);

        let started = Instant::now();
        let late = match runtime.block_on(handle.patiently(|s, ns| s.get(ns, "refresh_token"))) {
            Patient::Later(late) => late,
            Patient::Now(result) => panic!("the read should wait at the unlock prompt, got {result:?}"),
        };
        assert!(started.elapsed() < Duration::from_millis(3_800), "the caller was not held");
        std::thread::sleep(Duration::from_secs(2));
        prompter.answer();
        let value = runtime.block_on(late.wait(Duration::from_secs(60)));
        drop(prompter);
        locked.unlock();

        let value = value.expect("the read answers once the user unlocked");
        assert_eq!(value.as_ref().map(Secret::expose), Some("before-lock"));
        OsKeystore.delete(&ns, "refresh_token").unwrap();
    }

    /// The real-keyring form of "a sign-out stays signed out": a sign-in's write waits at the unlock
    /// prompt, the user signs out meanwhile (the session ends, its delete queues behind the write), then
    /// types the password. The write and the delete run in that order: nothing is left in the keyring
    /// for the next start to sign in with.
    #[test]
    #[ignore = "needs a desktop session: scripts/test.sh"]
    fn a_write_waiting_at_the_real_prompt_never_outlives_the_sign_out() {
        let _guard = lock();
        let ns = namespace("signout");
        let locked = LockedKeyring::lock();
        let prompter = UnlockPrompter::start();
        let (handle, runtime) = handle(&ns);

        let live = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let session = live.clone();
        let still_signed_in = move || session.load(std::sync::atomic::Ordering::SeqCst);
        let write =
            runtime.block_on(handle.set_while("refresh_token", &Secret::new("rt-new"), still_signed_in));
        assert!(matches!(write, Err(StoreError::Timeout(_))), "the write waits at the prompt: {write:?}");
        // Sign-out: the session ends, and its delete takes its turn after the write.
        live.store(false, std::sync::atomic::Ordering::SeqCst);
        let cleared = runtime.block_on(handle.delete("refresh_token"));
        assert!(matches!(cleared, Err(StoreError::Timeout(_))), "queued behind the write: {cleared:?}");

        prompter.answer();
        let deadline = Instant::now() + Duration::from_secs(60);
        while handle.busy() {
            assert!(Instant::now() < deadline, "the queued calls ran once the keyring was unlocked");
            std::thread::sleep(Duration::from_millis(100));
        }
        drop(prompter);
        locked.unlock();

        assert_eq!(OsKeystore.get(&ns, "refresh_token").unwrap(), None, "signed out stays signed out");
        assert_eq!(secret_tool(&["lookup", "service", &service(&ns), "username", "refresh_token"]), None);
    }
}

/// Windows' Credential Manager, as the app keeps it (`keyring-core`'s Windows store) and as earlier
/// versions kept it (keyring 3, a dev-dependency here: the oracle for "existing entries stay readable").
/// Under Wine here (whose store does not enforce Windows' size limit: the stores' own checks do, as
/// Windows would), and on Windows itself in the hosted job.
#[cfg(windows)]
mod windows {
    use atom_core::{Secret, SecretStore, StoreError};
    use atom_desktop::keystore::{service, OsKeystore};

    use super::{lock, long_token, namespace};

    /// The entry as keyring 3 (and so the previous version of the app) reads and writes it.
    fn credential(ns: &str, name: &str) -> keyring::Entry {
        keyring::Entry::new(&service(ns), name).unwrap()
    }

    fn raw(ns: &str, name: &str) -> Option<String> {
        match credential(ns, name).get_password() {
            Ok(value) => Some(value),
            Err(keyring::Error::NoEntry) => None,
            Err(e) => panic!("{name}: {e}"),
        }
    }

    #[test]
    fn entries_of_the_previous_version_are_read_and_short_ones_are_written_as_it_did() {
        let _guard = lock();
        let ns = namespace("previous");
        credential(&ns, "refresh_token").set_password("rt-written-by-0.1").unwrap();
        assert_eq!(OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(), "rt-written-by-0.1");
        // A token that fits one credential is one credential, which the previous version reads.
        let fits = long_token()[..1280].to_string();
        OsKeystore.set(&ns, "refresh_token", &Secret::new(fits.clone())).unwrap();
        assert_eq!(raw(&ns, "refresh_token"), Some(fits));
        OsKeystore.delete(&ns, "refresh_token").unwrap();
        assert_eq!(raw(&ns, "refresh_token"), None);
    }

    #[test]
    fn a_token_longer_than_a_credential_holds_is_kept_in_parts_and_removed_with_them() {
        let _guard = lock();
        let ns = namespace("parts");
        // What failed before: one credential holds 1,280 characters (2,560 bytes of UTF-16).
        let too_long = long_token()[..1281].to_string();
        match credential(&ns, "refresh_token").set_password(&too_long) {
            Err(keyring::Error::TooLong(what, 2560)) => assert!(what.contains("UTF-16"), "{what}"),
            other => panic!("one credential took 1,281 characters: {other:?}"),
        }

        OsKeystore.set(&ns, "refresh_token", &Secret::new(long_token())).unwrap();
        let head = raw(&ns, "refresh_token").expect("the reference");
        let fields: Vec<&str> =
            head.strip_prefix("atom-split-v1:").expect("a reference").split(':').collect();
        let (generation, parts) = (fields[0], fields[1].parse::<usize>().unwrap());
        assert_eq!(parts, 4, "4,000 characters in parts of 1,280");
        let names: Vec<String> = (1..=parts).map(|i| format!("refresh_token#{generation}.{i}")).collect();
        let stored: String = names.iter().map(|n| raw(&ns, n).expect("each part is a credential")).collect();
        assert_eq!(stored, long_token());
        assert_eq!(OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(), long_token());

        OsKeystore.delete(&ns, "refresh_token").unwrap();
        assert_eq!(raw(&ns, "refresh_token"), None);
        for name in &names {
            assert_eq!(raw(&ns, name), None, "{name} was left behind");
        }
    }

    /// A write cut off between its parts and its reference (the app killed, the machine off) leaves
    /// parts no reference names, each a piece of a live token: a sign-out's delete finds them all in
    /// Credential Manager, by listing the entry's parts, and removes them.
    #[test]
    fn parts_a_cut_off_write_left_behind_are_removed_by_the_next_delete() {
        let _guard = lock();
        let ns = namespace("cut-off");
        OsKeystore.set(&ns, "refresh_token", &Secret::new(long_token())).unwrap();
        let orphans: Vec<String> = (1..=3).map(|i| format!("refresh_token#0ff1ce{i}.{i}")).collect();
        for orphan in &orphans {
            credential(&ns, orphan).set_password(&long_token()[..1280]).unwrap();
        }
        // Another namespace's part of the same name is another entry's, and stays.
        let other = namespace("cut-off-other");
        credential(&other, "refresh_token#0ff1ce1.1").set_password("another entry's part").unwrap();
        OsKeystore.delete(&ns, "refresh_token").unwrap();
        assert_eq!(raw(&ns, "refresh_token"), None);
        for orphan in &orphans {
            assert_eq!(raw(&ns, orphan), None, "{orphan} outlived the sign-out");
        }
        assert_eq!(raw(&other, "refresh_token#0ff1ce1.1").as_deref(), Some("another entry's part"));
        credential(&other, "refresh_token#0ff1ce1.1").delete_credential().unwrap();
    }

    #[test]
    fn a_secret_longer_than_the_store_keeps_is_refused_clearly_and_loses_nothing() {
        let _guard = lock();
        let ns = namespace("refused");
        OsKeystore.set(&ns, "refresh_token", &Secret::new("rt-before")).unwrap();
        let huge = "x".repeat(16 * 1280 + 1);
        let error = OsKeystore.set(&ns, "refresh_token", &Secret::new(huge)).unwrap_err();
        assert!(matches!(error, StoreError::Refused(_)), "{error:?}");
        assert_eq!(
            error.to_string(),
            "the keystore refused the secret (20481 characters, more than the 20480 this app keeps in the \
             system's keystore)"
        );
        assert_eq!(OsKeystore.get(&ns, "refresh_token").unwrap().unwrap().expose(), "rt-before");
        OsKeystore.delete(&ns, "refresh_token").unwrap();
    }
}
