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
