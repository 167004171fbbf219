//! The scenarios' support: an isolated app profile, the fake browser's controls, the third-party OAuth
//! server, and the WebDriver client (the `atom-webdriver` crate, shared with the desktop benchmark).

pub mod browsers;
pub mod releases;
pub use atom_webdriver as webdriver;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;
pub use webdriver::{screenshot_path, LockedKeyring, RunningApp};

use crate::pages::ids;

/// Only one app may run at a time in a desktop session (single-instance), so scenarios take turns.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The app under test: the one cargo built, or `ATOM_APP_BINARY` (the installed package's, for example).
pub fn app_binary() -> PathBuf {
    std::env::var_os("ATOM_APP_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_atom-marketplace")))
}

/// A sandbox of the test's own (not the app's embedded one): consent given at once, no rate limits.
pub async fn own_sandbox() -> atom_sandbox::SandboxHandle {
    let config = atom_sandbox::Config { auto_approve: true, rate_limits: None, ..Default::default() };
    atom_sandbox::start(config).await.unwrap()
}

/// An isolated user profile: data, config and the fake browser's files, kept across app restarts.
pub struct Profile {
    pub dir: PathBuf,
    /// Start the app with GTK's dark theme (and so `prefers-color-scheme: dark`).
    pub dark: bool,
    /// A server the test runs, saved as the profile's custom environment (instead of the embedded
    /// sandbox), so that it outlives the app: `http://127.0.0.1:PORT`.
    pub server: Option<String>,
    /// Extra environment for the app.
    pub extra_env: Vec<(&'static str, String)>,
}

impl Profile {
    pub fn new(name: &str) -> Profile {
        let dir = std::env::temp_dir().join(format!("atom-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["data", "config", "cache"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // The keystore is shared by the desktop session: start from a clean sandbox namespace.
        let store = atom_desktop::keystore::OsKeystore;
        for account in ["refresh_token", "api_key", "api_key_scope"] {
            let _ = atom_core::SecretStore::delete(&store, "sandbox", account);
        }
        let profile = Profile { dir, dark: false, server: None, extra_env: Vec::new() };
        profile.set_decision("approve");
        profile.make_fake_browser_the_web_handler();
        profile
    }

    /// The desktop's web browser, inside this profile, cannot start (as when `xdg-open`'s browser
    /// refuses to run, and it exits with 4).
    pub fn break_the_web_handler(&self) {
        let entry = self.dir.join("data/applications/atom-test-browser.desktop");
        let text = std::fs::read_to_string(&entry).unwrap();
        let broken: String = text
            .lines()
            .map(|l| if l.starts_with("Exec=") { "Exec=/bin/false %u".to_string() } else { l.to_string() })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(entry, broken + "\n").unwrap();
    }

    /// The desktop's web browser, inside this profile, is the fake browser (see
    /// [`webdriver::install_fake_browser`]).
    fn make_fake_browser_the_web_handler(&self) {
        webdriver::install_fake_browser(&self.dir, &repo(), &[]);
    }

    /// A profile whose saved environment is the ATOM-compatible server at `base` (one the test started),
    /// as a user who picked "Custom server…" would have.
    pub fn on_server(name: &str, base: &str) -> Profile {
        let mut profile = Profile::new(name);
        let settings = server_settings(base);
        let saved = serde_json::json!({"environment": {"kind": "custom", "settings": settings}});
        let dir = profile.dir.join("config/com.atomagentos.marketplace");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("settings.json"), saved.to_string()).unwrap();
        profile.server = Some(base.trim_end_matches('/').to_string());
        // The keystore is shared by the desktop session: start from a clean namespace for this server.
        let store = atom_desktop::keystore::OsKeystore;
        for account in ["refresh_token", "api_key", "api_key_scope"] {
            let _ = atom_core::SecretStore::delete(&store, &profile.namespace(), account);
        }
        profile
    }

    /// The keystore namespace of the profile's environment, as the app names it.
    pub fn namespace(&self) -> String {
        match &self.server {
            Some(base) => atom_core::Environment::custom(&server_settings(base)).unwrap().namespace(),
            None => "sandbox".into(),
        }
    }

    /// The refresh token the OS keystore holds for the profile's environment.
    pub fn stored_refresh_token(&self) -> Option<String> {
        let store = atom_desktop::keystore::OsKeystore;
        atom_core::SecretStore::get(&store, &self.namespace(), "refresh_token")
            .ok()
            .flatten()
            .map(|s| s.expose().to_string())
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

    pub fn envs(&self) -> Vec<(&'static str, String)> {
        let mut envs = webdriver::profile_envs(&self.dir, &repo(), self.dark);
        if self.server.is_none() {
            envs.push(("ATOM_ENV", "sandbox".into()));
        }
        envs.extend(self.extra_env.iter().cloned());
        // The scenarios read the embedded sandbox's stats and arm its faults.
        envs.push(("ATOM_SANDBOX_TEST_HOOKS", "1".into()));
        envs.push(("FAKE_BROWSER_DECISION_FILE", self.dir.join("decision").display().to_string()));
        envs
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

    pub async fn launch(&self) -> RunningApp {
        self.launch_with(&[]).await
    }

    /// Starts the app with arguments, as the desktop does for a link when the app is not running.
    pub async fn launch_with(&self, args: &[&str]) -> RunningApp {
        RunningApp::start(&app_binary(), args, &self.envs()).await
    }
}

/// The settings of an ATOM-shaped server at `base` (the sandbox's layout, and its issuer, which names
/// itself in every callback), as the custom-server form saves them once it has found the server.
pub fn server_settings(base: &str) -> atom_core::CustomEnvironment {
    let base = base.trim_end_matches('/');
    atom_core::CustomEnvironment {
        name: "Test server".into(),
        issuer: Some(base.into()),
        api_base: base.into(),
        authorize_url: format!("{base}/oauth/authorize"),
        token_url: format!("{base}/oauth/token"),
        revoke_url: Some(format!("{base}/oauth/revoke")),
        client_id: "atom-desktop".into(),
        ..Default::default()
    }
}

/// Arms a fault in the sandbox at `base` (its test hooks: `/__sandbox/faults`).
pub async fn arm_fault(base: &str, fault: Value) {
    let resp =
        reqwest::Client::new().post(format!("{base}/__sandbox/faults")).json(&fault).send().await.unwrap();
    assert_eq!(resp.status(), 201, "the fault was armed");
}

/// Clears every fault the sandbox at `base` has armed.
pub async fn clear_faults(base: &str) {
    reqwest::Client::new().delete(format!("{base}/__sandbox/faults")).send().await.unwrap();
}

pub async fn sandbox_stats(app: &RunningApp) -> Value {
    let url = app.text(ids::SANDBOX_URL).await;
    reqwest::get(format!("{url}/__sandbox/stats")).await.unwrap().json().await.unwrap()
}

/// The third-party OAuth 2.0 server of the interop tests (oidc-provider, from `tests/interop`), as a
/// child process on a free loopback port; it also serves a small marketplace API for its tokens.
pub struct ThirdPartyServer {
    child: std::process::Child,
    pub issuer: String,
}

impl ThirdPartyServer {
    pub fn start() -> ThirdPartyServer {
        use std::io::BufRead;
        let dir = repo().join("tests/interop");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "run npm ci --prefix tests/interop (scripts/setup.sh)"
        );
        let mut child = Command::new("node")
            .arg("oauth-server.mjs")
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Node.js runs");
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        // Keep reading what it prints (its notices go to stdout): a closed pipe would end it.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let issuer =
            first.trim().strip_prefix("listening on ").expect("the server says where it listens").to_string();
        ThirdPartyServer { child, issuer }
    }
}

impl Drop for ThirdPartyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Approves on the sandbox's consent page the way a user's browser posts it, and returns where the
/// sandbox sends the browser back.
pub async fn approve_by_hand(page: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let html = http.get(page).send().await.unwrap().text().await.unwrap();
    let ticket =
        html.split("name=\"ticket\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let origin = page.split("/oauth/authorize").next().unwrap();
    let resp = http
        .post(format!("{origin}/oauth/authorize"))
        .form(&[("ticket", ticket.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    resp.headers()["location"].to_str().unwrap().to_string()
}

/// Waits until `check` holds, polling every 100 ms for up to `limit`.
pub async fn eventually<F: std::future::Future<Output = bool>>(
    limit: std::time::Duration,
    what: &str,
    check: impl Fn() -> F,
) {
    let deadline = std::time::Instant::now() + limit;
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Clicks "Check for updates" (the Account page) and waits for the answer's state; the marker set first
/// makes a repeat of the same answer count.
pub async fn check_for_updates(app: &RunningApp, state: &str) {
    app.script("document.querySelector('[data-testid=update-answer]').dataset.state = 'asked'").await;
    app.click(ids::CHECK_UPDATES).await;
    app.wait_attribute(ids::UPDATE_ANSWER, "data-state", state).await;
}
