//! Several accounts side by side, on the real app with the real gnome-keyring: a second account added
//! through the browser (the sandbox's consent page signs in another user), a switch from the keyboard,
//! a rating as each that the sandbox records under each name, signing out of one while the other keeps
//! its keystore entry, and a restart that brings back the other, active. Then an API-key account beside
//! a browser one, and a start-up where one account's refresh token died: that row says "sign in again",
//! the other is untouched.

use std::time::Duration;

use crate::pages::keys::*;
use crate::pages::{ids, Account, Accounts, Catalogue};
use crate::support::*;

/// The refresh token (or API key) the OS keystore holds under `namespace`.
pub(crate) fn stored(namespace: &str, entry: &str) -> Option<String> {
    let store = atom_desktop::keystore::OsKeystore;
    atom_core::SecretStore::get(&store, namespace, entry).ok().flatten().map(|s| s.expose().to_string())
}

/// The keystore namespace of a second (or later) sandbox account.
fn namespace_of(id: &str) -> String {
    format!("sandbox/account/{id}")
}

/// The reviews the sandbox holds for `slug`, read anonymously: (author, text).
pub(crate) async fn reviews(sandbox: &str, slug: &str) -> Vec<(String, String)> {
    let env = atom_core::Environment::sandbox(sandbox).unwrap();
    let reader =
        atom_core::Account::new(env, std::sync::Arc::new(atom_core::MemoryStore::default())).unwrap();
    let page = reader.reviews(slug, 50, 0).await.unwrap();
    page.reviews.into_iter().map(|r| (r.author_name, r.review)).collect()
}

/// Rates the skill shown with `stars` and `text`, and waits for the sandbox to say it took it.
async fn rate(app: &RunningApp, stars: u8, text: &str) {
    app.click(&format!("[data-testid=star-rating] [data-star='{stars}']")).await;
    app.type_into(ids::REVIEW_TEXT, text).await;
    app.click(ids::POST_REVIEW).await;
    app.wait_for("[data-kind=success]").await;
    app.script("document.querySelectorAll('[data-testid=toast] button').forEach(b => b.click())").await;
}

/// A profile's app, signed in through the browser as the sandbox's demo user; and the sandbox's address.
pub(crate) async fn demo_user_signed_in(profile: &Profile) -> (RunningApp, String) {
    let app = profile.launch().await;
    Account(&app).sign_in_with_browser().await;
    let sandbox = app.text(ids::SANDBOX_URL).await;
    Accounts(&app).wait_name("Demo User").await;
    (app, sandbox)
}

/// A second account beside the demo user's: the consent page signs in Sam this time. The rows of
/// both, signed in (id, state, text).
pub(crate) async fn sam_added(app: &RunningApp, profile: &Profile) -> Vec<(String, String, String)> {
    Accounts(app).add().await;
    profile.set_decision("approve:sam");
    app.click(ids::SIGN_IN_BROWSER).await;
    Account(app).signed_in().await;
    Accounts(app).wait_name("Sam Okafor").await;
    Accounts(app).wait_rows(2, "signed_in").await
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn two_browser_accounts_rate_as_themselves_and_signing_out_of_one_keeps_the_other() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("accounts");
    let (app, sandbox) = demo_user_signed_in(&profile).await;

    let rows = sam_added(&app, &profile).await;
    assert!(rows[0].2.contains("Demo User") && rows[1].2.contains("Sam Okafor"), "{rows:?}");
    let (demo, sam) = (rows[0].0.clone(), rows[1].0.clone());
    // Two keystore entries: the first account keeps the environment's own, Sam has one of his own.
    let demo_token = stored("sandbox", "refresh_token").expect("the first account's entry");
    let sam_token = stored(&namespace_of(&sam), "refresh_token").expect("the second account's entry");
    assert_ne!(demo_token, sam_token);

    app.click(ids::ACCOUNT_MENU).await;
    app.wait_for(ids::ACCOUNT_MENU_ITEM).await;
    app.screenshot(&screenshot_path("account-menu-two-accounts")).await;
    app.keys(&[ESCAPE]).await;
    assert!(app.find(ids::ACCOUNT_MENU_ITEM).await.is_none(), "Escape closes the menu");

    // A rating as Sam: the composer says so before it is sent.
    app.click(ids::FIRST_TAB).await;
    let slug = Catalogue(&app).open_skill("Web Router").await;
    Accounts(&app).wait_acting_as("Sam Okafor").await;
    rate(&app, 4, "Rated as Sam from the accounts test").await;

    // Switch from the keyboard: the menu button, Down to the first account (Demo User), Enter.
    app.script("document.querySelector('[data-testid=account-menu]').focus()").await;
    app.keys(&[DOWN]).await;
    app.wait_for(&format!("{}[data-id='{demo}']:focus", ids::ACCOUNT_MENU_ITEM)).await;
    app.keys(&[ENTER]).await;
    Accounts(&app).wait_acting_as("Demo User").await;
    // Sam's draft stays Sam's: the composer is empty for Demo User.
    assert_eq!(app.script("return document.querySelector('[data-testid=review-text]').value").await, "");
    rate(&app, 5, "Rated as Demo from the accounts test").await;

    let said = reviews(&sandbox, &slug).await;
    for (who, text) in [("Sam Okafor", "Rated as Sam"), ("Demo User", "Rated as Demo")] {
        assert!(said.iter().any(|(a, t)| a == who && t.starts_with(text)), "{who} in {said:?}");
    }

    // Sign out of Sam only: his token goes, Demo User's stays (in the keystore and at the server). His
    // row stays, signed out, until it is removed.
    Account(&app).open().await;
    let sam_sign_out = format!("{}[data-id='{sam}'] {}", ids::ACCOUNT_ROW, ids::ACCOUNT_SIGN_OUT);
    app.click(&sam_sign_out).await;
    app.wait_attribute(&format!("{}[data-id='{sam}']", ids::ACCOUNT_ROW), "data-state", "signed_out").await;
    assert_eq!(stored(&namespace_of(&sam), "refresh_token"), None, "Sam's entry is removed");
    assert_eq!(stored("sandbox", "refresh_token").as_deref(), Some(demo_token.as_str()));
    let rows = Accounts(&app).rows().await;
    assert_eq!((rows[0].0.as_str(), rows[0].1.as_str()), (demo.as_str(), "signed_in"), "{rows:?}");
    app.click(&sam_sign_out).await;
    let rows = Accounts(&app).wait_rows(1, "signed_in").await;
    assert_eq!(rows[0].0, demo);

    // A restart: Demo User is signed in again, and active.
    app.quit().await;
    let app = profile.launch().await;
    Account(&app).open_when_settled().await;
    Account(&app).signed_in().await;
    Accounts(&app).wait_name("Demo User").await;
    let rows = Accounts(&app).wait_rows(1, "signed_in").await;
    assert_eq!(rows[0].0, demo);
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn an_api_key_account_beside_a_browser_one_and_a_dead_token_disturbs_only_its_own_row() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("accounts-key");
    let (app, sandbox) = demo_user_signed_in(&profile).await;
    Accounts(&app).add().await;
    Account(&app).sign_in_with_key(RW_KEY, true).await;
    let rows = Accounts(&app).wait_rows(2, "signed_in").await;
    // The key shows as its hint and scope, never whole.
    assert!(rows[1].2.contains("atom_pub_…0002") && rows[1].2.contains("read_write"), "{rows:?}");
    assert!(rows.iter().all(|r| !r.2.contains(RW_KEY)), "{rows:?}");
    let (browser, key) = (rows[0].0.clone(), rows[1].0.clone());
    assert_eq!(stored(&namespace_of(&key), "api_key").as_deref(), Some(RW_KEY));

    // Demo User's grant is revoked at the server (as by the user on another device), then the app closes.
    let token = stored("sandbox", "refresh_token").expect("the browser account's entry");
    let revoked = reqwest::Client::new()
        .post(format!("{sandbox}/oauth/revoke"))
        .form(&[("token", token.as_str()), ("client_id", "atom-desktop")])
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.status());
    app.quit().await;

    // Start-up: the key account (the last active) is signed in; the other's row says to sign in again.
    let app = profile.launch().await;
    Account(&app).open_when_settled().await;
    Account(&app).signed_in().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let rows = loop {
        let rows = Accounts(&app).rows().await;
        if rows.len() == 2 && rows[0].1 == "needs_reauth" {
            break rows;
        }
        assert!(std::time::Instant::now() < deadline, "{rows:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert_eq!((rows[1].0.as_str(), rows[1].1.as_str()), (key.as_str(), "signed_in"), "{rows:?}");
    assert!(rows[0].2.contains("sign in again"), "{rows:?}");
    app.screenshot(&screenshot_path("accounts-sign-in-again")).await;
    assert!(app.find(ids::SIGN_IN_ERROR).await.is_none(), "the active account is not disturbed");

    // "Sign in again" on its row: that account becomes active, and signs in through the browser.
    app.click(&format!("{}[data-id='{browser}'] {}", ids::ACCOUNT_ROW, ids::ACCOUNT_USE)).await;
    Account(&app).wait_state("needs_reauth").await;
    app.click(ids::SIGN_IN_BROWSER).await;
    Account(&app).signed_in().await;
    Accounts(&app).wait_rows(2, "signed_in").await;

    // Two credentials, two quotas: the top bar shows the active account's.
    app.click(ids::FIRST_TAB).await;
    Catalogue(&app).search("Router").await;
    let quota = |limit: &'static str| move |t: &str| t.contains(limit);
    app.wait_text(ids::RATE_LIMIT, quota("/600"), Duration::from_secs(15), "the browser account's quota")
        .await;
    app.click(ids::ACCOUNT_MENU).await;
    app.click(&format!("{}[data-id='{key}']", ids::ACCOUNT_MENU_ITEM)).await;
    Catalogue(&app).search("Summarizer").await;
    app.wait_text(ids::RATE_LIMIT, quota("/300"), Duration::from_secs(15), "the key's quota").await;

    // A name of the user's for the key account: on its row, beside a write, and after a restart.
    Account(&app).open().await;
    app.click(&format!("{}[data-id='{key}'] {}", ids::ACCOUNT_ROW, ids::ACCOUNT_RENAME)).await;
    app.wait_for(ids::ACCOUNT_NAME_INPUT).await;
    app.script(
        "const i = document.querySelector('[data-testid=account-name-input]'); i.value = 'Team key';\
         i.dispatchEvent(new Event('input', { bubbles: true }));",
    )
    .await;
    app.click(ids::ACCOUNT_NAME_SAVE).await;
    let named =
        |rows: &[(String, String, String)]| rows.iter().any(|r| r.0 == key && r.2.starts_with("Team key"));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !named(&Accounts(&app).rows().await) {
        assert!(std::time::Instant::now() < deadline, "{:?}", Accounts(&app).rows().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.click(ids::FIRST_TAB).await;
    Catalogue(&app).open_skill("Web Router").await;
    Accounts(&app).wait_acting_as("Team key").await;
    app.quit().await;
    let app = profile.launch().await;
    Account(&app).open_when_settled().await;
    let rows = Accounts(&app).wait_rows(2, "signed_in").await;
    assert!(named(&rows), "{rows:?}");

    // Sign out of all: both entries go.
    app.click(ids::ACCOUNT_MENU).await;
    app.click(ids::MENU_SIGN_OUT_ALL).await;
    Accounts(&app).wait_rows(1, "signed_out").await;
    assert_eq!(stored(&namespace_of(&key), "api_key"), None);
    assert_eq!(stored("sandbox", "refresh_token"), None);
    app.quit().await;
}
