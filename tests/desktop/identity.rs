//! Accounts by identity, on the real app with the real gnome-keyring: a write goes as the account the
//! window showed beside its button, even when another becomes active before it is sent (and one for an
//! account signed out meanwhile is refused, sending nothing); a saved custom server connected again
//! with another name (and named with `--server`) is still one account, still signed in; accounts whose
//! server can no longer be opened can be removed, and sign out of all goes on past them and says which;
//! and no screen scrolls sideways with a long account name, at the default size and the smallest.

use std::time::Duration;

use serde_json::{json, Value};

use crate::accounts::{demo_user_signed_in, reviews, sam_added, stored};
use crate::pages::{ids, Account, Accounts, Catalogue};
use crate::support::*;

const RW_KEY: &str = "atom_pub_00000000-0000-4000-8000-000000000002";

/// The settings file of a profile.
fn settings_path(profile: &Profile) -> std::path::PathBuf {
    profile.dir.join("config/com.atomagentos.marketplace/settings.json")
}

/// Dismisses every toast shown.
async fn dismiss_toasts(app: &RunningApp) {
    app.script("document.querySelectorAll('[data-testid=toast] button').forEach(b => b.click())").await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_write_goes_as_the_account_the_window_showed_whatever_became_active_meanwhile() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut profile = Profile::new("acting-as");
    // Each review is held for 2.5 s in the app before it names its account (a development build's
    // test hook): time enough to switch accounts, as a user might while a slow write is on its way.
    profile.extra_env.push(("ATOM_TEST_HOLD", "post_review=2500".into()));
    let (app, sandbox) = demo_user_signed_in(&profile).await;
    let rows = sam_added(&app, &profile).await;
    let (demo, sam) = (rows[0].0.clone(), rows[1].0.clone());

    app.click(ids::FIRST_TAB).await;
    let slug = Catalogue(&app).open_skill("Web Router").await;
    Accounts(&app).wait_acting_as("Sam Okafor").await;
    dismiss_toasts(&app).await;
    app.click("[data-testid=star-rating] [data-star='3']").await;
    app.type_into(ids::REVIEW_TEXT, "Sent as the account the window showed").await;
    app.click(ids::POST_REVIEW).await;
    // While it is held, Demo User becomes active.
    app.click(ids::ACCOUNT_MENU).await;
    app.click(&format!("{}[data-id='{demo}']", ids::ACCOUNT_MENU_ITEM)).await;
    Accounts(&app).wait_acting_as("Demo User").await;
    let posted = |t: &str| t.contains("Review posted");
    app.wait_text("[data-kind=success]", posted, Duration::from_secs(15), "the review was posted").await;
    dismiss_toasts(&app).await;
    let said = reviews(&sandbox, &slug).await;
    let by = |who: &str| said.iter().any(|(a, t)| a == who && t.starts_with("Sent as the account"));
    assert!(by("Sam Okafor"), "the review went as Sam, shown beside the button: {said:?}");
    assert!(!by("Demo User"), "not as the account that became active: {said:?}");

    // A write for an account signed out before it is sent is refused, and nothing goes out.
    app.click(ids::ACCOUNT_MENU).await;
    app.click(&format!("{}[data-id='{sam}']", ids::ACCOUNT_MENU_ITEM)).await;
    Accounts(&app).wait_acting_as("Sam Okafor").await;
    dismiss_toasts(&app).await;
    app.click("[data-testid=star-rating] [data-star='2']").await;
    app.type_into(ids::REVIEW_TEXT, "Never sent: its account signed out").await;
    app.click(ids::POST_REVIEW).await;
    Account(&app).open().await;
    app.click(&format!("{}[data-id='{sam}'] {}", ids::ACCOUNT_ROW, ids::ACCOUNT_SIGN_OUT)).await;
    app.wait_text(
        "[data-kind=error]",
        |t| t.to_lowercase().contains("sign in"),
        Duration::from_secs(15),
        "the write was refused: its account is signed out",
    )
    .await;
    let said = reviews(&sandbox, &slug).await;
    assert!(!said.iter().any(|(_, t)| t.starts_with("Never sent")), "{said:?}");
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_saved_server_connected_again_with_another_name_is_still_one_account_signed_in() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = own_sandbox().await;
    let base = server.base_url();
    let profile = Profile::on_server("reconnect", &base);
    let app = profile.launch().await;
    Account(&app).open_when_settled().await;
    app.click(ids::SIGN_IN_BROWSER).await;
    Account(&app).signed_in().await;
    let token = profile.stored_refresh_token().expect("signed in: the server's entry holds the token");
    Accounts(&app).wait_rows(1, "signed_in").await;

    // The custom-server form holds the saved settings: another name, and Connect.
    app.script(
        "const s = document.querySelector('[data-testid=environment-select]'); s.value = 'custom'; \
         s.dispatchEvent(new Event('change', { bubbles: true }));",
    )
    .await;
    app.wait_for(ids::CUSTOM_FORM).await;
    app.script(
        "const n = document.querySelector('#c-name'); n.value = 'Renamed server'; \
         n.dispatchEvent(new Event('input', { bubbles: true }));",
    )
    .await;
    app.click(ids::CUSTOM_CONNECT).await;
    app.wait_text(ids::ENVIRONMENT, |t| t == "Renamed server", Duration::from_secs(15), "renamed").await;
    Account(&app).open().await;
    let rows = Accounts(&app).wait_rows(1, "signed_in").await;
    assert!(rows[0].2.contains("Renamed server"), "{rows:?}");
    let saved: Value = serde_json::from_slice(&std::fs::read(settings_path(&profile)).unwrap()).unwrap();
    assert_eq!(saved["accounts"].as_array().unwrap().len(), 1, "{saved}");
    assert_eq!(saved["accounts"][0]["environment"]["settings"]["name"], "Renamed server");
    app.quit().await;

    // The same server named on the command line (for one run): its saved account, signed in; the
    // saved settings are not replaced by that run's.
    let app = profile.launch_with(&["--server", &base]).await;
    Account(&app).open_when_settled().await;
    Account(&app).signed_in().await;
    Accounts(&app).wait_rows(1, "signed_in").await;
    app.quit().await;
    let saved: Value = serde_json::from_slice(&std::fs::read(settings_path(&profile)).unwrap()).unwrap();
    assert_eq!(saved["accounts"].as_array().unwrap().len(), 1, "{saved}");
    assert_eq!(saved["accounts"][0]["environment"]["settings"]["name"], "Renamed server");
    assert!(profile.stored_refresh_token().is_some_and(|t| t != token), "one entry, rotated in place");
}

/// Two saved accounts on a server whose saved settings no longer make a server (plain HTTP to another
/// computer, which this version refuses), each with a token in its keystore entry.
fn add_unopenable_accounts(profile: &Profile) -> Vec<(String, String)> {
    let path = settings_path(profile);
    let mut saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let settings = json!({
        "name": "Retired server", "api_base": "http://retired.example", "authorize_url":
        "http://retired.example/oauth/authorize", "token_url": "http://retired.example/oauth/token",
        "client_id": "atom-desktop"
    });
    let key = "custom:retired.example:atom-desktop:0badc0de";
    let store = atom_desktop::keystore::OsKeystore;
    let mut entries = Vec::new();
    for (id, first) in [("0badc0d1", true), ("0badc0d2", false)] {
        saved["accounts"].as_array_mut().unwrap().push(json!({
            "id": id, "environment": {"kind": "custom", "settings": settings}, "server": key, "first": first,
            "label": format!("Retired {id}")
        }));
        let ns = if first { key.to_string() } else { format!("{key}/account/{id}") };
        let secret = atom_core::Secret::new("a-token-of-the-retired-server");
        atom_core::SecretStore::set(&store, &ns, "refresh_token", &secret).unwrap();
        entries.push((id.to_string(), ns));
    }
    std::fs::write(&path, saved.to_string()).unwrap();
    entries
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn accounts_whose_server_cannot_open_are_removed_and_signed_out_of_all_with_the_rest() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("unopenable");
    let (app, _) = demo_user_signed_in(&profile).await;
    app.quit().await;
    let broken = add_unopenable_accounts(&profile);

    let app = profile.launch().await;
    Account(&app).open_when_settled().await;
    Account(&app).signed_in().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while Accounts(&app).rows().await.len() != 3 {
        assert!(std::time::Instant::now() < deadline, "{:?}", Accounts(&app).rows().await);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // Remove one of them: its keystore entry goes with it, though its server cannot be reached.
    let (first_id, first_ns) = &broken[0];
    app.click(&format!("{}[data-id='{first_id}'] {}", ids::ACCOUNT_ROW, ids::ACCOUNT_SIGN_OUT)).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while Accounts(&app).rows().await.iter().any(|r| &r.0 == first_id) {
        assert!(std::time::Instant::now() < deadline, "{:?}", Accounts(&app).rows().await);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(stored(first_ns, "refresh_token"), None, "its entry is deleted by name");
    dismiss_toasts(&app).await;

    // Sign out of all: the sandbox account and the other retired one both, and the answer names the
    // one whose server was not told.
    app.click(ids::ACCOUNT_MENU).await;
    app.click(ids::MENU_SIGN_OUT_ALL).await;
    Accounts(&app).wait_rows(1, "signed_out").await;
    let (_, second_ns) = &broken[1];
    assert_eq!(stored(second_ns, "refresh_token"), None);
    assert_eq!(stored("sandbox", "refresh_token"), None);
    app.wait_text(
        "[data-kind=error]",
        |t| t.contains("Retired 0badc0d2"),
        Duration::from_secs(10),
        "the warning names the account whose server was not told",
    )
    .await;
    app.quit().await;
}

/// What scrolls sideways or reaches past the window's right edge, unclipped (at most ten).
const SIDEWAYS: &str = r#"
const w = document.documentElement.clientWidth;
const name = (e) => e.tagName.toLowerCase() + (e.dataset.testid ? `[${e.dataset.testid}]` : e.className ? `.${String(e.className).split(' ')[0]}` : '');
const clipped = (e) => { for (let a = e.parentElement; a; a = a.parentElement) { const o = getComputedStyle(a).overflowX; if (o !== 'visible' && a.getBoundingClientRect().right <= w + 1) return true; } return false; };
const out = [];
if (document.documentElement.scrollWidth > w + 1) out.push(`the page: ${document.documentElement.scrollWidth} > ${w}`);
for (const e of document.querySelectorAll('body *')) {
  const s = getComputedStyle(e);
  if (s.display === 'none' || s.visibility === 'hidden') continue;
  if ((s.overflowX === 'auto' || s.overflowX === 'scroll') && e.scrollWidth > e.clientWidth + 1) out.push(`scrolls: ${name(e)}`);
  const r = e.getBoundingClientRect();
  if (r.width > 0 && r.height > 0 && r.right > w + 1 && !clipped(e)) out.push(`past the edge: ${name(e)} (${Math.round(r.right)} > ${w})`);
  if (out.length >= 10) break;
}
return out;
"#;

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn no_screen_scrolls_sideways_with_a_long_account_name_at_the_default_and_the_smallest_size() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("long-name");
    let app = profile.launch().await;
    Account(&app).open_when_settled().await;
    Account(&app).sign_in_with_key(RW_KEY, true).await;
    let rows = Accounts(&app).wait_rows(1, "signed_in").await;
    let id = rows[0].0.clone();
    // A name at the longest the app takes, in words (it may wrap) and in one piece (it may not).
    let long = "Sandbox Publisher (API key) of the quarterly review of every automation skill shipped";
    let one_piece = "Sandbox_Publisher_API_key_of_the_quarterly_review_of_every_automation_skill_shipped";
    let tall = long.len().max(one_piece.len());
    assert!(tall <= 100);
    for (label, shot) in [(long, "long-name-words"), (one_piece, "long-name-one-piece")] {
        app.click(&format!("{}[data-id='{id}'] {}", ids::ACCOUNT_ROW, ids::ACCOUNT_RENAME)).await;
        app.wait_for(ids::ACCOUNT_NAME_INPUT).await;
        app.script_with(
            "const i = document.querySelector('[data-testid=account-name-input]'); i.value = arguments[0];\
             i.dispatchEvent(new Event('input', { bubbles: true }));",
            json!([label]),
        )
        .await;
        app.click(ids::ACCOUNT_NAME_SAVE).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !Accounts(&app).rows().await.iter().any(|r| r.2.starts_with(label)) {
            assert!(std::time::Instant::now() < deadline, "renamed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for (width, height) in [(1200, 800), (820, 560)] {
            app.resize(width, height).await;
            let screens: [(&str, &str); 4] = [
                ("catalogue", ids::FIRST_TAB),
                ("skill", ""),
                ("submit", ids::NAV_SUBMIT),
                ("account", ids::NAV_ACCOUNT),
            ];
            for (screen, tab) in screens {
                if screen == "skill" {
                    Catalogue(&app).open_skill("Web Router").await;
                    Accounts(&app).wait_acting_as(&label[..20]).await;
                    // The whole name is in the text a screen reader reads, however it is cut on screen.
                    let full = app
                        .script("return document.querySelector('[data-testid=acting-as]').textContent")
                        .await;
                    assert!(full.as_str().unwrap_or("").contains(label), "{full}");
                } else {
                    app.click(tab).await;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                let offenders = app.script(SIDEWAYS).await;
                if offenders.as_array().is_some_and(|o| !o.is_empty()) {
                    app.screenshot(&screenshot_path(&format!("{shot}-{screen}-{width}x{height}"))).await;
                }
                assert_eq!(offenders, json!([]), "{screen} at {width}×{height} with {label:?}");
            }
            if (width, height) == (1200, 800) {
                Catalogue(&app).open_skill("Web Router").await;
                app.screenshot(&screenshot_path(&format!("{shot}-skill"))).await;
            }
        }
        app.resize(1200, 800).await;
        Account(&app).open().await;
    }
    app.quit().await;
}
