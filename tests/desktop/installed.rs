//! The installed package, as a user gets it: `scripts/test-installed.sh` installs the release .deb,
//! starts the standalone `atom-sandbox` next to it (the package carries no test server), points
//! `ATOM_APP_BINARY` at the installed executable and `ATOM_SERVER_URL` at the sandbox, and sets
//! `ATOM_INSTALLED_APP=1`. Then this signs in while the desktop itself (`gio open`, and Chromium through
//! the generic `xdg-open`) finds the app through the scheme handler the package's .desktop entry
//! declares.

use std::process::Command;

use crate::pages::ids;
use crate::support::*;

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

/// The sandbox `scripts/test-installed.sh` started next to the installed package.
fn installed() -> String {
    assert!(
        std::env::var_os("ATOM_INSTALLED_APP").is_some(),
        "runs under scripts/test-installed.sh, against the installed package"
    );
    std::env::var("ATOM_SERVER_URL").expect("test-installed.sh starts the sandbox and names it")
}

#[tokio::test]
#[ignore = "runs against the installed package: scripts/test-installed.sh"]
async fn the_installed_app_carries_no_test_server() {
    installed();
    let binary = app_binary();
    let bytes = std::fs::read(&binary).unwrap();
    // Strings only the sandbox has: its confidential test client, its consent page.
    for needle in ["atom-test-confidential", "ATOM Sandbox Test Client", "sandbox.atomagentos.invalid"] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "the package holds {needle:?}");
    }
    // Asked for the sandbox all the same, it starts on ATOM and offers no sandbox.
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("installed-lean");
    let app = profile.launch_with(&["--sandbox"]).await;
    app.wait_for(ids::ENVIRONMENT).await;
    app.wait_text(ids::ENVIRONMENT, |t| t == "ATOM", std::time::Duration::from_secs(10), "ATOM").await;
    let options = app
        .script("return [...document.querySelectorAll('[data-testid=environment-select] option')].map(o => o.value)")
        .await;
    assert_eq!(options, serde_json::json!(["production", "custom"]), "no sandbox in the environment menu");
    app.quit().await;
}

#[tokio::test]
#[ignore = "runs against the installed package: scripts/test-installed.sh"]
async fn the_installed_app_signs_in_through_the_scheme_its_package_registered() {
    let server = installed();
    let _turn = ONE_AT_A_TIME.lock().await;
    let binary = app_binary();
    assert!(binary.starts_with("/usr/"), "ATOM_APP_BINARY points at the installed app: {}", binary.display());
    let mut profile = Profile::new("installed");
    profile.server = Some(server.clone());

    // The handler is the package's entry under /usr/share/applications.
    let handler = scheme_handler(&profile);
    let entry = std::path::Path::new("/usr/share/applications").join(&handler);
    let desktop = std::fs::read_to_string(&entry).unwrap_or_else(|e| panic!("{}: {e}", entry.display()));
    assert!(desktop.contains("x-scheme-handler/com.atomagentos.marketplace"), "{desktop}");
    assert!(desktop.lines().any(|l| l.starts_with("Exec=") && l.contains("%u")), "{desktop}");

    // The standalone sandbox, named on the command line.
    let app = profile.launch_with(&["--server", &server]).await;
    app.wait_for(ids::SKILL_ROW).await;
    app.click(ids::NAV_ACCOUNT).await;
    app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_out").await;
    assert_eq!(app.text(ids::SERVER_URL).await, server, "the account screen names the server");
    app.click(ids::SIGN_IN_BROWSER).await;
    app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_in").await;
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
#[ignore = "runs against the installed package: scripts/test-installed.sh"]
async fn the_installed_app_signs_in_through_chromium_and_the_generic_xdg_open() {
    let server = installed();
    let _turn = ONE_AT_A_TIME.lock().await;
    crate::support::browsers::real_browser_sign_in(
        crate::support::browsers::Kind::Chromium,
        crate::support::browsers::Desktop::Generic,
        Some(&server),
    )
    .await;
}
