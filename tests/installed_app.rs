//! The installed package, as a user gets it: `scripts/test-installed.sh` installs the .deb, points
//! `ATOM_APP_BINARY` at the installed executable and sets `ATOM_INSTALLED_APP=1`; then this signs in
//! through the fake browser while the desktop itself (`gio open`) finds the app through the scheme
//! handler that the package's .desktop entry declares.

mod support;

use std::process::Command;

use support::*;

/// The desktop ID of the handler the desktop would start for our scheme, as `gio` sees it in `profile`.
fn scheme_handler(profile: &Profile) -> String {
    let out = Command::new("gio")
        .args(["mime", "x-scheme-handler/com.atomagentos.marketplace"])
        .envs(profile.envs())
        .output()
        .expect("gio runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.lines()
        .next()
        .and_then(|l| l.rsplit_once(": "))
        .map(|(_, id)| id.trim().to_string())
        .unwrap_or_else(|| panic!("no handler for the scheme: {text}"))
}

#[tokio::test]
async fn the_installed_app_signs_in_through_the_scheme_its_package_registered() {
    if std::env::var_os("ATOM_INSTALLED_APP").is_none() {
        eprintln!("skipped: runs under scripts/test-installed.sh, against the installed package");
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().await;
    let binary = app_binary();
    assert!(binary.starts_with("/usr/"), "ATOM_APP_BINARY points at the installed app: {}", binary.display());
    let profile = Profile::new("installed");

    // The handler is the package's entry under /usr/share/applications.
    let handler = scheme_handler(&profile);
    let entry = std::path::Path::new("/usr/share/applications").join(&handler);
    let desktop = std::fs::read_to_string(&entry).unwrap_or_else(|e| panic!("{}: {e}", entry.display()));
    assert!(desktop.contains("x-scheme-handler/com.atomagentos.marketplace"), "{desktop}");
    assert!(desktop.lines().any(|l| l.starts_with("Exec=") && l.contains("%u")), "{desktop}");

    let app = profile.launch().await;
    app.wait_for("[data-testid=skill-row]").await;
    app.click("[data-testid=nav-account]").await;
    app.wait_attribute("[data-testid=auth-state]", "data-state", "signed_out").await;
    app.click("[data-testid=sign-in-browser]").await;
    app.wait_attribute("[data-testid=auth-state]", "data-state", "signed_in").await;
    let log = std::fs::read_to_string(profile.browser_log()).unwrap_or_default();
    assert!(log.contains("redirect com.atomagentos.marketplace://oauth/callback?code="), "{log}");
    app.screenshot(&screenshot_path("installed-signed-in")).await;
    app.quit().await;

    // The installed app left the scheme to its package: it wrote no handler of its own.
    let own = profile.dir.join("data/applications/atom-marketplace-handler.desktop");
    assert!(!own.exists(), "the app registered itself: {}", own.display());
    assert_eq!(scheme_handler(&profile), handler);
}

#[tokio::test]
async fn the_installed_app_signs_in_through_chromium_and_the_generic_xdg_open() {
    if std::env::var_os("ATOM_INSTALLED_APP").is_none() {
        eprintln!("skipped: runs under scripts/test-installed.sh, against the installed package");
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().await;
    support::browsers::real_browser_sign_in(
        support::browsers::Kind::Chromium,
        support::browsers::Desktop::Generic,
    )
    .await;
}
