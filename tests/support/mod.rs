//! End-to-end support: a small W3C WebDriver client (tauri-driver + WebKitWebDriver drive the real
//! debug app), an isolated app profile, and the fake browser's controls.
//!
//! These tests need a desktop session (Xvfb, one D-Bus session, an unlocked gnome-keyring) and the app
//! built with its front end embedded; `scripts/test.sh` provides both and sets `ATOM_E2E=1`.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Only one app may run at a time in a desktop session (single-instance), so scenarios take turns.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn enabled() -> bool {
    if std::env::var_os("ATOM_E2E").is_none() {
        eprintln!("skipped: end-to-end tests run under scripts/test.sh (ATOM_E2E=1, a desktop session)");
        return false;
    }
    true
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn app_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_atom-marketplace"))
}

/// An isolated user profile: data, config and the fake browser's files, kept across app restarts.
pub struct Profile {
    pub dir: PathBuf,
    /// Start the app with GTK's dark theme (and so `prefers-color-scheme: dark`).
    pub dark: bool,
}

impl Profile {
    pub fn new(name: &str) -> Profile {
        let dir = std::env::temp_dir().join(format!("atom-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["data", "config", "cache"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // The keystore is shared by the desktop session: start from a clean sandbox namespace.
        let store = atom_marketplace::keystore::KeyringStore;
        for account in ["refresh_token", "api_key", "api_key_scope"] {
            let _ = atom_core::SecretStore::delete(&store, "sandbox", account);
        }
        let profile = Profile { dir, dark: false };
        profile.set_decision("approve");
        profile
    }

    pub fn browser_log(&self) -> PathBuf {
        self.dir.join("browser.log")
    }

    /// What the fake browser has been asked to open so far.
    pub fn opened_pages(&self) -> Vec<String> {
        std::fs::read_to_string(self.browser_log())
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("http"))
            .map(str::to_string)
            .collect()
    }

    pub fn set_decision(&self, decision: &str) {
        std::fs::write(self.dir.join("decision"), decision).unwrap();
    }

    fn envs(&self) -> Vec<(&'static str, String)> {
        let p = |s: &str| self.dir.join(s).display().to_string();
        vec![
            ("XDG_DATA_HOME", p("data")),
            ("XDG_CONFIG_HOME", p("config")),
            ("XDG_CACHE_HOME", p("cache")),
            ("ATOM_ENV", "sandbox".into()),
            ("BROWSER", repo().join("tests/fake-browser.sh").display().to_string()),
            ("FAKE_BROWSER_LOG", self.browser_log().display().to_string()),
            ("FAKE_BROWSER_DECISION_FILE", p("decision")),
            ("WEBKIT_DISABLE_COMPOSITING_MODE", "1".into()),
            // No GPU here: WebKitGTK's DMA-BUF renderer can leave a window frozen under Xvfb.
            ("WEBKIT_DISABLE_DMABUF_RENDERER", "1".into()),
            ("GTK_THEME", if self.dark { "Adwaita:dark" } else { "Adwaita" }.into()),
        ]
    }

    /// Starts a second app process with `url`, as the desktop does when a link in the app's scheme is
    /// opened; single-instance forwards it to the running app.
    pub fn open_link(&self, url: &str) {
        let status = Command::new(app_binary())
            .arg(url)
            .envs(self.envs())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("second app process runs");
        assert!(status.success(), "the second process exits after forwarding");
    }

    pub async fn launch(&self) -> App {
        App::launch(self, &[]).await
    }

    /// Starts the app with arguments, as the desktop does for a link when the app is not running.
    pub async fn launch_with(&self, args: &[&str]) -> App {
        App::launch(self, args).await
    }
}

/// The running app, driven through WebDriver.
pub struct App {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl App {
    async fn launch(profile: &Profile, args: &[&str]) -> App {
        ensure_no_app_running().await;
        let port = free_port();
        let native = free_port();
        let driver = Command::new(std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()))
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .envs(profile.envs())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver is installed (scripts/setup.sh)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Only tauri:options: a browserName makes WebKitWebDriver refuse the session.
        let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": {"application": app_binary(), "args": args}}}});
        let resp: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .expect("the app starts under WebDriver within a minute")
            .json()
            .await
            .unwrap();
        let session =
            resp["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {resp}")).to_string();
        App { driver, base, session, http }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let mut req = self.http.request(method, url).timeout(Duration::from_secs(30));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("WebDriver {path} did not answer: {e}"));
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        value["value"].clone()
    }

    pub async fn find(&self, css: &str) -> Option<String> {
        let v = self
            .cmd(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css})))
            .await;
        v[ELEMENT].as_str().map(str::to_string)
    }

    /// Waits for an element to appear.
    pub async fn wait_for(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(id) = self.find(css).await {
                return id;
            }
            if Instant::now() >= deadline {
                dump_stacks();
                self.screenshot(&screenshot_path("failure")).await;
                panic!("no element {css} after 20 s (screenshot: target/screenshots/failure.png)");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Clicks, retrying while something covers the element (a toast fading out), and fails loudly
    /// if the click never lands.
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let id = self.wait_for(css).await;
            let v = self.cmd(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({}))).await;
            if v.get("error").is_none() {
                return;
            }
            assert!(Instant::now() < deadline, "could not click {css}: {v}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.wait_for(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({"text": text}))).await;
    }

    pub async fn text(&self, css: &str) -> String {
        let id = self.wait_for(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let id = self.find(css).await?;
        self.cmd(reqwest::Method::GET, &format!("/element/{id}/attribute/{name}"), None)
            .await
            .as_str()
            .map(str::to_string)
    }

    /// Presses keys on whatever has the focus (W3C actions): `\u{E009}` is Control, `\u{E004}` Tab,
    /// `\u{E007}` Enter, `\u{E014}` ArrowRight, `\u{E015}` ArrowDown.
    pub async fn keys(&self, keys: &[&str]) {
        let mut actions = Vec::new();
        for k in keys {
            actions.push(json!({"type": "keyDown", "value": k}));
        }
        for k in keys.iter().rev() {
            actions.push(json!({"type": "keyUp", "value": k}));
        }
        let body = json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]});
        self.cmd(reqwest::Method::POST, "/actions", Some(body)).await;
    }

    /// Types text into whatever has the focus.
    pub async fn type_text(&self, text: &str) {
        for ch in text.chars() {
            self.keys(&[&ch.to_string()]).await;
        }
    }

    /// An attribute of the focused element.
    pub async fn focused(&self, attribute: &str) -> Option<String> {
        let v =
            self.script(&format!("return document.activeElement?.getAttribute('{attribute}') ?? null")).await;
        v.as_str().map(str::to_string)
    }

    pub async fn script(&self, script: &str) -> Value {
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await
    }

    /// Waits until `css` has the attribute `name` equal to `value`.
    pub async fn wait_attribute(&self, css: &str, name: &str, value: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let current = self.attribute(css, name).await;
            if current.as_deref() == Some(value) {
                return;
            }
            assert!(Instant::now() < deadline, "{css} [{name}] is {current:?}, expected {value}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Saves a screenshot, best effort: a screenshot that fails or takes over 10 s never fails a scenario.
    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let url = format!("{}/session/{}/screenshot", self.base, self.session);
        let Ok(resp) = self.http.get(url).timeout(Duration::from_secs(10)).send().await else { return };
        let Ok(v) = resp.json::<Value>().await else { return };
        if let Some(b64) = v["value"].as_str() {
            if let Ok(png) = base64::engine::general_purpose::STANDARD.decode(b64) {
                if let Some(dir) = path.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                let _ = std::fs::write(path, png);
            }
        }
    }

    /// Quits the app (as closing its window does) and stops the driver.
    pub async fn quit(mut self) {
        let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // Let the app's single-instance name go before another launch.
        ensure_no_app_running().await;
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // After a failed scenario too: no app may outlive it, or the next one would be forwarded to it.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = Command::new("pkill").args(["-f", &app_binary().display().to_string()]).status();
    }
}

pub async fn sandbox_stats(app: &App) -> Value {
    let url = app.text("[data-testid=sandbox-url]").await;
    reqwest::get(format!("{url}/__sandbox/stats")).await.unwrap().json().await.unwrap()
}

pub fn screenshot_path(name: &str) -> PathBuf {
    let dir = std::env::var("ATOM_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("target/screenshots"));
    dir.join(format!("{name}.png"))
}

/// Locks the login collection of the session's gnome-keyring (as a screen lock would), or unlocks it
/// again with the session's password.
pub fn set_keyring_locked(lock: bool) {
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
        let password = std::env::var("ATOM_KEYRING_PASSWORD").unwrap_or_else(|_| "atom-desktop-tests".into());
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "printf '%s' '{password}' | timeout 10 gnome-keyring-daemon --replace --unlock --components=secrets >/dev/null 2>&1"
            ))
            .status();
    }
}

/// When a scenario is stuck, with `ATOM_E2E_STACKS=1`: every thread's stack of the app and its WebKit
/// processes, written next to the screenshots, to see who waits for whom.
pub fn dump_stacks() {
    if std::env::var_os("ATOM_E2E_STACKS").is_none() {
        return;
    }
    let out = screenshot_path("stacks").with_extension("txt");
    let script = format!(
        "for p in $(pgrep -f '{}') $(pgrep -f WebKitWebProcess) $(pgrep -f WebKitNetworkProcess); do \
           echo \"=== $p $(tr '\\0' ' ' < /proc/$p/cmdline)\"; \
           timeout 60 gdb -q -batch -p $p -ex 'thread apply all bt 25' 2>&1 | grep -E '^(Thread|#)'; \
         done > '{}'",
        app_binary().display(),
        out.display()
    );
    let _ = Command::new("sh").arg("-c").arg(script).status();
    eprintln!("stacks written to {}", out.display());
}

fn app_running() -> bool {
    Command::new("pgrep")
        .args(["-f", &app_binary().display().to_string()])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A launch while an earlier app still runs would be handed to that app by single-instance: wait for
/// it to go (terminating it, then killing it), and give its D-Bus name a moment to be released.
pub async fn ensure_no_app_running() {
    let binary = app_binary().display().to_string();
    for (signal, wait_ms) in [("-TERM", 5_000u64), ("-KILL", 5_000)] {
        if !app_running() {
            break;
        }
        let _ = Command::new("pkill").args([signal, "-f", &binary]).status();
        let deadline = Instant::now() + Duration::from_millis(wait_ms);
        while app_running() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let _ = Command::new("pkill").args(["-f", "WebKitWebDriver"]).status();
    tokio::time::sleep(Duration::from_millis(300)).await;
}
