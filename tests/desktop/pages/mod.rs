//! One page object per screen: what a scenario does there, written once, and the test ids it uses,
//! named once (`ids`). A scenario says `Catalogue(&app).open_skill("Web Router")`, not the clicks.

use std::time::Duration;

use crate::support::RunningApp;

/// The test ids (`data-testid`) the page objects use, as CSS selectors.
pub mod ids {
    pub const SEARCH: &str = "[data-testid=search]";
    pub const SKILL_ROW: &str = "[data-testid=skill-row]";
    pub const SKILL_NAME: &str = "[data-testid=skill-name]";
    pub const SKILL_MARKDOWN_BLOCK: &str = "[data-testid=skill-markdown] :is(p, h1, h2, ul)";
    pub const NAV_ACCOUNT: &str = "[data-testid=nav-account]";
    pub const NAV_SUBMIT: &str = "[data-testid=nav-submit]";
    pub const AUTH_STATE: &str = "[data-testid=auth-state]";
    pub const SANDBOX_URL: &str = "[data-testid=sandbox-url]";
    pub const SIGN_IN_BROWSER: &str = "[data-testid=sign-in-browser]";
    pub const SIGN_OUT: &str = "[data-testid=sign-out]";
    pub const API_KEY_INPUT: &str = "[data-testid=api-key-input]";
    pub const API_KEY_SUBMIT: &str = "[data-testid=api-key-submit]";
    pub const READ_WRITE: &str = "input[type=radio][value=read_write]";
    pub const FIRST_TAB: &str = "nav.tabs button";
    pub const AUTHORIZE_ADDRESS: &str = "[data-testid=authorize-address]";
    pub const AVERAGE_STARS: &str = "[data-testid=average-stars]";
    pub const BACK: &str = "[data-testid=back]";
    pub const BROWSER_FAILED: &str = "[data-testid=browser-failed]";
    pub const CHECK_SIGN_IN: &str = "[data-testid=check-sign-in]";
    pub const COPY_REPORT: &str = "[data-testid=copy-report]";
    pub const DOCTOR_FINDINGS: &str = "[data-testid=doctor-findings]";
    pub const DOCTOR_FROM_ERROR: &str = "[data-testid=doctor-from-error]";
    pub const DOCTOR_SUMMARY: &str = "[data-testid=doctor-summary]";
    pub const REGISTER_AGAIN: &str = "[data-testid=register-again]";
    pub const CALLBACK_INPUT: &str = "[data-testid=callback-input]";
    pub const CALLBACK_SUBMIT: &str = "[data-testid=callback-submit]";
    pub const COPY_ADDRESS: &str = "[data-testid=copy-address]";
    pub const COPY_LINK: &str = "[data-testid=copy-link]";
    pub const CUSTOM_API_BASE: &str = "[data-testid=custom-api-base]";
    pub const CUSTOM_CLIENT_ID: &str = "[data-testid=custom-client-id]";
    pub const CUSTOM_CONNECT: &str = "[data-testid=custom-connect]";
    pub const CUSTOM_DISCLOSURE: &str = "[data-testid=custom-disclosure]";
    pub const CUSTOM_ENDPOINTS: &str = "[data-testid=custom-endpoints]";
    pub const CUSTOM_FIND: &str = "[data-testid=custom-find]";
    pub const CUSTOM_FORM: &str = "[data-testid=custom-form]";
    pub const CUSTOM_FOUND: &str = "[data-testid=custom-found]";
    pub const CUSTOM_ISSUER: &str = "[data-testid=custom-issuer]";
    pub const DETAIL_SAVED_AGE: &str = "[data-testid=detail-saved-age]";
    pub const ENVIRONMENT: &str = "[data-testid=environment]";
    pub const ERROR_NAME: &str = "[data-testid=error-name]";
    pub const ERROR_VERSION: &str = "[data-testid=error-version]";
    pub const F_DESCRIPTION: &str = "[data-testid=f-description]";
    pub const F_LONG_DESCRIPTION: &str = "[data-testid=f-long_description]";
    pub const F_NAME: &str = "[data-testid=f-name]";
    pub const F_TAGS: &str = "[data-testid=f-tags]";
    pub const F_VERSION: &str = "[data-testid=f-version]";
    pub const LIST_ERROR: &str = "[data-testid=list-error]";
    pub const MY_RATING: &str = "[data-testid=my-rating]";
    pub const NOT_RENEWABLE: &str = "[data-testid=not-renewable]";
    pub const OFFLINE_NOTICE: &str = "[data-testid=offline-notice]";
    pub const PASTE_CALLBACK: &str = "[data-testid=paste-callback]";
    pub const POST_REVIEW: &str = "[data-testid=post-review]";
    pub const PREVIEW_TAB: &str = "[data-testid=preview-tab]";
    pub const RATING_COUNT: &str = "[data-testid=rating-count]";
    pub const RESULT_COUNT: &str = "[data-testid=result-count]";
    pub const REVIEW_COUNTER: &str = "[data-testid=review-counter]";
    pub const REVIEW_TEXT: &str = "[data-testid=review-text]";
    pub const REVIEWS: &str = "[data-testid=reviews]";
    pub const SAVED_AGE: &str = "[data-testid=saved-age]";
    pub const SCREEN_FAILED: &str = "[data-testid=screen-failed]";
    pub const SERVER_URL: &str = "[data-testid=server-url]";
    pub const SESSION_ONLY: &str = "[data-testid=session-only]";
    pub const SIGN_IN_ERROR: &str = "[data-testid=sign-in-error]";
    pub const SIGN_IN_LOOPBACK: &str = "[data-testid=sign-in-loopback]";
    pub const SIGN_IN_WAITING: &str = "[data-testid=sign-in-waiting]";
    pub const SIGN_OUT_WARNING: &str = "[data-testid=sign-out-warning]";
    pub const SKILL_DESCRIPTION: &str = "[data-testid=skill-description]";
    pub const STAR_RATING: &str = "[data-testid=star-rating]";
    pub const SUBMIT_BUTTON: &str = "[data-testid=submit-button]";
    pub const SUBMIT_DISABLED: &str = "[data-testid=submit-disabled]";
    pub const SUBMIT_SLUG: &str = "[data-testid=submit-slug]";
    pub const SUBMIT_STATUS: &str = "[data-testid=submit-status]";
    pub const SUBMIT_SUCCESS: &str = "[data-testid=submit-success]";
    pub const SUBMIT_VIEW: &str = "[data-testid=submit-view]";
    pub const TOASTS: &str = "[data-testid=toasts]";
    pub const WRITE_DISABLED: &str = "[data-testid=write-disabled]";
    pub const RATE_LIMIT: &str = "[data-testid=rate-limit]";
    pub const ACCOUNT_MENU: &str = "[data-testid=account-menu]";
    pub const ACCOUNT_MENU_ITEM: &str = "[data-testid=account-menu-item]";
    pub const MENU_ADD_ACCOUNT: &str = "[data-testid=menu-add-account]";
    pub const MENU_SIGN_OUT_ALL: &str = "[data-testid=menu-sign-out-all]";
    pub const ACCOUNT_ROW: &str = "[data-testid=account-row]";
    pub const ACCOUNT_NAME: &str = "[data-testid=account-name]";
    pub const ACCOUNT_USE: &str = "[data-testid=account-use]";
    pub const ACCOUNT_SIGN_OUT: &str = "[data-testid=account-sign-out]";
    pub const ADDING_ACCOUNT: &str = "[data-testid=adding-account]";
    pub const ACTING_AS: &str = "[data-testid=acting-as]";
    pub const ACCOUNT_RENAME: &str = "[data-testid=account-rename]";
    pub const ACCOUNT_NAME_INPUT: &str = "[data-testid=account-name-input]";
    pub const ACCOUNT_NAME_SAVE: &str = "[data-testid=account-name-save]";
    // Signed updates (UpdateNotice.svelte, AppUpdates.svelte).
    pub const UPDATE_NOTICE: &str = "[data-testid=update-notice]";
    pub const UPDATE_INSTALL: &str = "[data-testid=update-install]";
    pub const UPDATE_LATER: &str = "[data-testid=update-later]";
    pub const UPDATE_SKIP: &str = "[data-testid=update-skip]";
    pub const UPDATE_PROBLEM: &str = "[data-testid=update-problem]";
    pub const UPDATE_NOTES_TOGGLE: &str = "[data-testid=update-notes-toggle] summary";
    pub const UPDATE_NOTES: &str = "[data-testid=update-notes]";
    pub const UPDATED_NOTICE: &str = "[data-testid=updated-notice]";
    pub const UPDATED_VERSION: &str = "[data-testid=updated-version]";
    pub const UPDATED_CLOSE: &str = "[data-testid=updated-close]";
    pub const APP_UPDATES: &str = "[data-testid=app-updates]";
    pub const APP_VERSION: &str = "[data-testid=app-version]";
    pub const CHECK_UPDATES: &str = "[data-testid=check-updates]";
    pub const UPDATE_ANSWER: &str = "[data-testid=update-answer]";
    pub const AUTOMATIC_UPDATES: &str = "[data-testid=automatic-updates]";
}

/// The WebDriver codes of the keys the scenarios press, and the read-write API key they sign in with.
pub mod keys {
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const CONTROL: &str = "\u{E009}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const RIGHT: &str = "\u{E014}";
    pub const DOWN: &str = "\u{E015}";
    pub const RW_KEY: &str = "atom_pub_00000000-0000-4000-8000-000000000002";
}

/// The catalogue: the search box and the list.
pub struct Catalogue<'a>(pub &'a RunningApp);

impl Catalogue<'_> {
    /// Waits for the first rows: start-up has settled.
    pub async fn ready(&self) {
        self.0.wait_for(ids::SKILL_ROW).await;
    }

    /// Replaces what the search box holds with `text`, typed as a user would.
    pub async fn search(&self, text: &str) {
        self.0.click(ids::SEARCH).await;
        self.0
            .script("const s = document.querySelector('[data-testid=search]'); s.value = ''; s.dispatchEvent(new Event('input'));")
            .await;
        self.0.type_into(ids::SEARCH, text).await;
    }

    /// Searches for `name`, waits for a row whose name starts with it, and opens it; returns its slug.
    pub async fn open_skill(&self, name: &str) -> String {
        self.search(name).await;
        let find = format!(
            "const r = [...document.querySelectorAll('[data-testid=skill-row]')].find(r => r.querySelector('.name').textContent.startsWith({name:?})); return r ? r.dataset.slug : null"
        );
        let slug = self.0.poll(&find, Duration::from_secs(15)).await;
        let slug = slug.as_ref().and_then(|s| s.as_str()).unwrap_or_else(|| panic!("no row for {name}"));
        self.0.click(&format!("[data-testid=skill-row][data-slug='{slug}']")).await;
        self.0.wait_for(ids::SKILL_NAME).await;
        slug.to_string()
    }
}

/// A skill's page.
pub struct SkillPage<'a>(pub &'a RunningApp);

impl SkillPage<'_> {
    /// Waits for the description, rendered from its Markdown.
    pub async fn description_rendered(&self) {
        self.0.wait_for(ids::SKILL_MARKDOWN_BLOCK).await;
    }
}

/// The account page: sign-in and sign-out, the environment's addresses.
pub struct Account<'a>(pub &'a RunningApp);

impl Account<'_> {
    /// Opens it from wherever the window is.
    pub async fn open(&self) {
        self.0.click(ids::NAV_ACCOUNT).await;
        self.0.wait_for(ids::AUTH_STATE).await;
    }

    /// Opens it once start-up has settled (the catalogue shows), so that what the scenario sees is the
    /// settled state.
    pub async fn open_when_settled(&self) {
        Catalogue(self.0).ready().await;
        self.open().await;
    }

    /// Opens it, settled, on the embedded sandbox: the sandbox's address shows too.
    pub async fn open_on_sandbox(&self) {
        self.open_when_settled().await;
        self.0.wait_for(ids::SANDBOX_URL).await;
    }

    /// `signed_out`, `signed_in`, `refreshing` or `needs_reauth`; `None` when the page is not showing.
    pub async fn state(&self) -> Option<String> {
        self.0.attribute(ids::AUTH_STATE, "data-state").await
    }

    pub async fn wait_state(&self, state: &str) {
        self.0.wait_attribute(ids::AUTH_STATE, "data-state", state).await;
    }

    pub async fn signed_in(&self) {
        self.wait_state("signed_in").await;
    }

    /// Signs out if an earlier start left someone signed in.
    pub async fn start_signed_out(&self) {
        if self.state().await.as_deref() != Some("signed_out") {
            self.0.click(ids::SIGN_OUT).await;
            self.wait_state("signed_out").await;
        }
    }

    /// Signs in with the browser (the profile's fake browser approves), from the settled start-up state.
    pub async fn sign_in_with_browser(&self) {
        self.open_when_settled().await;
        self.0.click(ids::SIGN_IN_BROWSER).await;
        self.signed_in().await;
    }

    /// Signs in with an API key, `read_write` or read-only, on the account page.
    pub async fn sign_in_with_key(&self, key: &str, read_write: bool) {
        self.0.wait_for(ids::API_KEY_INPUT).await;
        self.0.type_into(ids::API_KEY_INPUT, key).await;
        if read_write {
            self.0.click(ids::READ_WRITE).await;
        }
        self.0.click(ids::API_KEY_SUBMIT).await;
        self.signed_in().await;
    }

    /// The embedded sandbox's address, read from this page (then back to the catalogue).
    pub async fn sandbox_url(&self) -> String {
        self.0.click(ids::NAV_ACCOUNT).await;
        let url = self.0.text(ids::SANDBOX_URL).await;
        self.0.click(ids::FIRST_TAB).await;
        url
    }
}

/// The account menu in the top bar, and the accounts listed on the Account page.
pub struct Accounts<'a>(pub &'a RunningApp);

impl Accounts<'_> {
    /// Each account's row on the Account page: (id, state, text), in the list's order.
    pub async fn rows(&self) -> Vec<(String, String, String)> {
        let rows = self
            .0
            .script(
                "return [...document.querySelectorAll('[data-testid=account-row]')]\
                 .map(r => [r.dataset.id, r.dataset.state, r.textContent.replace(/\\s+/g, ' ').trim()])",
            )
            .await;
        serde_json::from_value(rows).unwrap_or_default()
    }

    /// Waits until the Account page lists `n` accounts, all in `state`.
    pub async fn wait_rows(&self, n: usize, state: &str) -> Vec<(String, String, String)> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let rows = self.rows().await;
            if rows.len() == n && rows.iter().all(|r| r.1 == state) {
                return rows;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "wanted {n} accounts {state}, the list has {rows:?}"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Adds an account from the menu: the Account page then signs it in.
    pub async fn add(&self) {
        self.0.click(ids::ACCOUNT_MENU).await;
        self.0.click(ids::MENU_ADD_ACCOUNT).await;
        self.0.wait_attribute(ids::AUTH_STATE, "data-state", "signed_out").await;
        self.0.wait_for(ids::ADDING_ACCOUNT).await;
    }

    /// Waits for the page to say who the active account is.
    pub async fn wait_name(&self, name: &str) {
        let what = format!("the account is {name}");
        self.0.wait_text(ids::ACCOUNT_NAME, |t| t.contains(name), Duration::from_secs(15), &what).await;
    }

    /// Waits for the write's "as …" to name `name`.
    pub async fn wait_acting_as(&self, name: &str) {
        let what = format!("a write says it is made as {name}");
        self.0.wait_text(ids::ACTING_AS, |t| t.contains(name), Duration::from_secs(15), &what).await;
    }
}

/// The submit form.
pub struct Submit<'a>(pub &'a RunningApp);

impl Submit<'_> {
    /// Opens it; its code is loaded when the user heads for it, so the first field may come a moment
    /// after the click.
    pub async fn open(&self) {
        self.0.click(ids::NAV_SUBMIT).await;
        self.0.wait_for("[data-testid=f-name]").await;
    }
}

/// The test ids are the UI's: every one the scenarios name is in `ui/src`, so that a renamed id fails
/// here, at once, not as a scenario that waits 20 s for an element that no longer exists.
#[test]
fn every_test_id_the_scenarios_name_is_in_the_ui() {
    fn files(dir: &std::path::Path, ext: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, ext, out);
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    let repo = crate::support::repo();
    let (mut tests, mut ui) = (Vec::new(), Vec::new());
    files(&repo.join("tests/desktop"), "rs", &mut tests);
    files(&repo.join("ui/src"), "svelte", &mut ui);
    let ui = ui.concat();
    let named: std::collections::BTreeSet<String> = tests
        .concat()
        .split("data-testid=")
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c)).collect())
        .filter(|id: &String| !id.is_empty())
        .collect();
    assert!(named.len() > 60, "the scan found the scenarios' ids: {named:?}");
    let missing: Vec<&String> = named
        .iter()
        .filter(|id| {
            let as_attribute = format!("data-testid=\"{id}\"");
            // StarRating takes its id as a prop; the form's field errors are `error-{field}`.
            let as_prop = format!("testid=\"{id}\"");
            let field_error =
                id.strip_prefix("error-").is_some_and(|f| ui.contains(&format!("data-testid=\"f-{f}\"")));
            !(ui.contains(&as_attribute)
                || ui.contains(&as_prop)
                || field_error
                || id.as_str() == "star-rating")
        })
        .collect();
    assert!(missing.is_empty(), "test ids the UI does not have: {missing:?}");
}
