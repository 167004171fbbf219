//! The sign-in doctor ("Check sign-in" on the Account page, issue 42) against the real parts: the
//! desktop's own answer on which program opens the app's links (xdg-mime, in the profile's XDG
//! folders), the session's gnome-keyring, and the report a user copies (no secret in it).

use std::process::Command;
use std::time::Duration;

use crate::accounts::demo_user_signed_in;
use crate::pages::{ids, Account};
use crate::support::*;

const SCHEME_TYPE: &str = "x-scheme-handler/com.atomagentos.marketplace";
const DOCTOR: &str = "[data-testid=sign-in-doctor]";

/// The finding of `check` once the doctor has run: (verdict, its text).
async fn finding(app: &RunningApp, check: &str) -> (String, String) {
    let css = format!("{} li[data-check='{check}']", ids::DOCTOR_FINDINGS);
    app.wait_for(&css).await;
    let verdict = app.attribute(&css, "data-verdict").await.unwrap_or_default();
    (verdict, app.text(&css).await)
}

/// Runs the checks (by `button`) and waits for their answer.
async fn check_with(app: &RunningApp, button: &str) {
    app.wait_for(DOCTOR).await;
    let runs = app.attribute(DOCTOR, "data-runs").await.unwrap_or_default();
    app.click(button).await;
    app.poll(
        &format!("return document.querySelector('{DOCTOR}').dataset.runs !== '{runs}' || null"),
        Duration::from_secs(20),
    )
    .await
    .expect("the checks answered");
}

async fn check(app: &RunningApp) {
    check_with(app, ids::CHECK_SIGN_IN).await;
}

/// Another program takes the app's links, as an older build left in another folder would: an entry of
/// its own in the profile, made the default through the desktop's own tool.
fn hand_the_links_to_another_program(profile: &Profile) {
    let apps = profile.dir.join("data/applications");
    std::fs::write(
        apps.join("older-atom.desktop"),
        format!("[Desktop Entry]\nType=Application\nName=Older ATOM\nExec=/usr/bin/true %u\nMimeType={SCHEME_TYPE};\n"),
    )
    .unwrap();
    let status = Command::new("xdg-mime")
        .args(["default", "older-atom.desktop", SCHEME_TYPE])
        .envs(profile.envs())
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn check_sign_in_finds_a_link_handler_taken_by_another_program_and_registers_again() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("doctor");
    let (app, sandbox) = demo_user_signed_in(&profile).await;
    Account(&app).open().await;

    // Healthy: this development build registered itself as the handler at start, and the session's
    // keyring keeps, returns and removes the doctor's entry.
    check(&app).await;
    let (verdict, said) = finding(&app, "Link handler").await;
    assert_eq!(verdict, "ok", "{said}");
    // A link sent through the desktop's opener (xdg-open, the profile's entry) came back to this app,
    // through a second process that forwarded it, as a browser's sign-in would.
    let (verdict, said) = finding(&app, "Link round trip").await;
    assert_eq!(verdict, "ok", "{said}");
    assert!(said.contains("came back to this app in"), "{said}");
    // The loopback fallback's listener, started as a sign-in starts it, got a callback.
    let (verdict, said) = finding(&app, "Loopback fallback").await;
    assert_eq!(verdict, "ok", "{said}");
    let (verdict, said) = finding(&app, "Keystore").await;
    assert_eq!(verdict, "ok", "{said}");
    assert!(said.contains("Secret Service (GNOME Keyring)"), "the program behind it, named: {said}");
    // This account's refresh token, read back as the next start reads it.
    let (verdict, said) = finding(&app, "Sign-in kept").await;
    assert_eq!(verdict, "ok", "{said}");
    assert!(said.contains("refresh token back"), "{said}");
    // The way to the server (the sandbox on loopback: no proxy, an address, its own clock) and the
    // account: its scope, its last renewal and the next.
    for check in ["Proxy", "Name lookup", "Server", "Server metadata", "Clock"] {
        let (verdict, said) = finding(&app, check).await;
        assert_eq!(verdict, "ok", "{check}: {said}");
    }
    let (verdict, said) = finding(&app, "Account").await;
    assert_eq!(verdict, "ok", "{said}");
    for words in
        ["Signed in through the browser", "marketplace:write", "renewed", "next renewal is planned in"]
    {
        assert!(said.contains(words), "{words}: {said}");
    }
    assert_eq!(app.text(ids::DOCTOR_SUMMARY).await, "No problem found.");
    assert!(app.find(ids::REGISTER_AGAIN).await.is_none(), "nothing to fix, nothing offered");

    // The report names every check and holds no secret: not the refresh token in the keystore, not who
    // the user is.
    let report = app.script("return document.querySelector('[data-testid=doctor-report]').textContent").await;
    let report = report.as_str().unwrap_or_default().to_string();
    assert!(report.contains("Link handler") && report.contains("Keystore"), "{report}");
    let token = profile.stored_refresh_token().expect("signed in: the keystore holds the refresh token");
    assert!(!report.contains(&token), "the report holds the refresh token");
    assert!(!report.contains("demo@") && !report.contains("Demo User"), "{report}");
    assert!(app.find(ids::COPY_REPORT).await.is_some());

    // Another program takes the links: the doctor names it, and "Register again" makes this app the
    // handler once more, as the desktop itself then says.
    hand_the_links_to_another_program(&profile);
    check(&app).await;
    let (verdict, said) = finding(&app, "Link handler").await;
    assert_eq!(verdict, "problem", "{said}");
    assert!(said.contains("/usr/bin/true") || said.contains("older-atom"), "{said}");
    let (verdict, said) = finding(&app, "Link round trip").await;
    assert_eq!(verdict, "not_checked", "not tried while the links go elsewhere: {said}");
    assert_eq!(app.text(ids::DOCTOR_SUMMARY).await, "1 problem found.");
    app.script("document.querySelector('[data-testid=sign-in-doctor]').scrollIntoView()").await;
    app.screenshot(&screenshot_path("doctor-problem-light")).await;
    check_with(&app, ids::REGISTER_AGAIN).await;
    let (verdict, said) = finding(&app, "Link handler").await;
    assert_eq!(verdict, "ok", "{said}");
    let (verdict, said) = finding(&app, "Link round trip").await;
    assert_eq!(verdict, "ok", "the links come back again: {said}");
    let out = Command::new("xdg-mime")
        .args(["query", "default", SCHEME_TYPE])
        .envs(profile.envs())
        .output()
        .unwrap();
    let default = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_ne!(default, "older-atom.desktop", "the desktop still hands the links to the other program");

    // The keyring loses this account's refresh token behind the app's back (another program clearing
    // it): the next start would ask for a sign-in, and the doctor says so now.
    atom_core::SecretStore::delete(
        &atom_desktop::keystore::OsKeystore,
        &profile.namespace(),
        "refresh_token",
    )
    .expect("the session's keyring removes the entry");
    check(&app).await;
    let (verdict, said) = finding(&app, "Sign-in kept").await;
    assert_eq!(verdict, "problem", "{said}");
    assert!(said.contains("does not hold this account's refresh token"), "{said}");

    // The server's clock is three hours behind this computer's (its metadata's reply says so): tokens
    // would look expired, and the doctor says to set the time automatically.
    let behind = httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_secs(3 * 3600));
    let metadata = "GET /.well-known/oauth-authorization-server";
    arm_fault(&sandbox, serde_json::json!({"endpoint": metadata, "pass": true, "headers": {"Date": behind}}))
        .await;
    check(&app).await;
    let (verdict, said) = finding(&app, "Clock").await;
    assert_eq!(verdict, "problem", "{said}");
    assert!(said.contains("3 h 0 min ahead of the server's") && said.contains("automatically"), "{said}");
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_sign_in_failure_offers_the_check_beside_it() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("doctor-from-error");
    // A link with no sign-in to finish: the Account page explains the refusal.
    let app = profile.launch_with(&["com.atomagentos.marketplace://oauth/callback?code=c&state=s"]).await;
    app.wait_for(ids::SKILL_ROW).await;
    Account(&app).open_on_sandbox().await;
    app.wait_attribute(ids::SIGN_IN_ERROR, "data-code", "callback_rejected").await;
    check_with(&app, ids::DOCTOR_FROM_ERROR).await;
    let (verdict, said) = finding(&app, "Keystore").await;
    assert_eq!(verdict, "ok", "{said}");
    assert_eq!(app.focused("id").await.as_deref(), Some("doctor-title"), "the check's card has the focus");
    app.quit().await;
}

/// The desktop's opener fails (an `xdg-open` that cannot open anything, first on the app's `PATH`):
/// the round trip says the desktop could not open the link, with the opener's own words, and what to
/// do.
#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn an_opener_that_fails_is_the_round_trips_problem() {
    use std::os::unix::fs::PermissionsExt;
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut profile = Profile::new("doctor-opener");
    let bin = profile.dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opener = bin.join("xdg-open");
    std::fs::write(&opener, "#!/bin/sh\necho 'xdg-open: no method available for opening it' >&2\nexit 3\n")
        .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    profile.extra_env.push(("PATH", path));
    let app = profile.launch().await;
    Account(&app).open_on_sandbox().await;
    check(&app).await;
    let (verdict, said) = finding(&app, "Link handler").await;
    assert_eq!(verdict, "ok", "the links are this app's: {said}");
    let (verdict, said) = finding(&app, "Link round trip").await;
    assert_eq!(verdict, "problem", "{said}");
    assert!(said.contains("could not open the app's link") && said.contains("no method available"), "{said}");
    assert!(said.contains("xdg-utils"), "what to do: {said}");
    app.quit().await;
}
