//! Sign-in links coming back through whatever opens links on the user's desktop, and from real
//! browsers: the generic `xdg-open` (i3, sway, Openbox…: no desktop environment recognised), GNOME's
//! `gio open`, Debian's Chromium and Firefox ESR under their own WebDriver, the development build's own
//! handler entry (also from a folder whose name has a space), and a browser that cannot start.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::pages::ids;
use crate::support::browsers::{open_account, real_browser_sign_in, signed_in, start_sign_in, Desktop, Kind};
use crate::support::*;

/// Hands `url` to the desktop as a browser does when a page redirects to the app's scheme.
fn open_with(desktop: Desktop, profile: &Profile, url: &str) {
    let status = Command::new("xdg-open")
        .arg(url)
        .envs(desktop.envs(profile))
        .stdout(Stdio::null())
        .status()
        .expect("xdg-open runs");
    assert!(status.success(), "xdg-open ({desktop:?}) handed the link over: {status}");
}

fn handler_entry(profile: &Profile) -> std::path::PathBuf {
    profile.dir.join("data/applications/atom-marketplace-handler.desktop")
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_browser_that_cannot_start_shows_the_address_and_the_fallbacks() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut profile = Profile::new("no-browser");
    profile.break_the_web_handler();
    profile.extra_env.push(("BROWSER", "/bin/false".into()));
    let app = profile.launch().await;
    open_account(&app).await;
    app.click(ids::SIGN_IN_BROWSER).await;
    app.wait_attribute(ids::SIGN_IN_WAITING, "data-opened", "false").await;
    let said = app.text(ids::BROWSER_FAILED).await;
    assert!(said.contains("The browser did not open"), "{said}");
    let address = app.attribute(ids::AUTHORIZE_ADDRESS, "value").await.unwrap_or_default();
    assert!(address.contains("/oauth/authorize?") && address.contains("code_challenge="), "{address}");
    assert!(app.find(ids::COPY_ADDRESS).await.is_some());
    assert!(app.find(ids::SIGN_IN_LOOPBACK).await.is_some(), "the loopback way is offered");
    assert_eq!(app.script("return document.querySelector('details').open").await, true, "paste is open");
    app.screenshot(&screenshot_path("browser-failed")).await;
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn every_opener_hands_the_sign_in_back_to_the_development_build() {
    let _turn = ONE_AT_A_TIME.lock().await;
    for desktop in [Desktop::Generic, Desktop::Gnome] {
        let profile = Profile::new("openers");
        profile.set_decision("ignore");
        let app = profile.launch().await;
        open_account(&app).await;
        // The entry the app wrote for its scheme is valid, and has no quotes for the generic opener.
        let entry = std::fs::read_to_string(handler_entry(&profile)).expect("the app registered its scheme");
        let exec = entry.lines().find_map(|l| l.strip_prefix("Exec=")).unwrap();
        assert!(!exec.contains('"'), "{exec}");
        let valid = Command::new("desktop-file-validate").arg(handler_entry(&profile)).output().unwrap();
        assert!(valid.status.success(), "desktop-file-validate: {}", String::from_utf8_lossy(&valid.stdout));

        let page = start_sign_in(&app, &profile).await;
        let callback = approve_by_hand(&page).await;
        open_with(desktop, &profile, &callback);
        signed_in(&app).await;
        app.quit().await;
    }
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn an_app_in_a_folder_with_a_space_is_found_by_every_opener() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = std::env::temp_dir().join(format!("atom e2e apps {}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("atom-marketplace");
    std::fs::copy(app_binary(), &copy).unwrap();
    for desktop in [Desktop::Generic, Desktop::Gnome] {
        let profile = Profile::new("spaced");
        profile.set_decision("ignore");
        let app = RunningApp::start(&copy, &[], &profile.envs()).await;
        open_account(&app).await;
        let entry = std::fs::read_to_string(handler_entry(&profile)).unwrap();
        let exec =
            entry.lines().find_map(|l| l.strip_prefix("Exec=")).unwrap().trim_end_matches(" %u").to_string();
        assert!(!exec.contains(' ') && !exec.contains('"'), "a plain path: {exec}");
        assert_eq!(std::fs::canonicalize(&exec).unwrap(), std::fs::canonicalize(&copy).unwrap());
        let page = start_sign_in(&app, &profile).await;
        let callback = approve_by_hand(&page).await;
        open_with(desktop, &profile, &callback);
        signed_in(&app).await;
        app.quit().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn browsers_installed() -> bool {
    Path::new("/usr/bin/chromium").exists()
        && Path::new("/usr/bin/chromedriver").exists()
        && Path::new("/usr/bin/firefox-esr").exists()
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn chromium_hands_the_sign_in_to_the_generic_xdg_open() {
    assert!(browsers_installed(), "Chromium, chromedriver and Firefox ESR are installed by scripts/setup.sh");
    let _turn = ONE_AT_A_TIME.lock().await;
    real_browser_sign_in(Kind::Chromium, Desktop::Generic, None).await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn chromium_hands_the_sign_in_to_gnomes_gio_open() {
    assert!(browsers_installed(), "Chromium, chromedriver and Firefox ESR are installed by scripts/setup.sh");
    let _turn = ONE_AT_A_TIME.lock().await;
    real_browser_sign_in(Kind::Chromium, Desktop::Gnome, None).await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn firefox_hands_the_sign_in_to_the_desktop() {
    assert!(browsers_installed(), "Chromium, chromedriver and Firefox ESR are installed by scripts/setup.sh");
    let _turn = ONE_AT_A_TIME.lock().await;
    real_browser_sign_in(Kind::Firefox, Desktop::Generic, None).await;
}
