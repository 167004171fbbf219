//! Hardening, on the real app: hostile Markdown that must not freeze the window, links that must not
//! take the window away from the app, commands the window is not granted, a loopback sign-in that a
//! forged link cannot cancel, and faults (a crash during a refresh, a keystore that locks and unlocks,
//! a token endpoint that fails during a write), ending with a scan for secrets left anywhere on disk.

use std::time::{Duration, Instant};

use crate::pages::{ids, Account, Catalogue};
use crate::support::*;
use serde_json::{json, Value};

const RW_KEY: &str = "atom_pub_00000000-0000-4000-8000-000000000002";

/// A sandbox the test runs (so that it outlives the app): auto-approving, test hooks on.
async fn server(access_ttl_secs: u64) -> atom_sandbox::SandboxHandle {
    atom_sandbox::start(atom_sandbox::Config {
        auto_approve: true,
        rate_limits: None,
        test_hooks: true,
        access_ttl_secs,
        ..Default::default()
    })
    .await
    .expect("the test's sandbox starts")
}

async fn stats(base: &str) -> Value {
    reqwest::get(format!("{base}/__sandbox/stats")).await.unwrap().json().await.unwrap()
}

async fn token_requests(base: &str, grant: &str) -> u64 {
    stats(base).await["token_requests"][grant].as_u64().unwrap_or(0)
}

async fn sign_in_with_key(app: &RunningApp) {
    let account = Account(app);
    if app.find(ids::API_KEY_INPUT).await.is_none() {
        account.open_when_settled().await;
    }
    account.sign_in_with_key(RW_KEY, true).await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_deeply_nested_description_opens_while_the_window_keeps_answering() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("nested");
    let app = profile.launch().await;
    sign_in_with_key(&app).await;
    // A description the contract accepts: 20,000 characters, all `>` but the last words. Submitted,
    // then opened from the success view, as its author would; then Back, at once.
    let mut backs = Vec::new();
    for n in 1..=4 {
        app.click(ids::NAV_SUBMIT).await;
        // The form's code is loaded when the user heads for it: it may come a moment after the click.
        app.wait_for(ids::F_NAME).await;
        let fill = format!(
            "const set = (id, v) => {{ const e = document.querySelector(`[data-testid=${{id}}]`); e.value = v;               e.dispatchEvent(new Event(e.tagName === 'SELECT' ? 'change' : 'input', {{ bubbles: true }})); }};             set('f-name', 'Nested Quotes {n}'); set('f-description', 'Twenty thousand quote markers, nested.');             set('f-category', 'automation'); set('f-type', 'script'); set('f-version', '1.0.0');             set('f-long_description', '>'.repeat(20000 - 20) + 'bottom of the quotes');"
        );
        app.script(&fill).await;
        app.click(ids::SUBMIT_BUTTON).await;
        app.wait_for(ids::SUBMIT_VIEW).await;
        let opened = Instant::now();
        app.click(ids::SUBMIT_VIEW).await;
        app.wait_for(ids::SKILL_NAME).await;
        if n == 4 {
            break;
        }
        // The description is being prepared now; the user changes their mind.
        let back = Instant::now();
        app.click(ids::BACK).await;
        app.wait_for(ids::SKILL_ROW).await;
        backs.push((back.elapsed(), opened.elapsed()));
    }
    backs.sort();
    let (back, round_trip) = backs[1];
    eprintln!(
        "with a 20,000-character nested description being prepared: Back answered in {back:?}, \
         open-then-back took {round_trip:?} (medians of {backs:?})"
    );
    assert!(back < Duration::from_millis(200), "the window took {back:?} to react to Back");
    assert!(round_trip < Duration::from_secs(1), "opening and leaving the skill took {round_trip:?}");

    // Left open, the description arrives, flattened to a shallow page.
    app.wait_for("[data-testid=skill-markdown] blockquote").await;
    let shape = app
        .script(
            "const d = document.querySelector('[data-testid=skill-markdown]');\
             return { quotes: d.querySelectorAll('blockquote').length, all: document.querySelectorAll('*').length,\
                      text: d.textContent.includes('bottom of the quotes') }",
        )
        .await;
    assert!(shape["quotes"].as_u64().unwrap() <= 32, "{shape}");
    assert!(shape["all"].as_u64().unwrap() < 3_000, "the page stays small: {shape}");
    assert_eq!(shape["text"], true, "the text at the bottom is still there: {shape}");
    app.quit().await;
}

async fn still_the_app(app: &RunningApp, origin: &Value) -> bool {
    app.script("return location.origin").await == *origin && app.find(ids::NAV_SUBMIT).await.is_some()
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn links_never_take_the_window_away_from_the_app() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("links");
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    let origin = app.script("return location.origin").await;

    // A link in the submit form's Markdown preview.
    app.click(ids::NAV_SUBMIT).await;
    app.type_into(ids::F_LONG_DESCRIPTION, "Read [the site](https://example.com/preview-link) first.").await;
    app.click(ids::PREVIEW_TAB).await;
    app.wait_for("[data-testid=preview] a").await;
    app.script("document.querySelector('[data-testid=preview] a').scrollIntoView({block: 'center'})").await;
    app.screenshot(&screenshot_path("preview-link")).await;
    app.click("[data-testid=preview] a").await;
    eventually(Duration::from_secs(5), "the link was not handed to the system browser", || async {
        profile.opened_pages().iter().any(|p| p == "https://example.com/preview-link")
    })
    .await;
    assert!(still_the_app(&app, &origin).await, "the window still shows the app");

    // A script (or a context menu's "Open Link") navigating the window.
    app.script("location.href = 'https://example.com/navigated'").await;
    eventually(Duration::from_secs(5), "the navigation was not handed to the system browser", || async {
        profile.opened_pages().iter().any(|p| p == "https://example.com/navigated")
    })
    .await;
    // A middle click on a link asks for a new window.
    app.script(
        "const a = document.querySelector('[data-testid=preview] a'); a.href = 'https://example.com/new-window';",
    )
    .await;
    app.middle_click("[data-testid=preview] a").await;
    eventually(Duration::from_secs(5), "the new window was not handed to the system browser", || async {
        profile.opened_pages().iter().any(|p| p == "https://example.com/new-window")
    })
    .await;
    // Anything that is not a web page goes nowhere.
    app.script("location.href = 'file:///etc/passwd'").await;
    // Nothing is supposed to happen, so there is no event to wait for: give a navigation time to start.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(still_the_app(&app, &origin).await, "the window still shows the app");
    let handles = app.windows().await;
    assert_eq!(handles.len(), 1, "no second window: {handles:?}");
    assert!(!profile.opened_pages().iter().any(|p| p.starts_with("file:")));
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn the_window_may_call_only_the_commands_it_is_granted() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("acl");
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    let call = |name: &'static str| {
        let app = &app;
        async move {
            app.script(&format!(
                "return window.__TAURI_INTERNALS__.invoke('{name}').then(() => 'allowed', e => 'refused: ' + e)"
            ))
            .await
        }
    };
    assert_eq!(call("app_info").await, "allowed");
    // The window takes the app's events with next_events: Tauri's own event system is not open to it.
    for refused in ["auth_state", "rate_limit_status", "plugin:opener|open_url", "plugin:event|listen"] {
        let answer = call(refused).await;
        let text = answer.as_str().unwrap_or_default();
        assert!(text.starts_with("refused") && text.contains("not allowed"), "{refused}: {answer}");
    }
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_forged_link_does_not_cancel_a_loopback_sign_in() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("loopback-forged");
    profile.set_decision("ignore");
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    app.click(ids::NAV_ACCOUNT).await;
    app.click(ids::SIGN_IN_LOOPBACK).await;
    app.wait_for(ids::SIGN_IN_WAITING).await;
    let page = profile.opened_pages().pop().unwrap();
    let redirect: url::Url = url::Url::parse(&page)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap();

    // Another local process pokes the listener, and a forged deep link arrives.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let poke = http.get(format!("{redirect}?code=stolen&state=not-yours")).send().await.unwrap();
    assert_eq!(poke.status(), 400, "a callback for another sign-in is turned away");
    for _ in 0..40 {
        let _ = http.get(format!("http://127.0.0.1:{}/favicon.ico", redirect.port().unwrap())).send().await;
    }
    profile.open_link("com.atomagentos.marketplace://oauth/callback?code=stolen&state=not-yours");
    app.wait_attribute(ids::SIGN_IN_ERROR, "data-code", "callback_rejected").await;

    // The user approves in the browser: the listener is still there, and the sign-in completes.
    let callback = approve_by_hand(&page).await;
    assert!(callback.starts_with(redirect.as_str()), "{callback}");
    let done = http.get(&callback).send().await.expect("the listener still answers");
    assert_eq!(done.status(), 200);
    app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_in").await;
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_crash_during_a_refresh_never_leaves_the_user_stuck_or_looping() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let sandbox = server(3600).await;
    let base = sandbox.base_url();
    // Twice: killed while the server is still working on the refresh (it never rotated), and killed
    // after the server rotated the token but before the reply arrived.
    for (name, fault) in [
        ("crash-before", json!({"endpoint": "POST /oauth/token", "pass": true, "delay_ms": 4000})),
        ("crash-after", json!({"endpoint": "POST /oauth/token", "pass": true, "reply_delay_ms": 4000})),
    ] {
        let profile = Profile::on_server(name, &base);
        let app = profile.launch().await;
        Account(&app).sign_in_with_browser().await;
        app.quit().await;

        // The next start refreshes silently; the app dies while that refresh is out.
        arm_fault(&base, fault).await;
        let before = token_requests(&base, "refresh_token").await;
        let app = profile.launch().await;
        eventually(Duration::from_secs(20), "the silent refresh never started", || async {
            token_requests(&base, "refresh_token").await > before
        })
        .await;
        app.kill_hard();
        drop(app);
        // Time is the condition here: the fault holds the refresh for 4 s at the server, and the app
        // that would have heard its end is dead, so nothing can be waited on but the clock.
        tokio::time::sleep(Duration::from_millis(4500)).await;

        let app = profile.launch().await;
        Account(&app).open_when_settled().await;
        eventually(
            Duration::from_secs(20),
            "the app settled neither signed in nor asking to sign in",
            || async { matches!(Account(&app).state().await.as_deref(), Some("signed_in" | "needs_reauth")) },
        )
        .await;
        let settled = Account(&app).state().await;
        let requests = token_requests(&base, "refresh_token").await;
        // A loop would show as more requests; its absence can only be watched for a while.
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(token_requests(&base, "refresh_token").await, requests, "{name}: no refresh loop");
        assert_eq!(Account(&app).state().await, settled, "{name}: the state holds");
        eprintln!("{name}: the next start was {settled:?}");
        if settled.as_deref() == Some("needs_reauth") {
            // Asked once; signing in again works.
            app.click(ids::SIGN_IN_BROWSER).await;
            app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_in").await;
        }
        app.quit().await;
    }
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_keystore_locked_then_unlocked_mid_session_loses_no_token() {
    let _turn = ONE_AT_A_TIME.lock().await;
    // Six-second tokens: a refresh every three seconds.
    let sandbox = server(6).await;
    let base = sandbox.base_url();
    let profile = Profile::on_server("keystore-locks", &base);
    let app = profile.launch().await;
    Account(&app).sign_in_with_browser().await;
    let stored = profile.stored_refresh_token().expect("stored at sign-in");

    let locked = LockedKeyring::lock();
    // Two refreshes while the keystore cannot be written: the second must use the newest token.
    let before = token_requests(&base, "refresh_token").await;
    eventually(Duration::from_secs(30), "two refreshes did not happen while locked", || async {
        token_requests(&base, "refresh_token").await >= before + 2
    })
    .await;
    assert!(
        matches!(Account(&app).state().await.as_deref(), Some("signed_in" | "refreshing")),
        "still signed in while locked"
    );

    locked.unlock();
    // The newest token reaches the keystore once it unlocks.
    eventually(Duration::from_secs(30), "the newest token never reached the keystore", || async {
        profile.stored_refresh_token().is_some_and(|t| t != stored)
    })
    .await;
    app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_in").await;
    let refused = stats(&base).await["api_requests"]["POST /oauth/token"]["400"].as_u64().unwrap_or(0);
    assert_eq!(refused, 0, "no refresh token was refused (none was sent twice)");
    app.quit().await;

    let again = profile.launch().await;
    Account(&again).open_when_settled().await;
    again.wait_attribute(ids::AUTH_STATE, "data-state", "signed_in").await;
    again.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_failing_token_endpoint_during_a_submit_keeps_the_draft_and_sends_once() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let sandbox = server(4).await;
    let base = sandbox.base_url();
    let profile = Profile::on_server("submit-fault", &base);
    let app = profile.launch().await;
    Account(&app).sign_in_with_browser().await;
    // From now on the token endpoint fails; past the refresh point, the submit must refresh first.
    arm_fault(&base, json!({"endpoint": "POST /oauth/token", "status": 500, "count": 100})).await;
    app.click(ids::NAV_SUBMIT).await;
    app.type_into(ids::F_NAME, "Fault Tolerant Skill").await;
    app.type_into(ids::F_DESCRIPTION, "Submitted while the sign-in server fails.").await;
    app.script("const s = document.querySelector('[data-testid=f-category]'); s.value = 'automation'; s.dispatchEvent(new Event('change'));").await;
    app.script("const s = document.querySelector('[data-testid=f-type]'); s.value = 'script'; s.dispatchEvent(new Event('change'));").await;
    app.script("const v = document.querySelector('[data-testid=f-version]'); v.value = ''; v.dispatchEvent(new Event('input'));").await;
    app.type_into(ids::F_VERSION, "1.0.0").await;
    // Time is the condition: the 4 s access token must be due for its refresh (after 2 s), so that the
    // submit needs one.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    app.click(ids::SUBMIT_BUTTON).await;
    app.wait_text(
        "[data-testid=toast][data-kind=error]",
        |t| t.contains("sign-in server failed"),
        Duration::from_secs(10),
        "the failure was not shown",
    )
    .await;
    let name = app.script("return document.querySelector('[data-testid=f-name]').value").await;
    assert_eq!(name, "Fault Tolerant Skill", "the form is kept");
    let submitted = |s: Value| s["api_requests"]["POST /submit"].as_object().map(|m| m.len()).unwrap_or(0);
    assert_eq!(submitted(stats(&base).await), 0, "nothing was sent");
    assert_eq!(Account(&app).state().await, None, "the submit form is showing, not the account");
    assert!(profile.stored_refresh_token().is_some(), "the refresh token is kept");

    clear_faults(&base).await;
    app.click(ids::SUBMIT_BUTTON).await;
    app.wait_for(ids::SUBMIT_SUCCESS).await;
    assert_eq!(stats(&base).await["api_requests"]["POST /submit"]["201"], 1, "sent once");
    app.quit().await;
}

/// Every file under `dir` (recursively) whose bytes contain one of `needles`, with the needle.
fn files_containing(dir: &std::path::Path, needles: &[String]) -> (usize, Vec<String>) {
    let mut scanned = 0;
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else { continue };
            scanned += 1;
            for needle in needles {
                let n = needle.as_bytes();
                if bytes.windows(n.len()).any(|w| w == n) {
                    found.push(format!("{} holds {}…", path.display(), &needle[..needle.len().min(12)]));
                }
            }
        }
    }
    (scanned, found)
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn no_secret_is_left_in_logs_files_storage_or_the_command_line() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let sandbox = server(4).await;
    let base = sandbox.base_url();
    let mut profile = Profile::on_server("secrets", &base);
    // As much logging as a user could turn on.
    profile.extra_env.push(("ATOM_LOG", "debug".into()));
    let app = profile.launch().await;
    Account(&app).sign_in_with_browser().await;
    // A refresh or two, and calls with the access token.
    let before = token_requests(&base, "refresh_token").await;
    eventually(Duration::from_secs(15), "no refresh happened", || async {
        token_requests(&base, "refresh_token").await > before
    })
    .await;
    app.click("nav.tabs button").await;
    Catalogue(&app).search("github").await;
    app.wait_for(ids::SKILL_ROW).await;
    let cmdlines: Vec<String> = app
        .app_pids()
        .iter()
        .filter_map(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    let refresh_token = profile.stored_refresh_token().expect("a refresh token is stored");

    // Signed out, then an API key in use, then signed out again.
    app.click(ids::NAV_ACCOUNT).await;
    app.click(ids::SIGN_OUT).await;
    app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_out").await;
    sign_in_with_key(&app).await;
    app.click("nav.tabs button").await;
    Catalogue(&app).search("router").await;
    app.wait_for(ids::SKILL_ROW).await;
    app.click(ids::NAV_ACCOUNT).await;
    app.click(ids::SIGN_OUT).await;
    app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_out").await;
    app.quit().await;

    // What to look for: every token the sandbox issues has its prefix; the key; the one-time code.
    let log = std::fs::read_to_string(profile.browser_log()).unwrap();
    let redirect = log.lines().find_map(|l| l.strip_prefix("redirect ")).expect("the browser was redirected");
    let code =
        url::Url::parse(redirect).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let needles = vec!["sbx_at_".to_string(), "sbx_rt_".to_string(), refresh_token, RW_KEY.to_string(), code];
    // The browser's own history (the fake browser's log) is the user's browser, not the app.
    std::fs::remove_file(profile.browser_log()).unwrap();
    let (scanned, found) = files_containing(&profile.dir, &needles);
    assert!(found.is_empty(), "secrets left behind: {found:#?}");
    let logs = profile.dir.join("data/com.atomagentos.marketplace/logs/atom-marketplace.log");
    let log_text = std::fs::read_to_string(&logs).expect("the app wrote its log");
    assert!(log_text.contains("DEBUG"), "the scan covered a debug log");
    assert!(scanned > 3, "the scan read the profile's files ({scanned})");
    let (_, control) = files_containing(&profile.dir, std::slice::from_ref(&base));
    assert!(!control.is_empty(), "the scan finds what is there (the server's address, in the settings)");
    for cmdline in cmdlines {
        for needle in &needles {
            assert!(!cmdline.contains(needle.as_str()), "the app's command line holds a secret");
        }
    }
}
