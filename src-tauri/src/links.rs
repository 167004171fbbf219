//! Where the app's window may go, and what opens in the system browser instead.
//!
//! - The window shows only the app's own pages: any other navigation (a link in a description or the
//!   submit preview, "Open Link" in a context menu, a script) is refused, and a web address among them
//!   is handed to the system browser; new windows are never opened.
//! - The system browser opens only web pages (http and https, no user name or password in them).
//! - Sign-in opens only the environment's own authorize page.

use tauri::{AppHandle, Manager};
#[cfg(not(target_os = "linux"))]
use tauri_plugin_opener::OpenerExt;
use url::Url;

/// Whether `url` is one of the app's own pages: the bundled front end (`tauri://localhost` on Linux and
/// macOS, `http(s)://tauri.localhost` on Windows) or, in development, the dev server's origin.
pub fn is_app_page(url: &Url, dev_server: Option<&Url>) -> bool {
    let bundled = match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    };
    bundled || dev_server.is_some_and(|dev| dev.origin() == url.origin())
}

/// A web address the system browser may open: http or https, a host, no credentials.
pub fn web_address(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none();
    ok.then_some(url)
}

/// Whether `url` is the environment's authorize page (the one page sign-in opens).
pub fn is_authorize_page(url: &Url, authorize: &Url) -> bool {
    matches!(url.scheme(), "https" | "http")
        && url.scheme() == authorize.scheme()
        && url.host_str() == authorize.host_str()
        && url.port_or_known_default() == authorize.port_or_known_default()
        && url.path() == authorize.path()
}

/// How long an opener may take to say it failed before the browser is taken to have started.
pub const OPENER_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Opens a vetted web address in the system browser, and says when it could not. Blocks for up to
/// [`OPENER_WAIT`] on Linux: call it off the main thread.
pub fn open_in_browser(handle: &AppHandle, url: &Url) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        let _ = handle;
        open_with_desktop(url.as_str(), OPENER_WAIT)
    }
    #[cfg(not(target_os = "linux"))]
    {
        handle.opener().open_url(url.as_str(), None::<&str>).map_err(|e| e.to_string())
    }
}

/// Runs `program args… url` and watches it for `wait`: an exit with an error (xdg-open exits 3 or 4
/// when it found no browser, or its browser refused to run) is a failure; a success, or still running
/// (a browser kept in the foreground), is a start.
///
/// What it writes to its error output is read as it comes, on a thread of its own, and only the end of
/// it kept (to say why it failed): a browser that stays in the foreground and says a lot is never
/// blocked on a full pipe.
#[cfg(target_os = "linux")]
pub fn launch(program: &str, args: &[&str], url: &str, wait: std::time::Duration) -> Result<(), LaunchError> {
    let mut child = match opener_command(program, args, url, &crate::memory::applied_engine_tuning()).spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(LaunchError::Missing),
        Err(e) => return Err(LaunchError::Failed(e.to_string())),
    };
    let said = child.stderr.take().map(ErrorOutput::drain);
    let deadline = std::time::Instant::now() + wait;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let said = said.map(|s| s.end()).unwrap_or_default();
                let last = said.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
                let last: String = last.chars().take(200).collect();
                let code = status.code().map(|c| c.to_string()).unwrap_or_else(|| "a signal".into());
                return Err(LaunchError::Failed(
                    format!("{program} ended with {code} {last}").trim().to_string(),
                ));
            }
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            Ok(None) => {
                // Still running: it started something. Reap it whenever it ends.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => return Err(LaunchError::Failed(e.to_string())),
        }
    }
}

/// The opener's command: no input, output discarded, error output piped; without the app's own tuning
/// of its web engine (`without`: what [`crate::memory::tune_web_engine`] set), which is not the
/// browser's to inherit.
#[cfg(target_os = "linux")]
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
#[cfg(target_os = "linux")]
struct ErrorOutput {
    kept: std::sync::Arc<parking_lot::Mutex<Vec<u8>>>,
    done: std::sync::mpsc::Receiver<()>,
}

#[cfg(target_os = "linux")]
impl ErrorOutput {
    /// How much of the end is kept.
    const KEEP: usize = 4096;

    fn drain(mut pipe: std::process::ChildStderr) -> ErrorOutput {
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

#[cfg(target_os = "linux")]
#[derive(Debug, PartialEq, Eq)]
pub enum LaunchError {
    /// The opener is not installed.
    Missing,
    /// It ran and failed, with what it said.
    Failed(String),
}

/// The desktop's opener: `xdg-open` (every desktop), else `gio open` (GNOME's).
#[cfg(target_os = "linux")]
fn open_with_desktop(url: &str, wait: std::time::Duration) -> Result<(), String> {
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

fn dev_server(handle: &AppHandle) -> Option<Url> {
    if cfg!(debug_assertions) {
        handle.config().build.dev_url.clone()
    } else {
        None
    }
}

/// The window's navigation guard: the app's own pages load; a web page opens in the system browser
/// instead; anything else is refused.
pub fn on_navigation(handle: &AppHandle, url: &Url) -> bool {
    if is_app_page(url, dev_server(handle).as_ref()) {
        return true;
    }
    tracing::info!(
        "kept the window on the app; {} goes to the system browser if it is a web page",
        url.scheme()
    );
    if let Some(web) = web_address(url.as_str()) {
        // Off the main thread: the opener is watched for a moment.
        let handle = handle.clone();
        std::thread::spawn(move || {
            if let Err(e) = open_in_browser(&handle, &web) {
                tracing::warn!("the system browser could not be started: {e}");
            }
        });
    }
    false
}

/// The window's new-window guard: never a second window; a web page opens in the system browser.
pub fn on_new_window(handle: &AppHandle, url: &Url) {
    on_navigation(handle, url);
}

/// The main window, built here rather than from the configuration alone, so that its guards are set
/// before it loads anything, and so that its page gets `boot` (the saved first screen, `boot.rs`) as it
/// loads.
pub fn build_main_window(app: &tauri::App, boot: Option<String>) -> tauri::Result<()> {
    let config = app.config().app.windows.iter().find(|w| w.label == "main").cloned().unwrap_or_default();
    let (nav, new_window) = (app.handle().clone(), app.handle().clone());
    let mut builder = tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?;
    if let Some(script) = boot {
        builder = builder.initialization_script(script);
    }
    builder
        .on_navigation(move |url| on_navigation(&nav, url))
        .on_new_window(move |url, _features| {
            on_new_window(&new_window, &url);
            tauri::webview::NewWindowResponse::Deny
        })
        .build()?;
    Ok(())
}

/// Brings the main window forward (a link arrived, or a second launch).
pub fn focus_main_window(handle: &AppHandle) {
    if let Some(window) = handle.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn only_the_apps_own_pages_stay_in_the_window() {
        let dev = url("http://localhost:5173");
        assert!(is_app_page(&url("tauri://localhost/"), None));
        assert!(is_app_page(&url("tauri://localhost/index.html#x"), None));
        assert!(is_app_page(&url("http://tauri.localhost/"), None));
        assert!(is_app_page(&url("http://localhost:5173/src/App.svelte"), Some(&dev)));
        for other in [
            "https://example.com/",
            "http://localhost:5173/",
            "tauri://evil.example/",
            "about:blank",
            "data:text/html,<h1>hi</h1>",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ] {
            assert!(!is_app_page(&url(other), None), "{other}");
        }
        assert!(!is_app_page(&url("http://localhost:5174/"), Some(&dev)), "another port is another origin");
    }

    #[test]
    fn the_browser_opens_only_web_pages() {
        assert!(web_address("https://docs.example.com/a?b#c").is_some());
        assert!(web_address(" http://example.com ").is_some());
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "mailto:a@example.com",
            "com.atomagentos.marketplace://oauth/callback?code=x",
            "https://user:pass@example.com/",
            "not a url",
            "",
        ] {
            assert!(web_address(bad).is_none(), "{bad}");
        }
    }

    /// Linux only: Windows and macOS open pages through the shell (`ShellExecuteW`, `open`), which
    /// answer at once and are not watched.
    #[cfg(target_os = "linux")]
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
    #[cfg(target_os = "linux")]
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
    #[cfg(target_os = "linux")]
    #[test]
    fn the_browser_does_not_inherit_the_apps_engine_tuning() {
        let cmd = opener_command("xdg-open", &[], "https://example.com", &["JSC_thresholdForJITSoon"]);
        let removed: Vec<_> =
            cmd.get_envs().filter(|(_, v)| v.is_none()).map(|(k, _)| k.to_owned()).collect();
        assert_eq!(removed, ["JSC_thresholdForJITSoon"]);
    }

    #[test]
    fn sign_in_opens_only_the_authorize_page() {
        let authorize = url("https://atomagentos.com/oauth/authorize");
        assert!(is_authorize_page(&url("https://atomagentos.com/oauth/authorize?state=x"), &authorize));
        assert!(!is_authorize_page(&url("https://atomagentos.com/other"), &authorize));
        assert!(!is_authorize_page(&url("http://atomagentos.com/oauth/authorize"), &authorize));
        assert!(!is_authorize_page(&url("https://atomagentos.com:8443/oauth/authorize"), &authorize));
        assert!(!is_authorize_page(&url("https://evil.example/oauth/authorize"), &authorize));
    }
}
