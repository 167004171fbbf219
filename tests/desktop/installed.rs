//! The installed package, as a user gets it: `scripts/test-installed.sh` installs the release .deb
//! (built with a throwaway update key, and the next version's .deb beside it for the update scenario),
//! points `ATOM_APP_BINARY` at the installed executable and sets `ATOM_INSTALLED_APP=1`; each scenario
//! runs a sandbox next to it (the package carries no test server). Then this signs in while the desktop itself (`gio open`, and Chromium through
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

/// A sandbox next to the installed package (which carries none), for one scenario: in this test
/// process, as the standalone `atom-sandbox` would run it (no rate limits), dropped with the scenario.
async fn installed() -> (atom_sandbox::SandboxHandle, String) {
    assert!(
        std::env::var_os("ATOM_INSTALLED_APP").is_some(),
        "runs under scripts/test-installed.sh, against the installed package"
    );
    let config = atom_sandbox::Config { rate_limits: None, ..atom_sandbox::Config::default() };
    let sandbox = atom_sandbox::start(config).await.expect("the sandbox starts");
    let url = format!("http://{}", sandbox.addr());
    (sandbox, url)
}

#[tokio::test]
#[ignore = "runs against the installed package: scripts/test-installed.sh"]
async fn the_installed_app_carries_no_test_server() {
    let _sandbox = installed().await;
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
    let (_sandbox, server) = installed().await;
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
    let (_sandbox, server) = installed().await;
    let _turn = ONE_AT_A_TIME.lock().await;
    crate::support::browsers::real_browser_sign_in(
        crate::support::browsers::Kind::Chromium,
        crate::support::browsers::Desktop::Generic,
        Some(&server),
    )
    .await;
}

/// The version dpkg says is installed of `package`.
fn installed_version(package: &str) -> String {
    let out =
        Command::new("dpkg-query").args(["-W", "-f=${Version}", package]).output().expect("dpkg-query runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The notes of the next version, Markdown as a maintainer writes them.
const NOTES: &str = "## What's new\n\n- **Signed updates**: the app updates itself.\n- Faster search.";

#[tokio::test]
#[ignore = "runs against the installed package: scripts/test-installed.sh"]
async fn the_installed_app_updates_itself_to_its_signed_next_version_and_refuses_forged_or_broken_ones() {
    use crate::support::releases::{Releases, SigningKey};
    let (_sandbox, server) = installed().await;
    // scripts/test-installed.sh built this version's package and the next one's, both signed with a
    // throwaway key (`tauri signer`); the installed one checks with that key's public half.
    let env = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("test-installed.sh sets {name}"));
    let next_deb = std::path::PathBuf::from(env("ATOM_UPDATE_NEXT_DEB"));
    let next = env("ATOM_UPDATE_NEXT_VERSION");
    let key = SigningKey::at(env("ATOM_UPDATE_KEY").into());
    let package = env("ATOM_PACKAGE");
    let before = installed_version(&package);
    assert_ne!(before, next);
    let _turn = ONE_AT_A_TIME.lock().await;
    let binary = app_binary();

    // The release host: the next version's .deb and the signature `tauri build` wrote for it.
    let releases = Releases::serve("installed").await;
    let name = "ATOM_Marketplace_next_amd64.deb";
    let file = releases.put(name, &std::fs::read(&next_deb).unwrap());
    let signature = std::fs::read_to_string(format!("{}.sig", next_deb.display())).unwrap();
    releases.offer(&next, NOTES, &releases.url(name, false), signature.trim());

    let mut profile = Profile::new("installed-update");
    profile.server = Some(server.clone());
    profile.extra_env.push(("ATOM_UPDATE_FEED", releases.feed()));
    let app = profile.launch_with(&["--server", &server]).await;
    app.wait_for(ids::SKILL_ROW).await;
    app.click(ids::NAV_ACCOUNT).await;
    app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_out").await;
    app.click(ids::SIGN_IN_BROWSER).await;
    app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_in").await;
    let automatic = "return document.querySelector('[data-testid=automatic-updates]').checked";
    assert_eq!(app.script(automatic).await, true, "a package checks by itself");
    assert!(
        app.text(ids::APP_UPDATES).await.contains(".deb package"),
        "{}",
        app.text(ids::APP_UPDATES).await
    );

    // The check at start (no click) finds the next version; installing it replaces the package and
    // restarts into it.
    app.wait_attribute(ids::UPDATE_NOTICE, "data-version", &next).await;
    app.screenshot(&screenshot_path("installed-update-available")).await;
    let old = webdriver::our_apps(&binary);
    app.click(ids::UPDATE_INSTALL).await;
    eventually(std::time::Duration::from_secs(180), "dpkg installs the next version", || async {
        installed_version(&package) == next
    })
    .await;
    let log = profile.dir.join("data/com.atomagentos.marketplace/logs/atom-marketplace.log");
    eventually(std::time::Duration::from_secs(60), "the app restarts into the next version", || async {
        let restarted = webdriver::our_apps(&binary).into_iter().any(|pid| !old.contains(&pid));
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        restarted && said.contains(&format!("ATOM Marketplace {next} starting"))
    })
    .await;
    // The restarted app runs the new file (not the replaced one, which /proc would call deleted).
    for pid in webdriver::our_apps(&binary).into_iter().filter(|pid| !old.contains(pid)) {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
        assert_eq!(exe, binary, "the restarted app runs the installed file");
    }
    // WebDriver drove the process that was replaced: a new session takes over (ending the restarted one).
    app.quit().await;
    let app = profile.launch_with(&["--server", &server]).await;
    app.wait_for(ids::UPDATED_NOTICE).await;
    assert_eq!(app.text(ids::UPDATED_VERSION).await, next);
    assert!(app.text(ids::UPDATED_NOTICE).await.contains(&format!("from {before}")));
    app.screenshot(&screenshot_path("installed-updated")).await;
    app.click(ids::UPDATED_CLOSE).await;
    app.wait_gone(ids::UPDATED_NOTICE, std::time::Duration::from_secs(5)).await;
    app.click(ids::NAV_ACCOUNT).await;
    assert_eq!(app.text(ids::APP_VERSION).await, next);
    // Still signed in: the keystore entry outlived the update.
    app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_in").await;

    // A forged next-next version (signed with another key) is refused; so is one whose download breaks
    // off; an older one is no update. The installed version stays.
    let after = {
        let (major, minor, patch) = {
            let v: Vec<u64> = next.split('.').map(|p| p.parse().unwrap()).collect();
            (v[0], v[1], v[2])
        };
        format!("{major}.{minor}.{}", patch + 1)
    };
    let keys = std::env::temp_dir().join(format!("atom-e2e-other-key-{}", std::process::id()));
    std::fs::create_dir_all(&keys).unwrap();
    let other = SigningKey::generate(&keys, "other");
    releases.offer(&after, "", &releases.url(name, false), &other.sign(&file, &after));
    check_for_updates(&app, "available").await;
    app.click(ids::UPDATE_INSTALL).await;
    app.wait_attribute(ids::UPDATE_PROBLEM, "data-code", "update_refused").await;
    releases.offer(&after, "", &releases.url(name, true), &key.sign(&file, &after));
    check_for_updates(&app, "available").await;
    app.click(ids::UPDATE_INSTALL).await;
    app.wait_attribute(ids::UPDATE_PROBLEM, "data-code", "update_broken").await;
    releases.offer(&before, "", &releases.url(name, false), &key.sign(&file, &before));
    check_for_updates(&app, "up_to_date").await;
    assert_eq!(installed_version(&package), next, "nothing was installed");
    app.quit().await;
}
