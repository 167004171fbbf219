//! The accounts the app keeps: every identity the user signed in with, on any environment, and which
//! one is active. Each is saved in `settings.json` by where it signs in and who its server says it is
//! (never a secret); its refresh token or API key is its own keystore entry, named by its environment
//! (endpoints included) and its id (`atom_core::store_namespace`). An environment's *first* account
//! keeps the entry versions before several accounts used, so nothing stored earlier moves.
//!
//! This is the list and its rules; `Shell` (`state/mod.rs`) opens, activates and signs them out.

use atom_core::{Account, AccountId, AuthState, EnvironmentKind, Identity};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tauri::async_runtime::JoinHandle;
use ts_rs::TS;

use super::EnvChoice;

/// An account as `settings.json` keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedAccount {
    /// The app's name for it: unique, random, and the last part of its keystore entry's name (unless
    /// it is its environment's first account).
    pub id: String,
    pub environment: EnvChoice,
    /// Its secrets are its environment's own keystore entry (where earlier versions kept them).
    #[serde(default)]
    pub first: bool,
    /// Who its server says it is (`Account::identify`).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// The name the user gave it, shown before the server's.
    #[serde(default)]
    pub label: Option<String>,
}

impl SavedAccount {
    /// Which keystore entry of its environment holds its secrets.
    pub fn account_id(&self) -> AccountId {
        if self.first {
            AccountId::FIRST
        } else {
            AccountId::named(&self.id)
        }
    }
}

/// What the window shows of an account: who (when its server said), where, and whether it is signed
/// in. Never a secret: an API key shows as its hint in `auth`.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct AccountView {
    pub id: String,
    /// The name the user gave it, if any (shown first).
    pub label: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Its environment's name ("ATOM", "Sandbox", a custom server's).
    pub environment: String,
    pub environment_kind: EnvironmentKind,
    pub auth: AuthState,
    pub active: bool,
    /// Its environment's first account (the one versions before several accounts signed in).
    pub first: bool,
}

struct Entry {
    saved: SavedAccount,
    /// Opened on its environment's catalogue; an account of the sandbox waits until the sandbox runs.
    account: Option<Account>,
    /// Written to `settings.json` (`false`: an account of `--server`, for this run only).
    kept: bool,
    /// Added in this run and never signed in: choosing another environment moves it there.
    fresh: bool,
    /// Its silent sign-in from the keystore was started.
    restored: bool,
    /// Forwards its changes to the window (`Shell::watch_account`).
    watcher: Option<JoinHandle<()>>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        if let Some(w) = &self.watcher {
            w.abort();
        }
    }
}

/// The longest name a user may give an account.
const LABEL_MAX: usize = 100;

/// The accounts, in the order they were added, and the active one's id.
#[derive(Default)]
pub struct Accounts {
    entries: Mutex<Vec<Entry>>,
    active: Mutex<Option<String>>,
    /// The last active account that is saved: what the next start selects (an account of `--server`,
    /// for one run, is never it).
    active_kept: Mutex<Option<String>>,
}

/// A new account's id: eight hex digits, unlike every id in `taken`.
fn new_id(taken: &[String]) -> String {
    use std::hash::{BuildHasher, Hasher};
    loop {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
        );
        let id = format!("{:08x}", h.finish() as u32);
        if !taken.contains(&id) {
            return id;
        }
    }
}

fn environment_name(choice: &EnvChoice) -> (String, EnvironmentKind) {
    match choice {
        EnvChoice::Production => ("ATOM".into(), EnvironmentKind::Production),
        EnvChoice::Sandbox => ("Sandbox".into(), EnvironmentKind::Sandbox),
        EnvChoice::Custom { settings } => (settings.name.clone(), EnvironmentKind::Custom),
    }
}

impl Accounts {
    /// The saved accounts, `active` among them (else the first).
    pub fn load(saved: Vec<SavedAccount>, active: Option<String>) -> Accounts {
        let entries: Vec<Entry> = saved
            .into_iter()
            .map(|saved| Entry {
                saved,
                account: None,
                kept: true,
                fresh: false,
                restored: false,
                watcher: None,
            })
            .collect();
        let active = active.filter(|id| entries.iter().any(|e| &e.saved.id == id));
        let active = active.or_else(|| entries.first().map(|e| e.saved.id.clone()));
        Accounts {
            entries: Mutex::new(entries),
            active: Mutex::new(active.clone()),
            active_kept: Mutex::new(active),
        }
    }

    /// What `settings.json` keeps: the accounts and the active one.
    pub fn to_save(&self) -> (Vec<SavedAccount>, Option<String>) {
        let entries = self.entries.lock();
        let kept: Vec<SavedAccount> = entries.iter().filter(|e| e.kept).map(|e| e.saved.clone()).collect();
        let active = self.active_kept.lock().clone().filter(|id| kept.iter().any(|s| &s.id == id));
        let active = active.or_else(|| kept.first().map(|s| s.id.clone()));
        (kept, active)
    }

    pub fn active_id(&self) -> Option<String> {
        self.active.lock().clone()
    }

    pub fn set_active(&self, id: &str) {
        *self.active.lock() = Some(id.to_string());
        if self.entries.lock().iter().any(|e| e.saved.id == id && e.kept) {
            *self.active_kept.lock() = Some(id.to_string());
        }
    }

    /// The active account's environment, as saved.
    pub fn active_choice(&self) -> Option<EnvChoice> {
        let id = self.active_id()?;
        self.saved(&id).map(|s| s.environment)
    }

    pub fn saved(&self, id: &str) -> Option<SavedAccount> {
        self.entries.lock().iter().find(|e| e.saved.id == id).map(|e| e.saved.clone())
    }

    /// `id`'s saved account, or why there is none (signed out of and removed meanwhile).
    pub fn existing(&self, id: &str) -> Result<SavedAccount, atom_core::ErrorInfo> {
        self.saved(id).ok_or_else(|| atom_core::Error::NoSuchAccount.info())
    }

    /// The account opened for `id`, if it is.
    pub fn opened(&self, id: &str) -> Option<Account> {
        self.entries.lock().iter().find(|e| e.saved.id == id).and_then(|e| e.account.clone())
    }

    pub fn count(&self) -> usize {
        self.entries.lock().len()
    }

    /// The account to use on `choice`: the active one if it is there, else the first added there.
    pub fn on_environment(&self, choice: &EnvChoice) -> Option<String> {
        let entries = self.entries.lock();
        let active = self.active.lock().clone();
        let there = |e: &&Entry| &e.saved.environment == choice;
        entries
            .iter()
            .filter(there)
            .find(|e| Some(&e.saved.id) == active.as_ref())
            .or_else(|| entries.iter().find(there))
            .map(|e| e.saved.id.clone())
    }

    /// Adds an account on `choice`, not signed in; its environment's first if that entry is free.
    pub fn add(&self, choice: EnvChoice, kept: bool, fresh: bool) -> String {
        let mut entries = self.entries.lock();
        let taken: Vec<String> = entries.iter().map(|e| e.saved.id.clone()).collect();
        let first = !entries.iter().any(|e| e.saved.environment == choice && e.saved.first);
        let id = new_id(&taken);
        let saved =
            SavedAccount { id: id.clone(), environment: choice, first, name: None, email: None, label: None };
        entries.push(Entry { saved, account: None, kept, fresh, restored: false, watcher: None });
        id
    }

    /// Whether `id` was added in this run and has never signed in.
    pub fn is_fresh(&self, id: &str) -> bool {
        let entries = self.entries.lock();
        entries.iter().any(|e| {
            e.saved.id == id
                && e.fresh
                && e.account.as_ref().is_none_or(|a| !a.current_state().is_signed_in())
        })
    }

    /// Moves `id` to `choice` if it was added in this run and never signed in (the user chose where
    /// the account they are adding signs in); `false` otherwise.
    pub fn move_fresh(&self, id: &str, choice: &EnvChoice) -> bool {
        let mut entries = self.entries.lock();
        let first_taken =
            entries.iter().any(|e| &e.saved.environment == choice && e.saved.first && e.saved.id != id);
        let Some(entry) = entries.iter_mut().find(|e| e.saved.id == id && e.fresh) else {
            return false;
        };
        if entry.account.as_ref().is_some_and(|a| !matches!(a.current_state(), AuthState::SignedOut)) {
            return false;
        }
        entry.saved.environment = choice.clone();
        entry.saved.first = !first_taken;
        entry.account = None;
        entry.restored = false;
        if let Some(w) = entry.watcher.take() {
            w.abort();
        }
        true
    }

    /// Keeps `account`, opened for `id`, and the task that watches it.
    pub fn set_opened(&self, id: &str, account: Account, watcher: JoinHandle<()>) {
        if let Some(e) = self.entries.lock().iter_mut().find(|e| e.saved.id == id) {
            e.account = Some(account);
            e.watcher = Some(watcher);
        } else {
            watcher.abort();
        }
    }

    /// Marks `id`'s silent sign-in as started; `false` if it was already.
    pub fn start_restore(&self, id: &str) -> bool {
        let mut entries = self.entries.lock();
        match entries.iter_mut().find(|e| e.saved.id == id) {
            Some(e) if !e.restored => {
                e.restored = true;
                true
            }
            _ => false,
        }
    }

    /// The kept accounts other than the active one, for their silent sign-in at start-up.
    pub fn others(&self) -> Vec<SavedAccount> {
        let active = self.active_id();
        let entries = self.entries.lock();
        entries
            .iter()
            .filter(|e| e.kept && Some(&e.saved.id) != active.as_ref())
            .map(|e| e.saved.clone())
            .collect()
    }

    /// Every account's id, in order.
    pub fn ids(&self) -> Vec<String> {
        self.entries.lock().iter().map(|e| e.saved.id.clone()).collect()
    }

    /// Who `id` is, as its server said; `true` if that changed anything.
    pub fn set_identity(&self, id: &str, who: Identity) -> bool {
        let mut entries = self.entries.lock();
        let Some(e) = entries.iter_mut().find(|e| e.saved.id == id) else { return false };
        e.fresh = false;
        let changed = e.saved.name.as_ref() != Some(&who.name) || e.saved.email != who.email;
        e.saved.name = Some(who.name);
        e.saved.email = who.email;
        changed
    }

    /// Names `id` as the user asked (printable text, at most 100 characters; empty: no name of the
    /// user's). `false` if there is no such account.
    pub fn set_label(&self, id: &str, label: &str) -> bool {
        let clean: String = label.chars().filter(|c| !c.is_control()).take(LABEL_MAX).collect();
        let clean = clean.trim();
        let mut entries = self.entries.lock();
        let Some(e) = entries.iter_mut().find(|e| e.saved.id == id) else { return false };
        e.saved.label = (!clean.is_empty()).then(|| clean.to_string());
        true
    }

    /// `id` signed in: it is no longer a fresh one another environment may take over.
    pub fn signed_in(&self, id: &str) {
        if let Some(e) = self.entries.lock().iter_mut().find(|e| e.saved.id == id) {
            e.fresh = false;
        }
    }

    /// Removes `id` from the list (its keystore entry is the caller's to remove first).
    pub fn remove(&self, id: &str) -> bool {
        let mut entries = self.entries.lock();
        let before = entries.len();
        entries.retain(|e| e.saved.id != id);
        entries.len() != before
    }

    /// The opened account whose sign-in in progress `callback` answers.
    pub fn awaiting(&self, callback: &str) -> Option<Account> {
        let entries = self.entries.lock();
        entries.iter().filter_map(|e| e.account.as_ref()).find(|a| a.is_pending_callback(callback)).cloned()
    }

    /// Closes the opened accounts of `choice` (their server is going away): each is opened, and signed
    /// in from the keystore, again when it is next used.
    pub fn close_on(&self, choice: &EnvChoice) {
        for e in self.entries.lock().iter_mut().filter(|e| &e.saved.environment == choice) {
            if let Some(w) = e.watcher.take() {
                w.abort();
            }
            e.account = None;
            e.restored = false;
        }
    }

    /// What the window shows of each account.
    pub fn views(&self) -> Vec<AccountView> {
        let active = self.active_id();
        let entries = self.entries.lock();
        entries
            .iter()
            .map(|e| {
                let (environment, environment_kind) = environment_name(&e.saved.environment);
                AccountView {
                    id: e.saved.id.clone(),
                    label: e.saved.label.clone(),
                    name: e.saved.name.clone(),
                    email: e.saved.email.clone(),
                    environment,
                    environment_kind,
                    auth: e.account.as_ref().map_or(AuthState::SignedOut, Account::current_state),
                    active: Some(&e.saved.id) == active.as_ref(),
                    first: e.saved.first,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(name: &str) -> EnvChoice {
        EnvChoice::Custom {
            settings: Box::new(atom_core::CustomEnvironment {
                name: name.into(),
                api_base: "https://example.com/api".into(),
                authorize_url: "https://example.com/oauth/authorize".into(),
                token_url: "https://example.com/oauth/token".into(),
                client_id: "c".into(),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn the_first_account_of_an_environment_keeps_its_entry_and_the_next_gets_its_own() {
        let accounts = Accounts::default();
        let a = accounts.add(EnvChoice::Production, true, false);
        let b = accounts.add(EnvChoice::Production, true, false);
        let c = accounts.add(custom("Staging"), true, false);
        assert_ne!(a, b);
        assert_eq!(accounts.saved(&a).unwrap().account_id(), AccountId::FIRST);
        assert_eq!(accounts.saved(&b).unwrap().account_id(), AccountId::named(&b));
        assert_eq!(accounts.saved(&c).unwrap().account_id(), AccountId::FIRST);
        // With the first gone, the next account added there takes its entry again.
        accounts.remove(&a);
        let d = accounts.add(EnvChoice::Production, true, false);
        assert!(accounts.saved(&d).unwrap().first);
    }

    #[test]
    fn an_environment_uses_the_active_account_if_it_is_there_else_its_first() {
        let accounts = Accounts::default();
        let a = accounts.add(EnvChoice::Production, true, false);
        let b = accounts.add(EnvChoice::Production, true, false);
        assert_eq!(accounts.on_environment(&EnvChoice::Production), Some(a.clone()));
        accounts.set_active(&b);
        assert_eq!(accounts.on_environment(&EnvChoice::Production), Some(b));
        assert_eq!(accounts.on_environment(&EnvChoice::Sandbox), None);
    }

    #[test]
    fn only_kept_accounts_are_saved_and_the_active_one_survives_a_reload() {
        let accounts = Accounts::default();
        let a = accounts.add(EnvChoice::Production, true, false);
        let b = accounts.add(custom("Named on the command line"), false, false);
        let c = accounts.add(EnvChoice::Sandbox, true, false);
        accounts.set_active(&c);
        // A run on `--server` leaves the saved choice as it was.
        accounts.set_active(&b);
        assert!(accounts.set_identity(&c, Identity { name: "Sam".into(), email: None }));
        assert!(!accounts.set_identity(&c, Identity { name: "Sam".into(), email: None }));
        let (saved, active) = accounts.to_save();
        assert_eq!(saved.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), vec![a.clone(), c.clone()]);
        assert_eq!(active, Some(c.clone()));
        let json = serde_json::to_string(&saved).unwrap();
        let again = Accounts::load(serde_json::from_str(&json).unwrap(), active);
        assert_eq!(again.active_id(), Some(c.clone()));
        assert_eq!(again.saved(&c).unwrap().name.as_deref(), Some("Sam"));
        assert!(again.saved(&b).is_none());
        // A name the user gives is kept apart from the server's, bounded and printable.
        assert!(again.set_label(&c, "  Work\u{0007} account  "));
        assert_eq!(again.views().iter().find(|v| v.id == c).unwrap().label.as_deref(), Some("Work account"));
        assert!(again.set_label(&c, &"x".repeat(500)));
        assert_eq!(again.saved(&c).unwrap().label.map(|l| l.len()), Some(LABEL_MAX));
        assert!(again.set_label(&c, " "));
        assert_eq!(again.saved(&c).unwrap().label, None);
        assert!(!again.set_label("gone", "x"));
        // An active id that is no longer listed falls back on the first account.
        assert_eq!(Accounts::load(saved, Some("gone".into())).active_id(), Some(a));
    }

    #[test]
    fn only_a_fresh_account_moves_to_another_environment() {
        let accounts = Accounts::default();
        let old = accounts.add(EnvChoice::Production, true, false);
        let new = accounts.add(EnvChoice::Production, true, true);
        assert!(!accounts.move_fresh(&old, &EnvChoice::Sandbox));
        assert!(accounts.is_fresh(&new) && !accounts.is_fresh(&old));
        assert!(accounts.move_fresh(&new, &EnvChoice::Sandbox));
        let moved = accounts.saved(&new).unwrap();
        assert_eq!(moved.environment, EnvChoice::Sandbox);
        assert!(moved.first, "the sandbox's entry was free");
        accounts.signed_in(&new);
        assert!(!accounts.move_fresh(&new, &EnvChoice::Production));
        assert!(!accounts.is_fresh(&new));
    }
}
