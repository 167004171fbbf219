//! The shell's state, [`Shell`], in five parts: [`Settings`] (what is remembered between runs),
//! [`Accounts`] (every account, on any environment, and the active one), [`Environments`] (the active
//! environment, one catalogue per environment, the embedded sandbox, the catalogue cache's folders),
//! [`SignIn`] (the loopback listener, the keystore's status, the last refusal) and [`Opened`] (what a
//! link asked the window to show, until it takes it); beside them, the window's outbox (`outbox.rs`)
//! and whether its page is up. `Shell`'s own methods are what takes more than one part: switching
//! accounts and environments, signing out of one or all, a link, a sign-in's callback.

mod accounts;
mod environments;
mod opened;
mod settings;
mod sign_in;

pub use accounts::{AccountView, Accounts, SavedAccount};
pub use environments::Environments;
pub use opened::{Opened, OpenedLink};
pub use settings::Settings;
pub use settings::UpdateSettings;
pub use sign_in::SignIn;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use atom_core::{Account, CustomEnvironment, EnvironmentKind, ErrorInfo, SecretStore};
use serde::{Deserialize, Serialize};
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Manager};
use tokio::sync::watch;
use ts_rs::TS;

use crate::outbox::Outbox;

/// Event names for the UI (`outbox.rs`; `ui/src/bindings/events.ts`).
pub mod events {
    pub const AUTH_STATE: &str = "auth-state";
    pub const RATE_LIMIT: &str = "rate-limit";
    pub const SIGN_IN_ERROR: &str = "sign-in-error";
    pub const ENVIRONMENT: &str = "environment";
    pub const KEYSTORE: &str = "keystore";
    /// `true` when the server answers again, `false` when it cannot be reached.
    pub const CONNECTIVITY: &str = "connectivity";
    /// A link opened something (or was refused): the window takes it with `take_link`.
    pub const LINK: &str = "link";
    /// The accounts changed (one signed in or out, was added, removed or switched to, or was named).
    pub const ACCOUNTS: &str = "accounts";
    /// Where an update check or install stands (`updates::UpdateStatus`).
    pub const UPDATE: &str = "update";
}

/// Whether the OS keystore could be used, for a notice that stays while the problem does.
#[derive(Clone, Debug, Default, PartialEq, Serialize, TS)]
pub struct KeystoreStatus {
    pub available: bool,
    /// What the keystore library said, for the technical details.
    pub detail: Option<String>,
}

/// Which environment the user picked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnvChoice {
    Production,
    Sandbox,
    Custom { settings: Box<CustomEnvironment> },
}

/// What the UI shows about the active environment.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct EnvironmentView {
    pub kind: EnvironmentKind,
    pub name: String,
    pub api_base: String,
    /// Where the secrets are kept ("Secret Service", …).
    pub keystore: String,
}

/// The app's state, managed by Tauri (`handle.state::<Shell>()`).
pub struct Shell {
    handle: AppHandle,
    pub settings: Settings,
    /// Every account, on any environment, and the active one.
    pub accounts: Accounts,
    pub environments: Environments,
    pub sign_in: SignIn,
    /// The last link that opens something in the window, until it takes it.
    pub opened: Opened,
    /// Set when the window first asks for the app's state: its page is mounted.
    window_up: AtomicBool,
    window_up_now: tokio::sync::Notify,
    /// The events the window takes (`next_events`).
    outbox: Arc<Outbox>,
}

/// From the silent sign-in's end to giving start-up's freed memory back (`memory.rs`).
const RELEASE_AFTER_START: std::time::Duration = std::time::Duration::from_secs(2);
/// How long the silent sign-in waits for the window before it starts anyway.
const SIGN_IN_WAITS_FOR_WINDOW: std::time::Duration = std::time::Duration::from_millis(1500);

impl Shell {
    pub fn new(handle: AppHandle, store: Arc<dyn SecretStore>) -> Shell {
        let data_dir =
            handle.path().app_data_dir().unwrap_or_else(|_| std::env::temp_dir().join("atom-marketplace"));
        let config_dir = handle.path().app_config_dir().unwrap_or_else(|_| data_dir.clone());
        let cache_dir =
            handle.path().app_cache_dir().unwrap_or_else(|_| data_dir.join("cache")).join("catalogue");
        let outbox = Arc::<Outbox>::default();
        let settings = Settings::new(config_dir);
        let (saved, active) = settings.saved_accounts();
        Shell {
            handle,
            accounts: Accounts::load(saved, active),
            settings,
            environments: Environments::new(store, cache_dir, data_dir),
            sign_in: SignIn::new(outbox.clone()),
            opened: Opened::new(outbox.clone(), events::LINK),
            window_up: AtomicBool::new(false),
            window_up_now: tokio::sync::Notify::new(),
            outbox,
        }
    }

    /// The active environment's account, waiting for start-up to choose one.
    pub async fn account(&self) -> Account {
        self.environments.account().await
    }

    /// Makes `choice` the active environment, with its account: the active one if it is there, else
    /// the first added there, else a new one (saved unless `remember` is `false`: `--server` is for one
    /// run). An account being added (never signed in) moves to `choice` instead: the user picked where
    /// it signs in.
    pub async fn switch(&self, choice: EnvChoice, remember: bool) -> Result<EnvironmentView, ErrorInfo> {
        let moved = self.accounts.active_id().filter(|id| self.accounts.move_fresh(id, &choice));
        let id = match moved.or_else(|| self.accounts.on_environment(&choice)) {
            Some(id) => id,
            None => self.accounts.add(choice, remember, false),
        };
        self.activate(&id).await
    }

    /// Makes account `id` the active one: the catalogue, the rate-limit figures and every write follow
    /// it. Opened on its environment if it was not yet, and signed in from the keystore in the
    /// background the first time, with its state, its rate limits and its catalogue's connectivity
    /// forwarded to the window.
    pub async fn activate(&self, id: &str) -> Result<EnvironmentView, ErrorInfo> {
        let saved = self.accounts.existing(id)?;
        let account = self.open_account(&saved).await?;
        let forwarders = vec![
            self.forward(account.state(), events::AUTH_STATE),
            self.forward(account.rate_limits(), events::RATE_LIMIT),
            self.forward(account.catalogue().connectivity(), events::CONNECTIVITY),
        ];
        let view = self.environments.view(&account);
        self.sign_in.set_loopback(None);
        self.environments.activate(saved.environment.clone(), &account, forwarders).await;
        self.accounts.set_active(id);
        if saved.environment != EnvChoice::Sandbox && self.environments.sandbox_runs().await {
            // Nothing listens on this computer once the user has left the sandbox: its accounts close
            // (they sign in from the keystore again when the user comes back).
            self.accounts.close_on(&EnvChoice::Sandbox);
            self.environments.stop_sandbox().await;
        }
        self.save_accounts();
        // The list first: the window tells a switch from a sign-in by the active account's id.
        self.publish_accounts();
        self.outbox.push(events::ENVIRONMENT, &view);
        self.outbox.push(events::AUTH_STATE, account.current_state());
        self.outbox.push(events::RATE_LIMIT, account.rate_limits().borrow().clone());
        if self.accounts.start_restore(id) {
            self.restore_in_background(account);
        }
        Ok(view)
    }

    /// The account `saved` names, opened on its environment (once; later calls get the same).
    async fn open_account(&self, saved: &SavedAccount) -> Result<Account, ErrorInfo> {
        if let Some(account) = self.accounts.opened(&saved.id) {
            return Ok(account);
        }
        let account = self.environments.open(&saved.environment, &saved.account_id()).await?;
        let watcher = self.watch_account(saved.id.clone(), account.clone());
        self.accounts.set_opened(&saved.id, account.clone(), watcher);
        Ok(self.accounts.opened(&saved.id).unwrap_or(account))
    }

    /// Follows account `id`: each change of its state goes to the window's account list, and a new
    /// sign-in asks its server who it is (once per sign-in).
    fn watch_account(&self, id: String, account: Account) -> JoinHandle<()> {
        let handle = self.handle.clone();
        tauri::async_runtime::spawn(async move {
            let shell = handle.state::<Shell>();
            let mut states = account.state();
            let mut asked = false;
            loop {
                let signed_in = states.borrow_and_update().is_signed_in();
                if signed_in {
                    shell.accounts.signed_in(&id);
                }
                shell.publish_accounts();
                if signed_in && !asked {
                    asked = true;
                    match account.identify().await {
                        Ok(Some(who)) => {
                            if shell.accounts.set_identity(&id, who) {
                                shell.save_accounts();
                                shell.publish_accounts();
                            }
                        }
                        Ok(None) => {}
                        Err(e) => tracing::info!("could not ask who an account is: {e}"),
                    }
                }
                asked &= signed_in;
                if states.changed().await.is_err() {
                    return;
                }
            }
        })
    }

    /// The accounts, as the window shows them.
    pub fn publish_accounts(&self) {
        self.outbox.push(events::ACCOUNTS, self.accounts.views());
    }

    fn save_accounts(&self) {
        let (accounts, active) = self.accounts.to_save();
        self.settings.save_accounts(accounts, active);
    }

    /// Signs the active account in from the keystore once the window is up, and says whether the
    /// keystore could be used.
    fn restore_in_background(&self, account: Account) {
        let handle = self.handle.clone();
        tauri::async_runtime::spawn(async move {
            // The keystore (its D-Bus calls, and the key exchange that protects the secret on the
            // way) would compete with the window's first paint for the CPU: it starts once the page
            // is up. Reads go out anonymously until it is done.
            let shell = handle.state::<Shell>();
            let _ = tokio::time::timeout(SIGN_IN_WAITS_FOR_WINDOW, shell.window_is_up()).await;
            let status = match account.restore().await {
                Err(atom_core::Error::Keystore(e)) => {
                    tracing::warn!("silent sign-in did not complete: {e}");
                    // A keystore that answers late (the user unlocked it) signs in then: the warning
                    // goes with it.
                    let mut states = account.state();
                    let later = handle.clone();
                    tauri::async_runtime::spawn(async move {
                        let kept = |s: &atom_core::AuthState| matches!(s, atom_core::AuthState::SignedIn(me) if me.persisted);
                        if states.wait_for(kept).await.is_ok() {
                            let available = KeystoreStatus { available: true, detail: None };
                            later.state::<Shell>().sign_in.set_keystore_status(available);
                        }
                    });
                    KeystoreStatus { available: false, detail: Some(e.to_string()) }
                }
                Err(e) => {
                    tracing::warn!("silent sign-in did not complete: {e}");
                    KeystoreStatus { available: true, detail: None }
                }
                Ok(_) => KeystoreStatus { available: true, detail: None },
            };
            shell.sign_in.set_keystore_status(status);
            // The last of start-up (or of the switch): what it freed goes back to the OS once the
            // first page's requests are done too.
            tokio::time::sleep(RELEASE_AFTER_START).await;
            let _ = tauri::async_runtime::spawn_blocking(crate::memory::release_freed).await;
        });
    }

    /// Start-up: every other saved account signs in from the keystore too, all at once and after the
    /// window is up, none waiting for another (an account of the sandbox waits until the sandbox
    /// runs). One whose refresh token died shows "sign in again" on its row; the others are untouched.
    fn restore_others(&self) {
        let handle = self.handle.clone();
        tauri::async_runtime::spawn(async move {
            let shell = handle.state::<Shell>();
            let _ = tokio::time::timeout(SIGN_IN_WAITS_FOR_WINDOW, shell.window_is_up()).await;
            let sandbox_runs = shell.environments.sandbox_runs().await;
            let mut accounts = Vec::new();
            for saved in shell.accounts.others() {
                if saved.environment == EnvChoice::Sandbox && !sandbox_runs {
                    continue;
                }
                match shell.open_account(&saved).await {
                    Ok(account) if shell.accounts.start_restore(&saved.id) => accounts.push(account),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("could not open an account: {}", e.message),
                }
            }
            for result in atom_core::restore_all(&accounts).await {
                if let Err(e) = result {
                    tracing::info!("an account did not sign in at start-up: {e}");
                }
            }
        });
    }

    /// Adds an account on the active environment, not signed in, and makes it the active one: the
    /// Account page then signs it in (choosing another environment there moves it). One being added
    /// already is reused.
    pub async fn add_account(&self) -> Result<EnvironmentView, ErrorInfo> {
        if let Some(active) = self.accounts.active_id().filter(|id| self.accounts.is_fresh(id)) {
            return self.activate(&active).await;
        }
        let choice = self.environments.active_choice().await.unwrap_or(EnvChoice::Production);
        let id = self.accounts.add(choice, true, true);
        let opened = self.activate(&id).await;
        if opened.is_err() {
            self.accounts.remove(&id);
            self.publish_accounts();
        }
        opened
    }

    /// Signs out of account `id`: its token revoked, its keystore entry removed; the other accounts
    /// keep theirs, and its row stays, signed out (the user signs in again there, or removes it). An
    /// account that was not signed in is removed from the list instead (unless it is the only one);
    /// if it was active, the first of the others takes its place. Returns the warning of a server that
    /// could not be told.
    pub async fn sign_out_of(&self, id: &str) -> Result<Option<ErrorInfo>, ErrorInfo> {
        let saved = self.accounts.existing(id)?;
        let account = self.open_account(&saved).await?;
        let remove = !account.current_state().is_signed_in() && self.accounts.count() > 1;
        let warning = account.sign_out().await.err().map(ErrorInfo::from);
        if remove {
            let was_active = self.accounts.active_id().as_deref() == Some(id);
            self.accounts.remove(id);
            let next = self.accounts.ids().into_iter().next();
            match next {
                Some(next) if was_active => {
                    self.activate(&next).await?;
                }
                _ => self.save_accounts(),
            }
        }
        self.publish_accounts();
        Ok(warning)
    }

    /// Gives account `id` the user's name for it.
    pub fn rename_account(&self, id: &str, name: &str) -> Result<(), ErrorInfo> {
        if !self.accounts.set_label(id, name) {
            return Err(atom_core::Error::NoSuchAccount.info());
        }
        self.save_accounts();
        self.publish_accounts();
        Ok(())
    }

    /// Signs out of every account at once; the active one stays, signed out. Returns the first
    /// warning of a server that could not be told.
    pub async fn sign_out_all(&self) -> Result<Option<ErrorInfo>, ErrorInfo> {
        let mut tasks = Vec::new();
        for id in self.accounts.ids() {
            let Some(saved) = self.accounts.saved(&id) else { continue };
            let account = self.open_account(&saved).await?;
            tasks.push(tauri::async_runtime::spawn(async move { account.sign_out().await }));
        }
        let mut warning = None;
        for task in tasks {
            if let Ok(Err(e)) = task.await {
                warning.get_or_insert(ErrorInfo::from(e));
            }
        }
        let active = self.accounts.active_id();
        for id in self.accounts.ids() {
            if Some(&id) != active.as_ref() {
                self.accounts.remove(&id);
            }
        }
        self.save_accounts();
        self.publish_accounts();
        Ok(warning)
    }

    /// The window's page is mounted (it asked for the app's state).
    pub fn window_up(&self) {
        self.window_up.store(true, Ordering::SeqCst);
        self.window_up_now.notify_waiters();
    }

    pub(crate) async fn window_is_up(&self) {
        let now = self.window_up_now.notified();
        if !self.window_up.load(Ordering::SeqCst) {
            now.await;
        }
    }

    /// Opens the first environment of the run; when `choice` cannot be opened (a saved server whose
    /// settings are no longer valid, a sandbox that does not start), says why and opens ATOM instead.
    /// The other saved accounts sign in then too, in the background.
    pub async fn open_first(&self, choice: EnvChoice, remember: bool) -> Option<Account> {
        // `switch` picks the saved active account when it is on `choice`.
        let opened = self.switch(choice, remember).await;
        self.restore_others();
        if let Err(e) = opened {
            tracing::error!("could not open the environment: {}", e.message);
            self.sign_in.report(e);
            if let Err(e) = self.switch(EnvChoice::Production, false).await {
                tracing::error!("could not open ATOM either: {}", e.message);
            }
        }
        self.environments.opened()
    }

    /// Asks for what the first screen shows (the first catalogue page and the categories) now, so
    /// that the window's own requests find them on their way or saved.
    pub fn prefetch_first_screen(&self, account: &Account) {
        let (list, categories) = (account.clone(), account.clone());
        tauri::async_runtime::spawn(async move {
            let _ = list
                .skills_with(&atom_core::SkillQuery::first_page(), atom_core::Freshness::CacheFirst)
                .await;
        });
        tauri::async_runtime::spawn(async move {
            let _ = categories.categories_with(atom_core::Freshness::CacheFirst).await;
        });
    }

    /// Sends every change of a watched value to the UI as `event`.
    fn forward<T: Clone + Serialize + Send + Sync + 'static>(
        &self,
        mut rx: watch::Receiver<T>,
        event: &'static str,
    ) -> JoinHandle<()> {
        let outbox = self.outbox.clone();
        tauri::async_runtime::spawn(async move {
            while rx.changed().await.is_ok() {
                let value = rx.borrow_and_update().clone();
                outbox.push(event, value);
            }
        })
    }

    /// The events for the window (`outbox.rs`).
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// A link in the app's scheme, from the OS (a running app's, or a cold start's arguments): a skill's
    /// opens it in the window; a sign-in's callback finishes the sign-in; anything else is refused with
    /// a message, and changes nothing.
    pub async fn handle_link(&self, url: String) {
        let opened = match atom_core::read_app_link(&url) {
            Ok(atom_core::AppLink::Callback(callback)) => return self.handle_callback(callback).await,
            Ok(atom_core::AppLink::Skill(id)) => OpenedLink::Skill { id },
            Err(e) => {
                tracing::warn!("link refused: {e}");
                OpenedLink::Refused { error: e.info() }
            }
        };
        crate::links::focus_main_window(&self.handle);
        self.opened.offer(opened);
    }

    /// The account whose sign-in `callback` answers (the user may have switched accounts since it
    /// began), else the active one (whose checks then refuse it).
    pub async fn account_awaiting(&self, callback: &str) -> Account {
        match self.accounts.awaiting(callback) {
            Some(account) => account,
            None => self.account().await,
        }
    }

    /// A callback URL from the deep link, the loopback listener or a paste: finish the sign-in, and
    /// show the reason when it is refused.
    pub async fn handle_callback(&self, url: String) {
        crate::links::focus_main_window(&self.handle);
        let account = self.account_awaiting(&url).await;
        if let Err(e) = account.complete_login(&url).await {
            tracing::warn!("sign-in callback refused: {e}");
            self.sign_in.report(e.info());
        }
        // A forged or stray link leaves the sign-in in progress, and its loopback listener, waiting.
        if account.pending_target().is_none() {
            self.sign_in.set_loopback(None);
        }
    }
}
