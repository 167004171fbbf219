//! The keystore check: the app keeps, reads back and removes a throwaway entry of its own, as a sign-in
//! keeps its refresh token, and says which keystore answered and how. No account's entry is read (no
//! secret can be shown), and the entry it writes holds nothing secret.

use std::sync::Arc;
use std::time::Duration;

use atom_core::{KeptSignIn, Secret, SecretStore, StoreError};

use super::{Finding, Verdict};

const CHECK: &str = "Keystore";
/// The check's own entry, apart from every account's (service `com.atomagentos.marketplace/doctor`).
pub const PROBE_NAMESPACE: &str = "doctor";
const PROBE_ENTRY: &str = "probe";

/// What to do when the desktop has no keystore the app can use, by the kind of keystore expected.
fn install_fix(kind: &str) -> &'static str {
    match kind {
        "Secret Service" => {
            "Install and start a Secret Service keyring (GNOME Keyring: the gnome-keyring package; or \
             KeePassXC with its Secret Service integration turned on), then start the app again. Until \
             then the app keeps your sign-in only until it closes."
        }
        _ => {
            "This system's keystore could not be reached; until it can, the app keeps your sign-in only \
              until it closes."
        }
    }
}

fn unlock_fix(kind: &str) -> &'static str {
    match kind {
        "Secret Service" => {
            "Unlock your keyring (GNOME: Passwords and Keys, right-click \"Login\", Unlock; KeePassXC: open \
             its database), then sign in again."
        }
        "macOS Keychain" => "Unlock the login keychain in Keychain Access, then sign in again.",
        _ => "Unlock the keystore, then sign in again.",
    }
}

/// The keystore program a process name is (the Secret Service is a protocol: GNOME Keyring, KeePassXC
/// and KWallet each answer it). Linux's `comm` is cut at 15 bytes: "gnome-keyring-d".
pub fn provider_name(process: &str) -> String {
    let p = process.trim().to_ascii_lowercase();
    if p.starts_with("gnome-keyring") {
        "GNOME Keyring".into()
    } else if p.starts_with("keepassxc") {
        "KeePassXC".into()
    } else if p.starts_with("kwalletd") || p.starts_with("ksecretd") {
        "KWallet".into()
    } else {
        process.trim().to_string()
    }
}

/// Which program answers as the Secret Service in this session: the owner of its D-Bus name, by its
/// process's name. `None` when it cannot be told (no session, no owner, another PID namespace).
#[cfg(target_os = "linux")]
pub fn secret_service_provider() -> Option<String> {
    let connection = zbus::blocking::Connection::session().ok()?;
    let dbus = zbus::blocking::fdo::DBusProxy::new(&connection).ok()?;
    let name = zbus::names::BusName::try_from("org.freedesktop.secrets").ok()?;
    let pid = dbus.get_connection_unix_process_id(name).ok()?;
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(provider_name(&comm)).filter(|p| !p.is_empty())
}

#[cfg(not(target_os = "linux"))]
pub fn secret_service_provider() -> Option<String> {
    None
}

/// The keystore's name as the finding says it: the Secret Service with the program behind it.
fn described(kind: &'static str) -> String {
    match (kind, secret_service_provider()) {
        ("Secret Service", Some(provider)) => format!("{kind} ({provider})"),
        _ => kind.to_string(),
    }
}

/// Keeps, reads back and removes the check's entry in `store`. Blocks (a keystore may wait on an
/// unlock prompt): call it on a blocking thread, with a timeout.
pub fn check(store: &dyn SecretStore) -> Finding {
    let kind = store.kind();
    if kind == "none" || kind == "memory" {
        return Finding::new(
            CHECK,
            Verdict::Problem,
            "this build has no keystore: every start asks you to sign in again",
        )
        .with_fix(install_fix(kind));
    }
    let written = Secret::new("written by Check sign-in; holds nothing secret");
    let outcome = store.set(PROBE_NAMESPACE, PROBE_ENTRY, &written).and_then(|()| {
        let read = store.get(PROBE_NAMESPACE, PROBE_ENTRY);
        let removed = store.delete(PROBE_NAMESPACE, PROBE_ENTRY);
        read.and_then(|read| removed.map(|()| read))
    });
    match outcome {
        Ok(Some(read)) if read.expose() == written.expose() => Finding::new(
            CHECK,
            Verdict::Ok,
            format!("{}: an entry was kept, read back and removed", described(kind)),
        ),
        Ok(_) => Finding::new(CHECK, Verdict::Problem, format!("{kind} kept an entry but did not give it back whole"))
            .with_fix("Your keystore loses what it is given: check that it is not full or read-only, or use another one."),
        Err(StoreError::Locked) => {
            Finding::new(CHECK, Verdict::Problem, format!("{} is locked", described(kind))).with_fix(unlock_fix(kind))
        }
        Err(StoreError::Timeout(after)) => too_slow(CHECK, kind, after),
        Err(StoreError::Unavailable(why)) => {
            Finding::new(CHECK, Verdict::Problem, format!("no keystore answered ({why})")).with_fix(install_fix(kind))
        }
        Err(e) => Finding::new(CHECK, Verdict::Problem, format!("{kind}: {e}"))
            .with_fix("Try again; if it keeps failing, copy the report below into a support request."),
    }
}

/// The check of this account's own entry, by its name in the findings.
pub const KEPT: &str = "Sign-in kept";

/// Whether the next start finds this account's sign-in: `kept` is what the keystore gave back
/// (`Account::kept_sign_in`), `kind` the keystore's name. No value is read into the finding.
pub fn kept_finding(kept: &KeptSignIn, kind: &str) -> Finding {
    let what = |entry: &str| if entry == "api_key" { "API key" } else { "refresh token" };
    if kind == "none" || kind == "memory" {
        if matches!(kept, KeptSignIn::NotSignedIn) {
            return Finding::new(KEPT, Verdict::NotChecked, "not signed in: nothing to keep");
        }
        return Finding::new(
            KEPT,
            Verdict::Problem,
            "this sign-in is kept in memory only (no keystore): the next start will ask you to sign in again",
        )
        .with_fix(install_fix(kind));
    }
    match kept {
        KeptSignIn::NotSignedIn => Finding::new(KEPT, Verdict::NotChecked, "not signed in: nothing to keep"),
        KeptSignIn::NothingToKeep => Finding::new(
            KEPT,
            Verdict::Warning,
            "the server gave this sign-in no refresh token, so nothing is kept: it ends when its access token \
             does, and the next start asks you to sign in again",
        )
        .with_fix("The server decides this: its administrator can give the app refresh tokens."),
        KeptSignIn::Kept { entry } => Finding::new(
            KEPT,
            Verdict::Ok,
            format!(
                "{} gave this account's {} back as the next start will read it: you stay signed in",
                kind,
                what(entry)
            ),
        ),
        KeptSignIn::Missing { entry } => Finding::new(
            KEPT,
            Verdict::Problem,
            format!(
                "{} does not hold this account's {}: the next start will ask you to sign in again",
                kind,
                what(entry)
            ),
        )
        .with_fix(
            "Sign out and sign in again to keep it anew. If it goes missing again, another program may be \
             clearing your keyring, or it may be locked (see Keystore).",
        ),
        KeptSignIn::Unreadable(StoreError::Locked) => {
            Finding::new(KEPT, Verdict::Problem, format!("{kind} is locked: this account's sign-in cannot be read"))
                .with_fix(unlock_fix(kind))
        }
        KeptSignIn::Unreadable(StoreError::Timeout(after)) => too_slow(KEPT, kind, *after),
        KeptSignIn::Unreadable(e) => Finding::new(
            KEPT,
            Verdict::Problem,
            format!("this account's sign-in could not be read back from {kind} ({e})"),
        )
        .with_fix("Check again; if it keeps failing, copy the report below into a support request."),
    }
}

fn too_slow(check: &str, kind: &str, after: Duration) -> Finding {
    Finding::new(check, Verdict::Problem, format!("{kind} did not answer within {} s", after.as_secs()))
        .with_fix("An unlock prompt may be waiting behind another window: answer it, then check again.")
}

/// [`check`] on a blocking thread, given up after `limit` (a locked keystore may hold the call at an
/// unlock prompt; the entry it was writing is removed by the next check).
pub async fn check_within(store: Arc<dyn SecretStore>, limit: Duration) -> Finding {
    let kind = store.kind();
    match tokio::time::timeout(limit, tokio::task::spawn_blocking(move || check(store.as_ref()))).await {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => Finding::new(CHECK, Verdict::Problem, format!("the check stopped: {e}")),
        Err(_) => too_slow(CHECK, kind, limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atom_core::MemoryStore;

    #[test]
    fn the_kept_sign_in_is_told_without_its_value() {
        let kind = "Secret Service";
        let kept = kept_finding(&KeptSignIn::Kept { entry: "refresh_token" }, kind);
        assert_eq!(kept.verdict, Verdict::Ok, "{kept:?}");
        assert!(kept.detail.contains("refresh token back"), "{}", kept.detail);
        let key = kept_finding(&KeptSignIn::Kept { entry: "api_key" }, kind);
        assert!(key.detail.contains("API key back"), "{}", key.detail);
        let missing = kept_finding(&KeptSignIn::Missing { entry: "refresh_token" }, kind);
        assert_eq!(missing.verdict, Verdict::Problem);
        assert!(missing.detail.contains("ask you to sign in again"), "{}", missing.detail);
        assert!(missing.fix.unwrap().starts_with("Sign out and sign in again"));
        let locked = kept_finding(&KeptSignIn::Unreadable(StoreError::Locked), kind);
        assert!(locked.fix.unwrap().starts_with("Unlock your keyring"));
        let slow = kept_finding(&KeptSignIn::Unreadable(StoreError::Timeout(Duration::from_secs(5))), kind);
        assert_eq!((slow.check.as_str(), slow.verdict), (KEPT, Verdict::Problem));
        assert_eq!(kept_finding(&KeptSignIn::NothingToKeep, kind).verdict, Verdict::Warning);
        assert_eq!(kept_finding(&KeptSignIn::NotSignedIn, kind).verdict, Verdict::NotChecked);
        let memory = kept_finding(&KeptSignIn::Kept { entry: "refresh_token" }, "memory");
        assert_eq!(memory.verdict, Verdict::Problem);
        assert!(memory.detail.contains("memory only"), "{}", memory.detail);
    }

    /// A keystore that fails as told.
    struct Failing(fn() -> StoreError);

    impl SecretStore for Failing {
        fn get(&self, _: &str, _: &str) -> Result<Option<Secret>, StoreError> {
            Err((self.0)())
        }
        fn set(&self, _: &str, _: &str, _: &Secret) -> Result<(), StoreError> {
            Err((self.0)())
        }
        fn delete(&self, _: &str, _: &str) -> Result<(), StoreError> {
            Err((self.0)())
        }
        fn kind(&self) -> &'static str {
            "Secret Service"
        }
    }

    /// Keeps nothing it is given.
    struct Forgetful;

    impl SecretStore for Forgetful {
        fn get(&self, _: &str, _: &str) -> Result<Option<Secret>, StoreError> {
            Ok(None)
        }
        fn set(&self, _: &str, _: &str, _: &Secret) -> Result<(), StoreError> {
            Ok(())
        }
        fn delete(&self, _: &str, _: &str) -> Result<(), StoreError> {
            Ok(())
        }
        fn kind(&self) -> &'static str {
            "Secret Service"
        }
    }

    #[test]
    fn each_way_a_keystore_fails_is_named_with_its_fix() {
        let locked = check(&Failing(|| StoreError::Locked));
        assert_eq!(locked.verdict, Verdict::Problem);
        assert!(
            locked.detail.contains("locked") && locked.fix.as_deref().unwrap().contains("Unlock"),
            "{locked:?}"
        );
        let missing =
            check(&Failing(|| StoreError::Unavailable("org.freedesktop.secrets is not provided".into())));
        assert!(missing.detail.contains("no keystore answered"), "{missing:?}");
        assert!(missing.fix.as_deref().unwrap().contains("gnome-keyring"), "{missing:?}");
        let slow = check(&Failing(|| StoreError::Timeout(std::time::Duration::from_secs(5))));
        assert!(
            slow.detail.contains("within 5 s") && slow.fix.as_deref().unwrap().contains("prompt"),
            "{slow:?}"
        );
        let forgetful = check(&Forgetful);
        assert!(forgetful.detail.contains("did not give it back"), "{forgetful:?}");
    }

    #[test]
    fn the_program_behind_the_secret_service_is_named() {
        assert_eq!(provider_name("gnome-keyring-d\n"), "GNOME Keyring");
        assert_eq!(provider_name("keepassxc"), "KeePassXC");
        assert_eq!(provider_name("kwalletd6"), "KWallet");
        assert_eq!(provider_name("ksecretd"), "KWallet");
        assert_eq!(provider_name("my-vault"), "my-vault");
    }

    #[test]
    fn a_store_that_works_is_ok_and_keeps_nothing_of_the_check() {
        // MemoryStore says "memory": the check calls it no keystore, as the app's memory-only mode is.
        assert_eq!(check(&MemoryStore::default()).verdict, Verdict::Problem);
        struct Named(MemoryStore);
        impl SecretStore for Named {
            fn get(&self, n: &str, a: &str) -> Result<Option<Secret>, StoreError> {
                self.0.get(n, a)
            }
            fn set(&self, n: &str, a: &str, s: &Secret) -> Result<(), StoreError> {
                self.0.set(n, a, s)
            }
            fn delete(&self, n: &str, a: &str) -> Result<(), StoreError> {
                self.0.delete(n, a)
            }
            fn kind(&self) -> &'static str {
                "Secret Service"
            }
        }
        let store = Named(MemoryStore::default());
        let found = check(&store);
        assert_eq!(found.verdict, Verdict::Ok, "{found:?}");
        assert!(store.get(PROBE_NAMESPACE, PROBE_ENTRY).unwrap().is_none(), "the check's entry is removed");
    }
}
