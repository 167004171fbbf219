//! Sign-in on a real desktop session: the system browser (a script playing the user), the custom-scheme
//! deep link handed over by the desktop to a second process, single-instance forwarding, the Secret
//! Service, silent sign-in at the next start, deny, forged links, the loopback fallback and sign-out.

use crate::pages::{ids, Account, Accounts};
use crate::support::*;

/// The account view: sign-in, the sandbox's address, errors.

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn deep_link_sign_in_then_silent_sign_in_at_next_start() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("deeplink");
    let app = profile.launch().await;
    Account(&app).open_on_sandbox().await;
    app.click(ids::SIGN_IN_BROWSER).await;
    Account(&app).signed_in().await;
    let text = app.text(ids::AUTH_STATE).await;
    assert!(text.contains("Signed in with the browser"), "{text}");
    assert_eq!(profile.opened_pages().len(), 1, "the browser opened the sign-in page once");
    assert!(profile.opened_pages()[0].contains("code_challenge_method=S256"));
    // The refresh token is in the Secret Service, not in a file.
    let stored = atom_core::SecretStore::get(&atom_desktop::keystore::OsKeystore, "sandbox", "refresh_token");
    assert!(matches!(stored, Ok(Some(_))), "{stored:?}");
    app.screenshot(&screenshot_path("signed-in")).await;
    app.quit().await;

    let again = profile.launch().await;
    Account(&again).open_on_sandbox().await;
    Account(&again).signed_in().await;
    assert_eq!(profile.opened_pages().len(), 1, "signed in silently: the browser was not opened again");
    again.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_cold_start_with_a_lone_link_starts_normally_and_explains() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("coldstart");
    // The desktop starts the app for a link while it was not running: there is no sign-in to finish.
    let app = profile.launch_with(&["com.atomagentos.marketplace://oauth/callback?code=c&state=s"]).await;
    // The app works: the catalogue is there, and the refusal is explained.
    app.wait_for(ids::SKILL_ROW).await;
    Account(&app).open_on_sandbox().await;
    app.wait_attribute(ids::SIGN_IN_ERROR, "data-code", "callback_rejected").await;
    assert!(app.text(ids::SIGN_IN_ERROR).await.contains("no sign-in is in progress"));
    app.click(ids::SIGN_IN_BROWSER).await;
    Account(&app).signed_in().await;
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn deny_in_the_browser_shows_sign_in_cancelled() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("deny");
    profile.set_decision("deny");
    let app = profile.launch().await;
    Account(&app).open_on_sandbox().await;
    app.click(ids::SIGN_IN_BROWSER).await;
    app.wait_attribute(ids::SIGN_IN_ERROR, "data-code", "sign_in_cancelled").await;
    assert!(app.text(ids::SIGN_IN_ERROR).await.contains("Sign-in cancelled"));
    assert_eq!(app.attribute(ids::AUTH_STATE, "data-state").await.as_deref(), Some("signed_out"));
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn forged_and_replayed_links_are_refused_with_a_reason() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("forged");
    profile.set_decision("ignore");
    let app = profile.launch().await;
    Account(&app).open_on_sandbox().await;
    app.click(ids::SIGN_IN_BROWSER).await;
    app.wait_for(ids::SIGN_IN_WAITING).await;

    // Someone else's link while our sign-in waits: a foreign state.
    profile.open_link("com.atomagentos.marketplace://oauth/callback?code=stolen&state=not-yours");
    app.wait_attribute(ids::SIGN_IN_ERROR, "data-code", "callback_rejected").await;
    assert!(app.text(ids::SIGN_IN_ERROR).await.contains("state mismatch"));
    assert_eq!(app.attribute(ids::AUTH_STATE, "data-state").await.as_deref(), Some("signed_out"));

    // The real sign-in still works afterwards; then replaying its link is refused.
    profile.set_decision("approve");
    app.click(ids::SIGN_IN_BROWSER).await;
    Account(&app).signed_in().await;
    let log = std::fs::read_to_string(profile.browser_log()).unwrap();
    let redirect = log.lines().rev().find_map(|l| l.strip_prefix("redirect ")).unwrap().to_string();
    profile.open_link(&redirect);
    app.wait_attribute(ids::SIGN_IN_ERROR, "data-code", "callback_rejected").await;
    assert!(app.text(ids::SIGN_IN_ERROR).await.contains("no sign-in is in progress"));
    Account(&app).signed_in().await;
    let stats = sandbox_stats(&app).await;
    assert_eq!(
        stats["token_requests"]["authorization_code"], 1,
        "forged links never reached the token endpoint"
    );
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn loopback_fallback_signs_in_and_sign_out_revokes() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("loopback");
    let app = profile.launch().await;
    Account(&app).open_on_sandbox().await;
    app.click(ids::SIGN_IN_LOOPBACK).await;
    Account(&app).signed_in().await;
    assert!(profile.opened_pages()[0].contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"));

    app.click(ids::SIGN_OUT).await;
    app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_out").await;
    let stats = sandbox_stats(&app).await;
    assert_eq!(stats["revocations"], 1, "the sandbox saw the revocation");
    let stored = atom_core::SecretStore::get(&atom_desktop::keystore::OsKeystore, "sandbox", "refresh_token");
    assert!(matches!(stored, Ok(None)), "the keystore entry is gone: {stored:?}");
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn pasted_callback_url_signs_in() {
    let _turn = ONE_AT_A_TIME.lock().await;
    paste_the_callback(false).await;
}

/// The browser did not start: the app says so and opens the way to paste the address back by itself.
/// The user opens the page by hand and pastes where it ended; nothing depends on the disclosure having
/// been closed (a step that clicked its summary would close it again, and type into a hidden field).
#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn pasted_callback_url_signs_in_when_the_browser_did_not_start() {
    let _turn = ONE_AT_A_TIME.lock().await;
    paste_the_callback(true).await;
}

async fn paste_the_callback(browser_fails: bool) {
    let profile = Profile::new(if browser_fails { "paste-nobrowser" } else { "paste" });
    profile.set_decision("ignore");
    if browser_fails {
        profile.break_the_web_handler();
    }
    let app = profile.launch().await;
    Account(&app).open_on_sandbox().await;
    app.click(ids::SIGN_IN_BROWSER).await;
    app.wait_for(ids::SIGN_IN_WAITING).await;
    // The user opens the page by hand (its address is on the screen), approves, and copies where the
    // browser ended.
    let page = if browser_fails {
        app.wait_for(ids::BROWSER_FAILED).await;
        assert!(app.is_shown(ids::CALLBACK_INPUT).await, "the app opened the disclosure itself");
        app.script("return document.querySelector('[data-testid=authorize-address]').value")
            .await
            .as_str()
            .unwrap()
            .to_string()
    } else {
        assert!(!app.is_shown(ids::CALLBACK_INPUT).await, "closed while the browser is trusted");
        profile.opened_pages().pop().unwrap()
    };
    let callback = approve_by_hand(&page).await;
    app.expand(ids::PASTE_CALLBACK).await;
    app.expand(ids::PASTE_CALLBACK).await;
    assert!(app.is_shown(ids::CALLBACK_INPUT).await, "open, however often it was opened");
    app.type_into(ids::CALLBACK_INPUT, &callback).await;
    app.click(ids::CALLBACK_SUBMIT).await;
    Account(&app).signed_in().await;
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_locked_keystore_leaves_the_app_usable_for_this_session() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("locked");
    let locked = LockedKeyring::lock();
    let app = profile.launch().await;
    // The window and the catalogue work while the keystore cannot be read.
    app.wait_for(ids::SKILL_ROW).await;
    Account(&app).open_on_sandbox().await;
    // A locked keyring reads as empty: the app starts signed out, with no red error.
    assert!(app.find(ids::SIGN_IN_ERROR).await.is_none(), "not shown as a red sign-in error");
    app.click(ids::SIGN_IN_BROWSER).await;
    Account(&app).signed_in().await;
    // Said in the user's words, with the library's words behind a disclosure.
    let notice = app.text(ids::SESSION_ONLY).await;
    assert!(notice.contains("keyring is locked or missing") && notice.contains("gnome-keyring"), "{notice}");
    assert!(notice.contains("only until the app closes"), "{notice}");
    assert!(app.find("[data-testid=session-only] details").await.is_some(), "technical details kept apart");
    // It stays while the keystore is still locked, whatever the user clicks.
    app.click("nav.tabs button").await;
    app.click(ids::NAV_ACCOUNT).await;
    app.wait_for(ids::SESSION_ONLY).await;
    app.screenshot(&screenshot_path("session-only")).await;
    app.quit().await;
    locked.unlock();
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn account_opened_at_the_moment_of_launch_answers() {
    // The top bar once moved while start-up finished (the environment badge and the quota appearing), so
    // that a click aimed at "Sign in" in the first second landed beside it. The tabs must stay put, and
    // a click at the moment the window shows must open the account, every time.
    let _turn = ONE_AT_A_TIME.lock().await;
    const TABS: &str = "return [...document.querySelectorAll('nav.tabs button')].map(b => Math.round(b.getBoundingClientRect().x))";
    for _ in 0..5 {
        let profile = Profile::new("early-click");
        let app = profile.launch().await;
        app.wait_for(ids::NAV_ACCOUNT).await;
        let at_launch = app.script(TABS).await;
        app.click(ids::NAV_ACCOUNT).await;
        app.wait_for(ids::AUTH_STATE).await;
        app.click("nav.tabs button").await;
        app.wait_for(ids::SKILL_ROW).await;
        assert_eq!(app.script(TABS).await, at_launch, "the tabs moved during start-up");
        app.quit().await;
    }
}

/// Opens the custom-server form, finds the server at `address` by its metadata, and connects as the
/// app's public client. Returns what the form filled in as the token endpoint, and whether it offered
/// (and ticked) "Stay signed in".
async fn connect_by_address(app: &RunningApp, address: &str) -> (String, serde_json::Value) {
    app.wait_for("[data-testid=skill-row], [data-testid=list-empty], [data-testid=list-error]").await;
    app.script(
        "const s = document.querySelector('[data-testid=environment-select]'); s.value = 'custom'; s.dispatchEvent(new Event('change', { bubbles: true }));",
    )
    .await;
    app.wait_for(ids::CUSTOM_ISSUER).await;
    app.type_into(ids::CUSTOM_ISSUER, address).await;
    app.click(ids::CUSTOM_FIND).await;
    app.wait_text(
        ids::CUSTOM_FOUND,
        |t| t.starts_with("Found"),
        std::time::Duration::from_secs(10),
        "the server's metadata was not found",
    )
    .await;
    let token = app.script("return document.querySelector('[data-testid=custom-token]').value").await;
    let offline =
        app.script("return document.querySelector('[data-testid=custom-offline]')?.checked ?? null").await;
    app.type_into("#c-name", "Found by address").await;
    app.type_into(ids::CUSTOM_CLIENT_ID, "atom-desktop").await;
    app.expand(ids::CUSTOM_ENDPOINTS).await;
    app.screenshot(&screenshot_path("custom-server-found")).await;
    app.click(ids::CUSTOM_CONNECT).await;
    app.wait_text(
        ids::ENVIRONMENT,
        |t| t == "Found by address",
        std::time::Duration::from_secs(10),
        "the server was not connected",
    )
    .await;
    (token.as_str().unwrap_or_default().to_string(), offline)
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_custom_server_found_by_its_address_fills_the_endpoints_and_signs_in() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = own_sandbox().await;
    let base = server.base_url();
    let profile = Profile::new("found-by-address");
    let app = profile.launch().await;
    let (token, offline) = connect_by_address(&app, &base).await;
    assert_eq!(token, format!("{base}/oauth/token"), "filled from the server's metadata");
    assert_eq!(offline, serde_json::Value::Null, "the sandbox offers no offline_access scope");
    app.click(ids::NAV_ACCOUNT).await;
    app.click(ids::SIGN_IN_BROWSER).await;
    Account(&app).signed_in().await;
    let log = std::fs::read_to_string(profile.browser_log()).unwrap();
    assert!(log.contains("&iss="), "the server named itself in the callback: {log}");
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_third_party_server_found_by_its_address_signs_in_through_the_app() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = ThirdPartyServer::start();
    let profile = Profile::new("third-party");
    let app = profile.launch().await;
    let (token, offline) = connect_by_address(&app, &server.issuer).await;
    assert_eq!(token, format!("{}/token", server.issuer), "oidc-provider's own token endpoint");
    assert_eq!(offline, true, "the server offers offline access, and the form asks for it by default");
    app.click(ids::NAV_ACCOUNT).await;
    app.click(ids::SIGN_IN_BROWSER).await;
    Account(&app).signed_in().await;
    let text = app.text(ids::AUTH_STATE).await;
    assert!(text.contains("can submit, rate and review"), "{text}");
    assert!(app.find(ids::NOT_RENEWABLE).await.is_none(), "a refresh token was issued");
    // Who signed in, from the server's ID token, verified against its published keys (it has no `me`).
    Accounts(&app).wait_name("Demo User").await;
    app.click(ids::SIGN_OUT).await;
    app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_out").await;
    assert!(app.find(ids::SIGN_OUT_WARNING).await.is_none(), "revoked at the server, no warning");
    app.quit().await;
}
