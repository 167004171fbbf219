//! Real web browsers under their own WebDriver, for the sign-in pages: Debian's Chromium through
//! chromedriver, Firefox ESR through geckodriver. The app opens the sign-in page through the desktop
//! (in the tests, a script that writes the address down); the test drives a real browser to it and
//! presses Approve there; the browser hands the redirect to the desktop's opener, as it does for a user.
//!
//! Both browsers run with the managed policy an administrator would deploy so that the app's scheme opens
//! without a prompt (`scripts/setup.sh` installs it: Chromium's `AutoLaunchProtocolsFromOrigins`;
//! Firefox's `Handlers` and `AutoLaunchProtocolsFromOrigins`, in `/etc/firefox/policies`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::webdriver::fantoccini::wd::WindowHandle;
use super::webdriver::fantoccini::{Client, Locator};
use super::webdriver::{connect, descendants, free_port};
use super::{screenshot_path, Profile, RunningApp};
use crate::pages::{ids, Account};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Chromium,
    Firefox,
}

pub struct Browser {
    pub kind: Kind,
    driver: Child,
    client: Client,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The driver and everything under it (the browser, its helpers), by process id.
        let tree = descendants(self.driver.id());
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if !tree.is_empty() {
            let mut args = vec!["-KILL".to_string(), "--".to_string()];
            args.extend(tree.iter().map(u32::to_string));
            let _ = Command::new("kill").args(&args).stderr(Stdio::null()).status();
        }
    }
}

impl Browser {
    /// Starts `kind` under its driver with the environment `envs` (the profile's XDG folders and the
    /// desktop to imitate), its own data in `dir`.
    pub async fn start(kind: Kind, dir: &Path, envs: &[(&str, String)]) -> Browser {
        let port = free_port();
        let (program, args) = match kind {
            Kind::Chromium => ("chromedriver", vec![format!("--port={port}")]),
            Kind::Firefox => ("geckodriver", vec!["--port".into(), port.to_string()]),
        };
        let driver = Command::new(program)
            .args(&args)
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{program} runs (scripts/setup.sh installs it): {e}"));
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "{program} did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let data = dir.join(match kind {
            Kind::Chromium => "chromium",
            Kind::Firefox => "firefox",
        });
        std::fs::create_dir_all(&data).unwrap();
        let caps = match kind {
            Kind::Chromium => json!({"browserName": "chrome", "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--no-sandbox", format!("--user-data-dir={}", data.display()), "--no-first-run",
                         "--no-default-browser-check", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--disable-gpu", "--password-store=basic"]}}),
            Kind::Firefox => json!({"browserName": "firefox", "moz:firefoxOptions": {
                "binary": "/usr/bin/firefox-esr",
                "prefs": {"browser.shell.checkDefaultBrowser": false, "app.update.enabled": false,
                          "network.captive-portal-service.enabled": false, "browser.startup.homepage_override.mstone": "ignore"}}}),
        };
        let client = connect(&base, caps, Duration::from_secs(90))
            .await
            .unwrap_or_else(|e| panic!("{kind:?} gave no session: {e}"));
        Browser { kind, driver, client }
    }

    pub async fn goto(&self, url: &str) {
        if let Err(e) = self.client.goto(url).await {
            panic!("{:?} did not open {url}: {e}", self.kind);
        }
    }

    /// Waits for `css` on the page and clicks it.
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let element = loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                break element;
            }
            assert!(Instant::now() < deadline, "{:?}: no {css} on the page", self.kind);
            tokio::time::sleep(Duration::from_millis(150)).await;
        };
        // The click navigates away: its answer may come late or not at all.
        let _ = tokio::time::timeout(Duration::from_secs(10), element.click()).await;
    }

    /// Opens a new tab and makes it current; returns its handle.
    pub async fn new_tab(&self) -> String {
        let tab = self.client.new_window(true).await.expect("a new tab");
        self.client.switch_to_window(tab.handle.clone()).await.expect("the new tab");
        String::from(tab.handle)
    }

    pub async fn current_tab(&self) -> String {
        self.client.window().await.map(String::from).unwrap_or_default()
    }

    pub async fn switch_to(&self, handle: &str) {
        let handle = WindowHandle::try_from(handle.to_string()).expect("a window handle");
        let _ = self.client.switch_to_window(handle).await;
    }

    /// Quits the browser (and with it, its driver).
    pub async fn quit(self) {
        let _ = tokio::time::timeout(Duration::from_secs(20), self.client.clone().close()).await;
    }
}

// The sign-in through a real browser, shared by the development build's tests and the installed
// package's.

/// How the desktop opens a link: the generic `xdg-open`, or GNOME's (which runs `gio open`).
#[derive(Clone, Copy, Debug)]
pub enum Desktop {
    Generic,
    Gnome,
}

impl Desktop {
    pub fn envs(self, profile: &Profile) -> Vec<(&'static str, String)> {
        let mut envs = profile.envs();
        envs.retain(|(k, _)| *k != "XDG_CURRENT_DESKTOP" && *k != "DESKTOP_SESSION");
        envs.push((
            "XDG_CURRENT_DESKTOP",
            if matches!(self, Desktop::Gnome) { "GNOME".into() } else { String::new() },
        ));
        envs.push(("DESKTOP_SESSION", String::new()));
        envs
    }
}

pub async fn open_account(app: &RunningApp) {
    Account(app).open_when_settled().await;
}

/// Firefox allows a page to hand over the app's scheme only from origins its policy lists, and lists
/// exact origins: its sign-in server runs at this fixed one (scripts/setup.sh writes the policy).
pub const FIREFOX_SIGN_IN_ORIGIN: &str = "127.0.0.1:47700";

pub async fn signed_in(app: &RunningApp) {
    Account(app).signed_in().await;
}

/// Starts a browser sign-in whose page the test takes over; returns the page's address.
pub async fn start_sign_in(app: &RunningApp, profile: &Profile) -> String {
    let before = profile.opened_pages().len();
    app.click(ids::SIGN_IN_BROWSER).await;
    app.wait_for(ids::SIGN_IN_WAITING).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let pages = profile.opened_pages();
        if pages.len() > before {
            return pages.last().unwrap().clone();
        }
        if std::time::Instant::now() >= deadline {
            // What the app showed and what the opener saw, so that a failure explains itself.
            let opened = app.attribute(ids::SIGN_IN_WAITING, "data-opened").await;
            let error = app.attribute(ids::SIGN_IN_ERROR, "data-code").await;
            let log = std::fs::read_to_string(profile.browser_log()).unwrap_or_default();
            app.screenshot(&screenshot_path("sign-in-not-opened")).await;
            panic!("the app did not open the sign-in page (opened: {opened:?}, error: {error:?}); browser log:\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A real browser, a click on Approve (or Deny) on the consent page, and the browser's hand-over to
/// the desktop's opener.
pub async fn real_browser_sign_in(kind: Kind, desktop: Desktop, server: Option<&str>) {
    let name = format!("{kind:?}-{desktop:?}").to_lowercase();
    // Firefox's sign-in server at the origin its policy lists; Chromium's policy allows any origin.
    let _server;
    let profile = if let Some(base) = server {
        Profile::on_server(&name, base)
    } else if kind == Kind::Firefox {
        let config = atom_sandbox::Config {
            addr: FIREFOX_SIGN_IN_ORIGIN.parse().unwrap(),
            rate_limits: None,
            ..Default::default()
        };
        // The port is fixed (Firefox's policy names the origin), so it can be briefly taken: by the
        // last scenario's server on its way down, or as the local end of some outgoing connection
        // (47700 is inside Linux's ephemeral range). Wait for it a little before giving up.
        let mut tries = 0;
        let server = loop {
            match atom_sandbox::start(config.clone()).await {
                Ok(server) => break server,
                Err(_) if tries < 40 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                Err(e) => panic!("the sign-in server needs {FIREFOX_SIGN_IN_ORIGIN} free for 10 s: {e}"),
            }
        };
        let profile = Profile::on_server(&name, &server.base_url());
        _server = server;
        profile
    } else {
        Profile::new(&name)
    };
    profile.set_decision("ignore");
    let app = profile.launch().await;
    open_account(&app).await;
    let browser = Browser::start(kind, &profile.dir, &desktop.envs(&profile)).await;

    // Deny first: the app says the sign-in was cancelled.
    let page = start_sign_in(&app, &profile).await;
    browser.goto(&page).await;
    browser.click("button[value=deny]").await;
    app.wait_attribute(ids::SIGN_IN_ERROR, "data-code", "sign_in_cancelled").await;

    // Then two sign-ins, the first tab still open: the newer one wins, the older one is refused.
    let first_page = start_sign_in(&app, &profile).await;
    browser.goto(&first_page).await;
    let first_tab = browser.current_tab().await;
    let second_page = start_sign_in(&app, &profile).await;
    browser.new_tab().await;
    browser.goto(&second_page).await;
    browser.click("button[value=approve]").await;
    signed_in(&app).await;
    browser.switch_to(&first_tab).await;
    browser.click("button[value=approve]").await;
    app.wait_attribute(ids::SIGN_IN_ERROR, "data-code", "callback_rejected").await;
    signed_in(&app).await;
    browser.quit().await;
    app.quit().await;
}
