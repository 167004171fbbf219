//! The desktop's web browser on Linux, watched for a moment: the desktop's handler of the link's scheme,
//! started by this process through GIO (what GTK apps do: the same `mimeapps.list` that `xdg-open`
//! reads, without `xdg-open`'s scripts, which took 80-250 ms of a sign-in here); when GIO has none or
//! cannot start it, `xdg-open` (every desktop), else `gio open` (GNOME's). A browser that fails (none
//! found, one that refused to run) is told from one that started, and says why; the browser inherits
//! none of the app's own tuning of its web engine.

/// How long an opener may take to say it failed before the browser is taken to have started.
pub const OPENER_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Runs `program args… url` and watches it for `wait`: an exit with an error (xdg-open exits 3 or 4
/// when it found no browser, or its browser refused to run) is a failure; a success, or still running
/// (a browser kept in the foreground), is a start.
///
/// What it writes to its error output is read as it comes, on a thread of its own, and only the end of
/// it kept (to say why it failed): a browser that stays in the foreground and says a lot is never
/// blocked on a full pipe.
pub fn launch(program: &str, args: &[&str], url: &str, wait: std::time::Duration) -> Result<(), LaunchError> {
    let mut child = match opener_command(program, args, url, &crate::memory::applied_engine_tuning()).spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(LaunchError::Missing),
        Err(e) => return Err(LaunchError::Failed(e.to_string())),
    };
    let said = child.stderr.take().map(ErrorOutput::drain);
    // Watched by its pid: dropping the handle neither waits for it nor ends it.
    watch(Spawned(child.id() as libc::pid_t), program, said, wait).map_err(LaunchError::Failed)
}

/// A child of this process, by its pid (an opener, or a browser GIO started with `DO_NOT_REAP_CHILD`):
/// reaping it is ours.
struct Spawned(libc::pid_t);

impl Spawned {
    /// Its exit status once it has ended (and is reaped), or `None` while it runs.
    fn exited(&self) -> std::io::Result<Option<std::process::ExitStatus>> {
        use std::os::unix::process::ExitStatusExt;
        let mut status = 0;
        // SAFETY: waitpid on our own child, with a valid out-pointer.
        match unsafe { libc::waitpid(self.0, &mut status, libc::WNOHANG) } {
            0 => Ok(None),
            -1 => Err(std::io::Error::last_os_error()),
            _ => Ok(Some(std::process::ExitStatus::from_raw(status))),
        }
    }

    /// Reaps it, on a thread of its own, whenever it ends.
    fn reap_later(self) {
        std::thread::spawn(move || {
            let mut status = 0;
            // SAFETY: waitpid on our own child, with a valid out-pointer.
            unsafe { libc::waitpid(self.0, &mut status, 0) };
        });
    }
}

/// A started opener or browser, watched for `wait` (see [`launch`]): why it failed, named `program`.
fn watch(
    child: Spawned,
    program: &str,
    said: Option<ErrorOutput>,
    wait: std::time::Duration,
) -> Result<(), String> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        match child.exited() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let said = said.map(|s| s.end()).unwrap_or_default();
                let last = said.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
                let last: String = last.chars().take(200).collect();
                let code = status.code().map(|c| c.to_string()).unwrap_or_else(|| "a signal".into());
                return Err(format!("{program} ended with {code} {last}").trim().to_string());
            }
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            Ok(None) => {
                // Still running: it started something. Reap it whenever it ends.
                child.reap_later();
                return Ok(());
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Starts the desktop's handler of `url`'s scheme through GIO and watches it for `wait` (see [`launch`]),
/// with its error output read as an opener's is. `None` when GIO has no handler for the scheme or could
/// not start the one it has: the caller goes on to the openers, which may know better.
fn launch_scheme_handler(url: &str, wait: std::time::Duration) -> Option<Result<(), String>> {
    use gio::prelude::*;
    let scheme = url.split_once(':')?.0;
    let handler = gio::AppInfo::default_for_uri_scheme(scheme)?.downcast::<gio::DesktopAppInfo>().ok()?;
    let context = gio::AppLaunchContext::new();
    for name in crate::memory::applied_engine_tuning() {
        context.unsetenv(name);
    }
    let null = |write: bool| std::fs::OpenOptions::new().read(!write).write(write).open("/dev/null").ok();
    let (mut input, mut output) = (null(false)?, null(true)?);
    let (reader, mut writer) = std::io::pipe().ok()?;
    let mut pid = None;
    let started = handler.launch_uris_as_manager_with_fds(
        &[url],
        Some(&context),
        gio::glib::SpawnFlags::DO_NOT_REAP_CHILD,
        None,
        Some(&mut |_: &gio::DesktopAppInfo, p: gio::glib::Pid| pid = Some(p.0)),
        &mut input,
        &mut output,
        &mut writer,
    );
    // The child has its copy: the pipe closes when the browser ends.
    drop(writer);
    if let Err(e) = started {
        tracing::info!(
            "the desktop's {scheme} handler could not be started through GIO ({e}); trying the openers"
        );
        return None;
    }
    // No process of ours (a handler started over D-Bus): started.
    let Some(pid) = pid else { return Some(Ok(())) };
    let name = handler.name();
    Some(watch(Spawned(pid), name.as_str(), Some(ErrorOutput::drain(reader)), wait))
}

/// The opener's command: no input, output discarded, error output piped; without the app's own tuning
/// of its web engine (`without`: what [`crate::memory::tune_web_engine`] set), which is not the
/// browser's to inherit.
fn opener_command(program: &str, args: &[&str], url: &str, without: &[&str]) -> std::process::Command {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(program);
    cmd.args(args).arg(url).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    for name in without {
        cmd.env_remove(name);
    }
    cmd
}

/// The end of what a process writes to its error output, read on a thread until the pipe closes.
struct ErrorOutput {
    kept: std::sync::Arc<parking_lot::Mutex<Vec<u8>>>,
    done: std::sync::mpsc::Receiver<()>,
}

impl ErrorOutput {
    /// How much of the end is kept.
    const KEEP: usize = 4096;

    fn drain(mut pipe: impl std::io::Read + Send + 'static) -> ErrorOutput {
        let kept = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
        let (tx, done) = std::sync::mpsc::channel();
        let sink = kept.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n @ 1..) = std::io::Read::read(&mut pipe, &mut chunk) {
                let mut kept = sink.lock();
                kept.extend_from_slice(&chunk[..n]);
                if kept.len() > Self::KEEP {
                    let extra = kept.len() - Self::KEEP;
                    kept.drain(..extra);
                }
            }
            let _ = tx.send(());
        });
        ErrorOutput { kept, done }
    }

    /// What was kept, once the pipe closed or after a moment (a browser the opener started may hold
    /// the pipe open long after the opener ended).
    fn end(self) -> String {
        let _ = self.done.recv_timeout(std::time::Duration::from_millis(500));
        String::from_utf8_lossy(&self.kept.lock()).into_owned()
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum LaunchError {
    /// The opener is not installed.
    Missing,
    /// It ran and failed, with what it said.
    Failed(String),
}

/// The desktop's handler of `url`'s scheme, started here through GIO; else the desktop's opener:
/// `xdg-open` (every desktop), else `gio open` (GNOME's).
pub fn open_with_desktop(url: &str, wait: std::time::Duration) -> Result<(), String> {
    match launch_scheme_handler(url, wait) {
        Some(started) => started.inspect_err(|why| tracing::warn!("the browser could not be started: {why}")),
        None => open_with_openers(url, wait),
    }
}

/// The desktop's opener: `xdg-open` (every desktop), else `gio open` (GNOME's). What a browser hands
/// a link of another app's to (Chromium does): the sign-in doctor's round trip goes this way.
pub fn open_with_openers(url: &str, wait: std::time::Duration) -> Result<(), String> {
    let mut missing = Vec::new();
    for (program, args) in [("xdg-open", &[][..]), ("gio", &["open"][..])] {
        match launch(program, args, url, wait) {
            Ok(()) => return Ok(()),
            Err(LaunchError::Missing) => missing.push(program),
            Err(LaunchError::Failed(why)) => {
                tracing::warn!("the browser could not be started: {why}");
                return Err(why);
            }
        }
    }
    Err(format!("no program to open web pages was found ({})", missing.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (Windows and macOS open pages through the shell, `ShellExecuteW` and `open`, which answer at
    /// once and are not watched.)
    #[test]
    fn an_opener_that_fails_is_told_from_one_that_started() {
        let quick = std::time::Duration::from_millis(500);
        assert_eq!(launch("sh", &["-c", "exit 0"], "https://example.com", quick), Ok(()));
        let failed =
            launch("sh", &["-c", "echo 'no browser' >&2; exit 4", "opener"], "https://example.com", quick);
        match failed {
            Err(LaunchError::Failed(why)) => {
                assert!(why.contains('4') && why.contains("no browser"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        // A browser kept in the foreground: still running when the wait ends, so it started.
        let started = std::time::Instant::now();
        assert_eq!(launch("sleep", &[], "5", quick), Ok(()));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(launch("no-such-opener-anywhere", &[], "x", quick), Err(LaunchError::Missing));
    }

    /// A browser kept in the foreground that writes a lot to its error output (200 KiB, three times a
    /// pipe's buffer) goes on running: nothing it writes can block it.
    #[test]
    fn a_browser_that_says_a_lot_is_never_blocked_by_it() {
        let dir = std::env::temp_dir().join(format!("atom-opener-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let marker = dir.join("went-on");
        let script = "head -c 204800 /dev/zero | tr '\\0' x >&2; touch \"$1\"; sleep 2";
        let quick = std::time::Duration::from_millis(300);
        let marker_arg = marker.display().to_string();
        assert_eq!(launch("sh", &["-c", script, "browser"], &marker_arg, quick), Ok(()));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !marker.exists() {
            assert!(std::time::Instant::now() < deadline, "the browser was blocked writing its error output");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        // One that says a lot and fails is still told apart, with the end of what it said.
        let failed = launch(
            "sh",
            &[
                "-c",
                "head -c 204800 /dev/zero | tr '\\0' y >&2; echo >&2; echo 'the last word' >&2; exit 3",
                "opener",
            ],
            "x",
            quick,
        );
        match failed {
            Err(LaunchError::Failed(why)) => {
                assert!(why.contains("the last word") && why.len() < 400, "{why}")
            }
            other => panic!("{other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The browser does not inherit the app's own tuning of its web engine (a value the user set is
    /// theirs, and passes through).
    #[test]
    fn the_browser_does_not_inherit_the_apps_engine_tuning() {
        let cmd = opener_command("xdg-open", &[], "https://example.com", &["JSC_thresholdForJITSoon"]);
        let removed: Vec<_> =
            cmd.get_envs().filter(|(_, v)| v.is_none()).map(|(k, _)| k.to_owned()).collect();
        assert_eq!(removed, ["JSC_thresholdForJITSoon"]);
    }
}
