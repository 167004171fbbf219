//! The desktop session's processes, for the scenarios and the benchmark: the keyring locked or frozen,
//! the app's copies in this session found and ended, every process under a driver, stacks dumped when a
//! scenario is stuck. Always by process id: other sessions' processes on this machine are not ours.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::screenshot_path;

/// The session's keyring, locked until this is dropped: a scenario that fails while it holds the lock
/// still leaves the keyring unlocked for the next one.
pub struct LockedKeyring(());

impl LockedKeyring {
    pub fn lock() -> LockedKeyring {
        set_keyring_locked(true);
        LockedKeyring(())
    }

    pub fn unlock(self) {}
}

impl Drop for LockedKeyring {
    fn drop(&mut self) {
        set_keyring_locked(false);
    }
}

/// Locks the login collection of the session's gnome-keyring (as a screen lock would), or unlocks it
/// again with the session's password.
fn set_keyring_locked(lock: bool) {
    if lock {
        let status = Command::new("timeout")
            .args([
                "10",
                "dbus-send",
                "--session",
                "--dest=org.freedesktop.secrets",
                "--print-reply",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .stdout(Stdio::null())
            .status()
            .expect("dbus-send runs");
        assert!(status.success(), "the login collection locks");
    } else {
        unlock_login_collection();
    }
}

/// Unlocks the login collection with the session's password, as the user typing it at the prompt
/// does, through gnome-keyring's own call for it (no prompt, and the daemon keeps running: a call of
/// the app's waiting on it, at its unlock prompt, is answered). Earlier this replaced the daemon with
/// an unlocked one, which left such a call without an answer: the app's keystore queue then waited the
/// whole unlock wait, and a scenario that needed the write after the unlock failed, now and then.
#[cfg(target_os = "linux")]
fn unlock_login_collection() {
    use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};
    let password = std::env::var("ATOM_KEYRING_PASSWORD").unwrap_or_else(|_| "atom-desktop-tests".into());
    let conn = zbus::blocking::Connection::session().expect("the session bus");
    let service = ObjectPath::from_static_str_unchecked("/org/freedesktop/secrets");
    let reply = conn
        .call_method(
            Some("org.freedesktop.secrets"),
            &service,
            Some("org.freedesktop.Secret.Service"),
            "OpenSession",
            &("plain", Value::from("")),
        )
        .expect("a plain session with the Secret Service");
    let (_, session): (OwnedValue, OwnedObjectPath) = reply.body().deserialize().expect("a session");
    let login = ObjectPath::from_static_str_unchecked("/org/freedesktop/secrets/collection/login");
    let master = (session, Vec::<u8>::new(), password.into_bytes(), "text/plain");
    conn.call_method(
        Some("org.freedesktop.secrets"),
        &service,
        Some("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"),
        "UnlockWithMasterPassword",
        &(login, master),
    )
    .expect("gnome-keyring unlocks the login collection with the session's password");
    let deadline = Instant::now() + Duration::from_secs(5);
    while login_collection_locked() != Some(false) {
        assert!(Instant::now() < deadline, "the login collection is still locked after unlocking it");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(not(target_os = "linux"))]
fn unlock_login_collection() {
    panic!("the session keyring is gnome-keyring's, on Linux");
}

/// Whether the session keyring's login collection is locked (`None`: no answer).
#[cfg(target_os = "linux")]
fn login_collection_locked() -> Option<bool> {
    let out = Command::new("timeout")
        .args([
            "5",
            "dbus-send",
            "--session",
            "--dest=org.freedesktop.secrets",
            "--print-reply",
            "/org/freedesktop/secrets/collection/login",
            "org.freedesktop.DBus.Properties.Get",
            "string:org.freedesktop.Secret.Collection",
            "string:Locked",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("boolean false") {
        Some(false)
    } else if text.contains("boolean true") {
        Some(true)
    } else {
        None
    }
}

/// The session's gnome-keyring daemon, stopped with SIGSTOP (it receives D-Bus calls and answers none)
/// until this is dropped: a keystore that hangs, for the tests and the benchmark.
pub struct FrozenKeyring(Vec<u32>);

impl FrozenKeyring {
    pub fn freeze() -> FrozenKeyring {
        let out = Command::new("pgrep").args(["-x", "gnome-keyring-d"]).output().map(|o| o.stdout);
        let pids: Vec<u32> = String::from_utf8_lossy(&out.unwrap_or_default())
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        signal(&pids, "-STOP");
        FrozenKeyring(pids)
    }

    /// Whether a keyring daemon was found (and stopped).
    pub fn is_frozen(&self) -> bool {
        !self.0.is_empty()
    }
}

impl Drop for FrozenKeyring {
    fn drop(&mut self) {
        signal(&self.0, "-CONT");
    }
}

pub(crate) fn signal(pids: &[u32], signal: &str) {
    if pids.is_empty() {
        return;
    }
    let mut args = vec![signal.to_string(), "--".to_string()];
    args.extend(pids.iter().map(u32::to_string));
    let _ = Command::new("kill").args(&args).stderr(Stdio::null()).status();
}

/// When a scenario is stuck, with `ATOM_E2E_STACKS=1`: every thread's stack of the app and its WebKit
/// processes, written next to the screenshots, to see who waits for whom.
pub fn dump_stacks(binary: &Path) {
    if std::env::var_os("ATOM_E2E_STACKS").is_none() {
        return;
    }
    let out = screenshot_path("stacks").with_extension("txt");
    let mut pids = our_apps(binary);
    for app in pids.clone() {
        pids.extend(descendants(app));
    }
    let list: Vec<String> = pids.iter().map(u32::to_string).collect();
    let script = format!(
        "for p in {}; do \
           echo \"=== $p $(tr '\\0' ' ' < /proc/$p/cmdline)\"; \
           timeout 60 gdb -q -batch -p $p -ex 'thread apply all bt 25' 2>&1 | grep -E '^(Thread|#)'; \
         done > '{}'",
        list.join(" "),
        out.display()
    );
    let _ = Command::new("sh").arg("-c").arg(script).status();
    eprintln!("stacks written to {}", out.display());
}

/// The copies of `binary` running in this desktop session (the same D-Bus session bus as ours): an
/// app started by the desktop for a link is not under our driver, but it is in our session. Apps of
/// other sessions on the machine are left alone.
pub fn our_apps(binary: &Path) -> Vec<u32> {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    let wanted = format!("DBUS_SESSION_BUS_ADDRESS={bus}");
    let binary = std::fs::canonicalize(binary).unwrap_or_else(|_| binary.to_path_buf());
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else { continue };
        if exe.to_string_lossy().trim_end_matches(" (deleted)") != binary.to_string_lossy() {
            continue;
        }
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if environ.split(|b| *b == 0).any(|var| var == wanted.as_bytes()) {
            out.push(pid);
        }
    }
    out
}

/// A launch while an earlier app still runs in this session would be handed to that app by
/// single-instance: wait for it to go (terminating it, then killing it), and give its D-Bus name a
/// moment to be released.
pub async fn ensure_no_app_running(binary: &Path) {
    for (sig, wait_ms) in [("-TERM", 5_000u64), ("-KILL", 5_000)] {
        let running = our_apps(binary);
        if running.is_empty() {
            break;
        }
        signal(&running, sig);
        let deadline = Instant::now() + Duration::from_millis(wait_ms);
        while !our_apps(binary).is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Every process under `root` (children, their children, ...), read from /proc.
pub fn descendants(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // The command name, in parentheses, may hold spaces: the fields after its last `)` are plain.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parents.push((pid, ppid));
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, _) in parents.iter().filter(|(_, ppid)| *ppid == p) {
            out.push(*pid);
            frontier.push(*pid);
        }
    }
    out
}
