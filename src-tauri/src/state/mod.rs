//! The shell's state, [`Shell`], in five parts: [`Settings`] (what is remembered between runs),
//! [`Registry`] (every account, on any server, and the active one), [`Servers`] (one catalogue per
//! server key, the embedded sandbox), [`SignIn`] (the loopback listener, the keystore's status, the
//! last problem) and [`Opened`] (what a link asked the window to show, until it takes it); beside
//! them, the window's outbox (`outbox.rs`) and whether its page is up. `Shell`'s own methods are what
//! takes more than one part: switching accounts and servers, signing out of one or all, removing one,
//! a link, a sign-in's callback, and resolving the account a command names.
//!
//! ```text
//!   command (account: "1f2e3d4c") ──▶ Shell::signed_in_account ──▶ Registry: entry "1f2e3d4c"
//!                                                                     │ Life::Open { Account }
//!                                                                     ▼
//!   ServerKey ("custom:host:client:tag") ──▶ Servers: its Catalogue ◀── Account::on(catalogue, entry)
//!         │                                     └ cache folder named by the key
//!         └▶ keystore entry: key (first account) or key/account/<id>
//! ```

mod accounts;
pub mod events;
mod opened;
mod servers;
mod sign_in;
mod sign_out;
mod start_up;

pub use accounts::{AccountView, AccountsView, Active, Handle, Registry};
pub use atom_desktop::settings::{write_private, EnvChoice, SavedAccount, Settings, UpdateSettings};
pub use opened::{Opened, OpenedLink};
pub use servers::Servers;
pub use sign_in::SignIn;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use atom_core::{Account, AuthState, EnvironmentKind, ErrorCode, ErrorInfo, SecretStore, ServerKey};
use serde::Serialize;
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Manager};
use tokio::sync::watch;
use ts_rs::TS;

use atom_desktop::outbox::{Event, Outbox};

use crate::error::ShellError;

/// Whether the OS keystore could be used, for a notice that stays while the problem does.
#[derive(Clone, Debug, Default, PartialEq, Serialize, TS)]
pub struct KeystoreStatus {
    pub available: bool,
    /// What the keystore library said, for the technical details.
    pub detail: Option<String>,
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
    /// Every account, on any server, and the active one.
    pub accounts: Registry,
    pub servers: Servers,
    pub sign_in: SignIn,
    /// The last link that opens something in the window, until it takes it.
    pub opened: Opened,
    /// Accounts are opened one at a time (two opens of one account would both claim its entry).
    opening: tokio::sync::Mutex<()>,
    /// The tasks that forward the active account's rate limits and its catalogue's connectivity.
    forwarders: parking_lot::Mutex<Vec<JoinHandle<()>>>,
    /// Set when the window first asks for the app's state: its page is mounted.
    window_up: AtomicBool,
    window_up_now: tokio::sync::Notify,
    /// The events the window takes (`next_events`).
    outbox: Arc<Outbox>,
    /// The sign-in doctor's links it waits for (its link round trip).
    pub pings: atom_desktop::doctor::round_trip::Pings,
}

/// From the silent sign-in's end to giving start-up's freed memory back (`memory.rs`).
const RELEASE_AFTER_START: std::time::Duration = std::time::Duration::from_secs(2);
/// How long the silent sign-in waits for the window before it starts anyway.
const SIGN_IN_WAITS_FOR_WINDOW: std::time::Duration = std::time::Duration::from_millis(1500);

/// How an account is named in a message: the user's name for it, its server's, or where it is.
fn describe(saved: &SavedAccount) -> String {
    saved
        .label
        .clone()
        .or_else(|| saved.name.clone())
        .unwrap_or_else(|| format!("the account on {}", saved.environment.name()))
}

impl Shell {
    pub fn new(handle: AppHandle, store: Arc<dyn SecretStore>) -> Shell {
        let data_dir =
            handle.path().app_data_dir().unwrap_or_else(|_| std::env::temp_dir().join("atom-marketplace"));
        let config_dir = handle.path().app_config_dir().unwrap_or_else(|_| data_dir.clone());
        let cache_dir =
            handle.path().app_cache_dir().unwrap_or_else(|_| data_dir.join("cache")).join("catalogue");
        let outbox = Arc::<Outbox>::default();
        let settings = Settings::new(config_dir);
        let mut loaded = settings.take_loaded();
        // Files of earlier versions name no server key: it is computed once, where it can be.
        for saved in loaded.accounts.iter_mut().filter(|s| s.server.is_none()) {
            saved.server = saved.environment.server_key().ok();
        }
        let sign_in = SignIn::new(outbox.clone());
        if !loaded.problems.is_empty() {
            sign_in.report(ErrorInfo::new(ErrorCode::SettingsUnreadable, loaded.problems.join(" ")));
        }
        Shell {
            handle,
            accounts: Registry::load(loaded.accounts, loaded.active),
            settings,
            servers: Servers::new(store, cache_dir, data_dir),
            sign_in,
            opened: Opened::new(outbox.clone()),
            opening: tokio::sync::Mutex::new(()),
            forwarders: Default::default(),
            window_up: AtomicBool::new(false),
            window_up_now: tokio::sync::Notify::new(),
            outbox,
            pings: Default::default(),
        }
    }

    /// The active account, waiting for start-up to choose one: what reads of the catalogue go with.
    pub async fn account(&self) -> Account {
        let mut rx = self.accounts.watch_active();
        loop {
            if let Some(active) = rx.borrow_and_update().clone() {
                return active.account;
            }
            if rx.changed().await.is_err() {
                // The sender lives as long as the app; this cannot happen while it runs.
                std::future::pending::<()>().await;
            }
        }
    }

    /// The active account, if start-up has chosen one.
    pub fn active(&self) -> Option<Active> {
        self.accounts.active()
    }

    /// Account `id`, opened (on its server) if it was not: for a command that signs it in or out.
    pub async fn account_for(&self, id: &str) -> Result<Account, ShellError> {
        let saved = self.accounts.existing(id)?;
        self.open_account(&saved).await
    }

    /// Account `id` for a write, as the window named it: it must still be in the app and signed in,
    /// else the write is refused and nothing is sent. So "as <account>" beside a button is what is
    /// sent, whatever became active meanwhile.
    pub fn signed_in_account(&self, id: &str) -> Result<Account, ShellError> {
        self.accounts.existing(id)?;
        let Some(account) = self.accounts.opened(id) else {
            return Err(atom_core::Error::NotSignedIn.into());
        };
        match account.current_state() {
            state if state.is_signed_in() => Ok(account),
            AuthState::NeedsReauth { reason } => Err(ShellError::SessionEnded(reason)),
            _ => Err(atom_core::Error::NotSignedIn.into()),
        }
    }

    /// Makes `choice` the active server, with its account: the active one if it is there, else the
    /// first added there, else a new one (saved unless `remember` is `false`: `--server` is for one
    /// run). A known server connected again with other settings (a new name, scopes, a corrected
    /// authorize page) keeps its accounts and takes the settings, when they are to be remembered. An
    /// account being added (never signed in) moves to `choice` instead: the user picked where it signs in.
    pub async fn switch(&self, choice: EnvChoice, remember: bool) -> Result<EnvironmentView, ShellError> {
        let key = choice.server_key()?;
        if remember {
            if let Some(known) = self.accounts.server_settings(&key).filter(|known| known != &choice) {
                tracing::info!("{} is connected again with new settings", known.name());
                self.accounts.update_server(&key, &choice);
                self.save_accounts();
            }
        }
        let moved = self.accounts.active_id().filter(|id| self.accounts.move_adding(id, &choice, &key));
        let id = match moved.or_else(|| self.accounts.on_server(&key)) {
            Some(id) => id,
            None => self.accounts.add(choice, key, remember, false),
        };
        self.activate(&id).await
    }

    /// Makes account `id` the active one: the catalogue, the rate-limit figures and every write the
    /// window offers follow it. Opened on its server if it was not yet, and signed in from the
    /// keystore in the background the first time.
    pub async fn activate(&self, id: &str) -> Result<EnvironmentView, ShellError> {
        let saved = self.accounts.existing(id)?;
        let account = self.open_account(&saved).await?;
        let view = self.servers.view(&account);
        self.sign_in.set_loopback(None);
        let forwarders = vec![
            self.forward(account.rate_limits(), events::RateLimits),
            self.forward(account.catalogue().connectivity(), events::Connectivity),
        ];
        for old in std::mem::replace(&mut *self.forwarders.lock(), forwarders) {
            old.abort();
        }
        self.accounts.set_active(id, account.clone());
        if saved.environment != EnvChoice::Sandbox && self.servers.sandbox_runs().await {
            // Nothing listens on this computer once the user has left the sandbox: its accounts close
            // (they sign in from the keystore again when the user comes back).
            self.accounts.close_on(&ServerKey::sandbox());
            self.servers.stop_sandbox().await;
        }
        self.save_accounts();
        self.publish_accounts();
        self.outbox.push(view.clone());
        self.outbox.push(events::RateLimits(account.rate_limits().borrow().clone()));
        if self.accounts.start_restore(id) {
            self.restore_in_background(account);
        }
        Ok(view)
    }

    /// The account `saved` names, opened on its server (once; later calls get the same).
    async fn open_account(&self, saved: &SavedAccount) -> Result<Account, ShellError> {
        let _one_at_a_time = self.opening.lock().await;
        if let Some(account) = self.accounts.opened(&saved.id) {
            return Ok(account);
        }
        let account = self.servers.open(&saved.environment, &saved.account_id()).await?;
        let watcher = self.watch_account(saved.id.clone(), account.clone());
        self.accounts.set_opened(&saved.id, Handle::new(account.clone(), watcher));
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

    /// The accounts, each with its state, and the active one: the window's one event about accounts.
    pub fn publish_accounts(&self) {
        self.outbox.push(self.accounts.views());
    }

    fn save_accounts(&self) {
        let (accounts, active) = self.accounts.to_save();
        self.settings.save_accounts(accounts, active);
    }

    /// Adds an account on the active server, not signed in, and makes it the active one: the Account
    /// page then signs it in (choosing another server there moves it). One being added already is
    /// reused.
    pub async fn add_account(&self) -> Result<EnvironmentView, ShellError> {
        if let Some(active) = self.accounts.active_id().filter(|id| self.accounts.is_adding(id)) {
            return self.activate(&active).await;
        }
        let choice = match self.active().and_then(|a| self.accounts.saved(&a.id)) {
            Some(saved) => saved.environment,
            None => EnvChoice::Production,
        };
        let key = choice.server_key()?;
        let id = self.accounts.add(choice, key, true, true);
        let opened = self.activate(&id).await;
        if opened.is_err() {
            self.accounts.remove(&id);
            self.publish_accounts();
        }
        opened
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

    /// Opens the first server of the run; when `choice` cannot be opened (a saved server whose
    /// settings are no longer valid, a sandbox that does not start), says why and opens ATOM instead.
    /// The other saved accounts sign in then too, in the background.
    pub async fn open_first(&self, choice: EnvChoice, remember: bool) -> Option<Account> {
        // The remembered account when it is on `choice`, else that server's first.
        let remembered = self.accounts.remembered().filter(|s| s.environment == choice);
        let opened = match remembered {
            Some(saved) => self.activate(&saved.id).await,
            None => self.switch(choice, remember).await,
        };
        self.restore_others();
        if let Err(e) = opened {
            tracing::error!("could not open the environment: {e}");
            self.sign_in.report(e.into());
            if let Err(e) = self.switch(EnvChoice::Production, false).await {
                tracing::error!("could not open ATOM either: {e}");
            }
        }
        self.active().map(|a| a.account)
    }

    /// The server the next start opens first: the remembered account's.
    pub fn first_choice(&self) -> EnvChoice {
        self.accounts.remembered().map_or(EnvChoice::Production, |s| s.environment)
    }

    /// Asks for what the first screen shows (the first catalogue page and the categories) now, so
    /// that the window's own requests find them on their way or saved.
    pub fn prefetch_first_screen(&self, account: &Account) {
        let (list, categories) = (account.clone(), account.clone());
        tauri::async_runtime::spawn(async move {
            let first = atom_core::SkillQuery::first_page();
            let _ = list.catalogue().skills_with(&list, &first, atom_core::Freshness::CacheFirst).await;
        });
        tauri::async_runtime::spawn(async move {
            let _ =
                categories.catalogue().categories_with(&categories, atom_core::Freshness::CacheFirst).await;
        });
    }

    /// Sends every change of a watched value to the UI as `event`.
    fn forward<T: Clone + Send + Sync + 'static, E: Event + 'static>(
        &self,
        mut rx: watch::Receiver<T>,
        event: fn(T) -> E,
    ) -> JoinHandle<()> {
        let outbox = self.outbox.clone();
        tauri::async_runtime::spawn(async move {
            while rx.changed().await.is_ok() {
                let value = rx.borrow_and_update().clone();
                outbox.push(event(value));
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
            // The doctor's own link: it answers a waiting check, and neither opens nor focuses anything.
            Ok(atom_core::AppLink::Ping(nonce)) => {
                let awaited = self.pings.arrived(&nonce);
                tracing::info!("the sign-in doctor's link came back (awaited: {awaited})");
                return;
            }
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
            Some((_, account)) => account,
            None => self.account().await,
        }
    }

    /// A callback URL from the deep link, the loopback listener or a paste: finish the sign-in, and
    /// show the reason when it is refused.
    pub async fn handle_callback(&self, url: String) {
        crate::links::focus_main_window(&self.handle);
        let account = self.account_awaiting(&url).await;
        match account.complete_login(&url).await {
            // Signed out (or removed) while it completed: what the user asked for last stands.
            Err(atom_core::Error::Overtaken) => {}
            Err(e) => {
                tracing::warn!("sign-in callback refused: {e}");
                self.sign_in.report(e.info());
            }
            Ok(_) => {}
        }
        // A forged or stray link leaves the sign-in in progress, and its loopback listener, waiting.
        if account.pending_target().is_none() {
            self.sign_in.set_loopback(None);
        }
    }
}
