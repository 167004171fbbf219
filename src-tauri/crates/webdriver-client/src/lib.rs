//! Driving the app under tauri-driver + WebKitWebDriver, for the desktop scenarios (`tests/desktop`) and
//! the desktop benchmark (`bench-desktop`). The WebDriver protocol is fantoccini's; this crate adds what
//! the scenarios need around it: tauri-driver started (again, on other ports, when a port was taken),
//! waits that say what they waited for, clicks that wait out a disabled button, screenshots that never
//! fail a scenario, and the processes (the app, its web processes, the keyring) found and ended by id.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MouseActions, PointerAction, MOUSE_BUTTON_MIDDLE,
};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

pub use fantoccini;

mod processes;
use processes::signal;
pub use processes::{
    descendants, dump_stacks, ensure_no_app_running, our_apps, FrozenKeyring, LockedKeyring,
};
use serde_json::{json, Value};

/// What every app start in a test or benchmark profile gets: data, config and cache folders under `dir`,
/// the fake browser (`tests/fake-browser.sh` under `repo`, logging to `dir/browser.log`), and WebKitGTK
/// set up for a display without a GPU.
pub fn profile_envs(dir: &Path, repo: &Path, dark: bool) -> Vec<(&'static str, String)> {
    let p = |s: &str| dir.join(s).display().to_string();
    vec![
        ("XDG_DATA_HOME", p("data")),
        ("XDG_CONFIG_HOME", p("config")),
        ("XDG_CACHE_HOME", p("cache")),
        ("BROWSER", repo.join("tests/fake-browser.sh").display().to_string()),
        ("FAKE_BROWSER_LOG", p("browser.log")),
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1".into()),
        // No GPU here: WebKitGTK's DMA-BUF renderer can leave a window frozen under Xvfb.
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1".into()),
        ("GTK_THEME", if dark { "Adwaita:dark" } else { "Adwaita" }.into()),
    ]
}

/// Makes the fake browser the desktop's web browser inside the profile at `dir` (its own XDG data and
/// config folders): `xdg-open` asks the desktop's http handler before `$BROWSER`, so a real browser
/// installed on the machine (and set as its default) would otherwise get the sign-in page. `extra` adds
/// lines to `mimeapps.list`'s defaults (a scheme handler, say).
pub fn install_fake_browser(dir: &Path, repo: &Path, extra: &[&str]) {
    let apps = dir.join("data/applications");
    std::fs::create_dir_all(&apps).unwrap();
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(
        apps.join("atom-test-browser.desktop"),
        format!(
            "[Desktop Entry]\nType=Application\nName=Test browser\nExec={} %u\nNoDisplay=true\n\
             MimeType=x-scheme-handler/http;x-scheme-handler/https;\n",
            repo.join("tests/fake-browser.sh").display()
        ),
    )
    .unwrap();
    let mut list = String::from(
        "[Default Applications]\nx-scheme-handler/http=atom-test-browser.desktop\n\
         x-scheme-handler/https=atom-test-browser.desktop\n",
    );
    for line in extra {
        list.push_str(line);
        list.push('\n');
    }
    std::fs::write(dir.join("config/mimeapps.list"), list).unwrap();
}

pub fn epoch_ms() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs_f64()
        * 1000.0
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Where screenshots (and the stacks of a stuck scenario) go: `ATOM_SCREENSHOTS`, or the workspace's
/// target/screenshots.
pub fn screenshot_path(name: &str) -> PathBuf {
    let dir = std::env::var("ATOM_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../target/screenshots"));
    dir.join(format!("{name}.png"))
}

/// Two distinct free ports: both are held while the second is chosen, so that they differ.
fn two_free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    (a.local_addr().unwrap().port(), b.local_addr().unwrap().port())
}

/// tauri-driver on two free ports, answering. A port can be taken by another process between its
/// choice and the bind (browsers and servers start all through the scenarios): tauri-driver then ends,
/// or, when it is WebKitWebDriver's port, runs on without answering (it forwards `/status`). Either way
/// it is started again on other ports.
async fn start_driver(http: &reqwest::Client, envs: &[(&str, String)]) -> (Child, String) {
    for _ in 0..3 {
        let (port, native) = two_free_ports();
        let mut driver =
            Command::new(std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()))
                .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
                .envs(envs.iter().map(|(k, v)| (k, v)))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("tauri-driver is installed (scripts/setup.sh)");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                return (driver, base);
            }
            if let Ok(Some(status)) = driver.try_wait() {
                eprintln!("tauri-driver ended at once ({status}) on ports {port}/{native}; trying others");
                break;
            }
            if Instant::now() > deadline {
                eprintln!("tauri-driver did not answer in 15 s on ports {port}/{native}; trying others");
                let _ = driver.kill();
                let _ = driver.wait();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    panic!("tauri-driver did not start (three tries)");
}

/// A WebDriver session on the driver at `base` (plain HTTP on loopback), with `caps` (an object), or
/// why there is none after `limit`.
pub async fn connect(base: &str, caps: Value, limit: Duration) -> Result<Client, String> {
    let Value::Object(caps) = caps else { return Err(format!("capabilities must be an object: {caps}")) };
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(caps);
    match tokio::time::timeout(limit, builder.connect(base)).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no session in {limit:?}")),
    }
}

/// The running app, driven through WebDriver.
pub struct RunningApp {
    binary: PathBuf,
    /// When the session (and so the app) was asked for, in milliseconds since the Unix epoch.
    pub launched_at_ms: f64,
    driver: Child,
    client: Client,
}

impl RunningApp {
    /// Starts `binary` with `args` and `envs` under tauri-driver, once no earlier copy of it runs.
    pub async fn start(binary: &Path, args: &[&str], envs: &[(&str, String)]) -> RunningApp {
        ensure_no_app_running(binary).await;
        let http = reqwest::Client::new();
        let (driver, base) = start_driver(&http, envs).await;
        // Only tauri:options: a browserName makes WebKitWebDriver refuse the session.
        let caps = json!({"tauri:options": {"application": binary, "args": args}});
        let launched_at_ms = epoch_ms();
        let client = connect(&base, caps, Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("the app did not start under WebDriver: {e}"));
        RunningApp { binary: binary.to_path_buf(), launched_at_ms, driver, client }
    }

    /// Makes the window `width` × `height` (its outer size), as a user dragging its corner would.
    pub async fn resize(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.expect("the window takes the size");
    }

    /// The first element `css` finds, if any.
    pub async fn find(&self, css: &str) -> Option<Element> {
        self.client.find(Locator::Css(css)).await.ok()
    }

    /// Waits for an element to appear.
    pub async fn wait_for(&self, css: &str) -> Element {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(element) = self.find(css).await {
                return element;
            }
            if Instant::now() >= deadline {
                dump_stacks(&self.binary);
                self.screenshot(&screenshot_path("failure")).await;
                panic!("no element {css} after 20 s (screenshot: target/screenshots/failure.png)");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits for every element `css` finds to go.
    pub async fn wait_gone(&self, css: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.find(css).await.is_some() {
            if Instant::now() >= deadline {
                self.screenshot(&screenshot_path("failure")).await;
                panic!("{css} still there after {limit:?} (screenshot: target/screenshots/failure.png)");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks, waiting while the element is disabled (a click on a disabled button does nothing, and
    /// WebDriver says nothing: the app may still be busy with the previous action) and retrying while
    /// something covers it (a toast fading out); fails loudly if the click never lands.
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let element = self.wait_for(css).await;
            if element.is_enabled().await.ok() == Some(false) {
                assert!(Instant::now() < deadline, "could not click {css}: it stayed disabled for 15 s");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            match element.click().await {
                Ok(()) => return,
                Err(e) => assert!(Instant::now() < deadline, "could not click {css}: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// A middle click (the wheel button) on `css`, as a user opening a link in a new window does.
    pub async fn middle_click(&self, css: &str) {
        let element = self.wait_for(css).await;
        let mouse = MouseActions::new("mouse".into())
            .then(PointerAction::MoveToElement { element, duration: None, x: 0.0, y: 0.0 })
            .then(PointerAction::Down { button: MOUSE_BUTTON_MIDDLE })
            .then(PointerAction::Up { button: MOUSE_BUTTON_MIDDLE });
        if let Err(e) = self.client.perform_actions(mouse).await {
            panic!("could not middle-click {css}: {e}");
        }
    }

    /// The handles of the app's windows.
    pub async fn windows(&self) -> Vec<String> {
        let handles = self.client.windows().await.unwrap_or_else(|e| panic!("no window handles: {e}"));
        handles.into_iter().map(String::from).collect()
    }

    /// Types into a field, once it is shown: a hidden field (inside a closed disclosure) fails at once
    /// with a clear message instead of a driver that never answers.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.wait_for(css).await;
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.is_shown(css).await {
            if Instant::now() >= deadline {
                self.screenshot(&screenshot_path("hidden-field")).await;
                panic!(
                    "cannot type into {css}: it is hidden (screenshot: target/screenshots/hidden-field.png)"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if let Err(e) = element.send_keys(text).await {
            panic!("could not type into {css}: {e}");
        }
    }

    /// Whether the first element `css` finds takes space on the page (not `display: none`, not inside a
    /// closed `<details>`).
    pub async fn is_shown(&self, css: &str) -> bool {
        let v = self
            .script_with(
                "const e = document.querySelector(arguments[0]); if (!e) return false;\
                 const closed = e.closest('details:not([open])');\
                 if (closed && !closed.querySelector(':scope > summary')?.contains(e)) return false;\
                 return typeof e.checkVisibility === 'function' ? e.checkVisibility() : e.getClientRects().length > 0",
                json!([css]),
            )
            .await;
        v == Value::Bool(true)
    }

    /// Opens a disclosure (`<details>`) as a user would, by its summary, unless it is open already (a
    /// second click would close it).
    pub async fn expand(&self, details_css: &str) {
        self.wait_for(details_css).await;
        if self.attribute(details_css, "open").await.is_none() {
            self.click(&format!("{details_css} > summary")).await;
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.attribute(details_css, "open").await.is_none() {
            assert!(Instant::now() < deadline, "{details_css} did not open");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.unwrap_or_default()
    }

    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await?.attr(name).await.ok().flatten()
    }

    /// Presses keys on whatever has the focus (W3C actions): `\u{E009}` is Control, `\u{E004}` Tab,
    /// `\u{E007}` Enter, `\u{E014}` ArrowRight, `\u{E015}` ArrowDown.
    pub async fn keys(&self, keys: &[&str]) {
        let chars: Vec<char> = keys.iter().filter_map(|k| k.chars().next()).collect();
        let mut actions = KeyActions::new("keyboard".into());
        for &value in &chars {
            actions = actions.then(KeyAction::Down { value });
        }
        for &value in chars.iter().rev() {
            actions = actions.then(KeyAction::Up { value });
        }
        if let Err(e) = self.client.perform_actions(actions).await {
            panic!("could not press {keys:?}: {e}");
        }
    }

    /// Moves the pointer over the middle of `css` (W3C actions), as a user heading for it does.
    pub async fn hover(&self, css: &str) {
        let element = self.wait_for(css).await;
        let pointer = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element,
            duration: Some(Duration::ZERO),
            x: 0.0,
            y: 0.0,
        });
        if let Err(e) = self.client.perform_actions(pointer).await {
            panic!("could not move the pointer over {css}: {e}");
        }
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
        self.script_with(script, json!([])).await
    }

    /// Runs `script` with `arguments[0..]` taken from `args`; a script that throws gives
    /// `{"error": message}` (as the protocol's own reply does), never a panic.
    pub async fn script_with(&self, script: &str, args: Value) -> Value {
        let args = match args {
            Value::Array(items) => items,
            other => vec![other],
        };
        match self.client.execute(script, args).await {
            Ok(value) => value,
            Err(e) => json!({ "error": e.to_string() }),
        }
    }

    /// Polls `script` until it returns something other than null, for up to `limit`.
    pub async fn poll(&self, script: &str, limit: Duration) -> Option<Value> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let v = self.script(script).await;
            if !v.is_null() && v.get("error").is_none() {
                return Some(v);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// Waits until the text of `css` satisfies `ok`, for up to `limit`; fails with `what` and the last text.
    pub async fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool, limit: Duration, what: &str) {
        let deadline = Instant::now() + limit;
        loop {
            let text = self.text(css).await;
            if ok(&text) {
                return;
            }
            assert!(Instant::now() < deadline, "{what} ({css} reads {text:?})");
            tokio::time::sleep(Duration::from_millis(120)).await;
        }
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
        // WebKitWebDriver's snapshot waits for the next paint, and a page that is not changing (no GPU,
        // compositing off, under Xvfb) may not paint again for a long time: keep one invisible pixel
        // changing for the next two seconds.
        self.script(
            "const d = document.createElement('div');\
             d.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0.01;pointer-events:none';\
             document.body.appendChild(d); let n = 0;\
             const f = () => { d.style.transform = `translateX(${n % 2}px)`; if (++n < 120) requestAnimationFrame(f); else d.remove(); };\
             requestAnimationFrame(f);",
        )
        .await;
        let png = match tokio::time::timeout(Duration::from_secs(10), self.client.screenshot()).await {
            Ok(Ok(png)) => Ok(png),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("no image in 10 s".to_string()),
        };
        match png {
            Ok(png) => {
                if let Some(dir) = path.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                let _ = std::fs::write(path, png);
            }
            Err(e) => eprintln!("screenshot {} not taken: {e}", path.display()),
        }
    }

    /// The app's process ids: the processes under this driver that run the app's binary.
    pub fn app_pids(&self) -> Vec<u32> {
        descendants(self.driver.id())
            .into_iter()
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| {
                    exe.file_name() == self.binary.file_name()
                        || exe.to_string_lossy().trim_end_matches(" (deleted)")
                            == self.binary.to_string_lossy()
                })
            })
            .collect()
    }

    /// The app's WebKit web processes (each window's page runs in one).
    pub fn web_processes(&self) -> Vec<u32> {
        descendants(self.driver.id())
            .into_iter()
            .filter(|pid| {
                // The kernel keeps the first 15 bytes of the name: "WebKitWebProces".
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|name| name.trim_end().starts_with("WebKitWebProces"))
            })
            .collect()
    }

    /// Ends the app at once (SIGKILL), as a crash or a power cut would, without letting it clean up.
    pub fn kill_hard(&self) {
        for pid in self.app_pids() {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
    }

    /// Quits the app (as closing its window does) and stops the driver.
    pub async fn quit(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(20), self.client.clone().close()).await;
        self.stop_processes();
        // Let the app's single-instance name go before another launch.
        ensure_no_app_running(&self.binary).await;
    }

    /// Stops what this session started, by process id: tauri-driver and everything under it
    /// (WebKitWebDriver, the app, its WebKit processes). Never by name: another session's browser tests
    /// on this machine are not ours to end.
    fn stop_processes(&mut self) {
        let tree = descendants(self.driver.id());
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        signal(&tree, "-KILL");
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        // After a failed scenario too: no app may outlive it, or the next one would be forwarded to it.
        self.stop_processes();
    }
}
