//! The registry of accounts: every identity the user signed in with, on any server, and which one is
//! active. One lock over the list; one id per account; each account's life one enum ([`Life`]); the
//! active account recorded once (a watch channel that also wakes whoever waits for start-up to choose
//! one).
//!
//! An account belongs to a server by the server's key ([`ServerKey`], the core's), which decides its
//! keystore entry, whether it is the server's *first* account (the entry versions before several
//! accounts used), its catalogue and its cache folder. Connecting again to a known server with changed
//! settings updates that server's record for all its accounts ([`Registry::update_server`]); it never
//! adds an account on an entry another one has.
//!
//! Saved in `settings.json` by where it signs in, its server's key and who its server says it is
//! (never a secret). `Shell` (`state/mod.rs`) opens, activates and signs them out.

use atom_core::{Account, AuthState, EnvironmentKind, Identity, ServerKey};
use parking_lot::Mutex;
use serde::Serialize;
use tauri::async_runtime::JoinHandle;
use tokio::sync::watch;
use ts_rs::TS;

use super::{EnvChoice, SavedAccount};

/// What the window shows of an account: who (when its server said), where, and whether it is signed
/// in. Never a secret: an API key shows as its hint in `auth`.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct AccountView {
    pub id: String,
    /// The name the user gave it, if any (shown first).
    pub label: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Its server's name ("ATOM", "Sandbox", a custom server's), as the core names it.
    pub environment: String,
    pub environment_kind: EnvironmentKind,
    pub auth: AuthState,
    pub active: bool,
    /// Its server's first account (the one versions before several accounts signed in).
    pub first: bool,
}

/// The accounts and the active one, in one event (`accounts`): the window learns every account's state
/// from it alone.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct AccountsView {
    /// The active account's id (`None` only before start-up chose one).
    pub active: Option<String>,
    pub accounts: Vec<AccountView>,
}

/// An opened account and the task that forwards its changes to the window; the task ends with it.
pub struct Handle {
    pub account: Account,
    watcher: JoinHandle<()>,
}

impl Handle {
    pub fn new(account: Account, watcher: JoinHandle<()>) -> Handle {
        Handle { account, watcher }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

/// Where an account is in its life.
pub enum Life {
    /// Known (from `settings.json`, or closed since: its server went away or changed settings); opened
    /// when next used.
    Saved,
    /// Added in this run and never signed in: choosing another server moves it there. Opened once it is
    /// first made active.
    Adding(Option<Handle>),
    /// Opened on its server's catalogue; `restored`: its silent sign-in from the keystore was started.
    Open { handle: Handle, restored: bool },
}

impl Life {
    fn account(&self) -> Option<&Account> {
        match self {
            Life::Saved | Life::Adding(None) => None,
            Life::Adding(Some(h)) | Life::Open { handle: h, .. } => Some(&h.account),
        }
    }
}

struct Entry {
    saved: SavedAccount,
    /// Written to `settings.json` (`false`: an account of `--server`, for this run only).
    kept: bool,
    life: Life,
}

impl Entry {
    fn server(&self) -> Option<&ServerKey> {
        self.saved.server.as_ref()
    }
}

/// The active account: its id and its `Account`.
#[derive(Clone)]
pub struct Active {
    pub id: String,
    pub account: Account,
}

#[derive(Default)]
struct Book {
    entries: Vec<Entry>,
    /// The active account the next start selects: the last active one that is kept (an account of
    /// `--server`, for one run, never is).
    remembered: Option<String>,
}

/// The longest name a user may give an account.
const LABEL_MAX: usize = atom_core::text::NAME_MAX;

pub struct Registry {
    book: Mutex<Book>,
    active: watch::Sender<Option<Active>>,
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

impl Registry {
    /// The saved accounts (each with its server's key, or `None` where it cannot be computed) and
    /// the one the last run had active.
    pub fn load(saved: Vec<SavedAccount>, remembered: Option<String>) -> Registry {
        let entries: Vec<Entry> =
            saved.into_iter().map(|saved| Entry { saved, kept: true, life: Life::Saved }).collect();
        let remembered = remembered.filter(|id| entries.iter().any(|e| &e.saved.id == id));
        let remembered = remembered.or_else(|| entries.first().map(|e| e.saved.id.clone()));
        Registry { book: Mutex::new(Book { entries, remembered }), active: watch::channel(None).0 }
    }

    /// What `settings.json` keeps: the kept accounts and the one the next start selects.
    pub fn to_save(&self) -> (Vec<SavedAccount>, Option<String>) {
        let book = self.book.lock();
        let kept: Vec<SavedAccount> =
            book.entries.iter().filter(|e| e.kept).map(|e| e.saved.clone()).collect();
        let active = book.remembered.clone().filter(|id| kept.iter().any(|s| &s.id == id));
        let active = active.or_else(|| kept.first().map(|s| s.id.clone()));
        (kept, active)
    }

    /// The account the last run had active (start-up opens it first).
    pub fn remembered(&self) -> Option<SavedAccount> {
        let book = self.book.lock();
        let id = book.remembered.clone()?;
        book.entries.iter().find(|e| e.saved.id == id).map(|e| e.saved.clone())
    }

    pub fn active(&self) -> Option<Active> {
        self.active.borrow().clone()
    }

    pub fn active_id(&self) -> Option<String> {
        self.active.borrow().as_ref().map(|a| a.id.clone())
    }

    /// Follows the active account (start-up's first choice included).
    pub fn watch_active(&self) -> watch::Receiver<Option<Active>> {
        self.active.subscribe()
    }

    /// Makes `id` (opened as `account`) the active account.
    pub fn set_active(&self, id: &str, account: Account) {
        {
            let mut book = self.book.lock();
            if book.entries.iter().any(|e| e.saved.id == id && e.kept) {
                book.remembered = Some(id.to_string());
            }
        }
        self.active.send_replace(Some(Active { id: id.to_string(), account }));
    }

    pub fn saved(&self, id: &str) -> Option<SavedAccount> {
        self.book.lock().entries.iter().find(|e| e.saved.id == id).map(|e| e.saved.clone())
    }

    /// `id`'s saved account, or why there is none (signed out of and removed meanwhile).
    pub fn existing(&self, id: &str) -> Result<SavedAccount, crate::error::ShellError> {
        self.saved(id).ok_or(crate::error::ShellError::NoSuchAccount)
    }

    /// The account opened for `id`, if it is.
    pub fn opened(&self, id: &str) -> Option<Account> {
        self.book.lock().entries.iter().find(|e| e.saved.id == id).and_then(|e| e.life.account().cloned())
    }

    pub fn count(&self) -> usize {
        self.book.lock().entries.len()
    }

    /// Every account's id, in order.
    pub fn ids(&self) -> Vec<String> {
        self.book.lock().entries.iter().map(|e| e.saved.id.clone()).collect()
    }

    /// The account to use on server `key`: the active one if it is there, else the first added there.
    pub fn on_server(&self, key: &ServerKey) -> Option<String> {
        let active = self.active_id();
        let book = self.book.lock();
        let there = |e: &&Entry| e.server() == Some(key);
        book.entries
            .iter()
            .filter(there)
            .find(|e| Some(&e.saved.id) == active.as_ref())
            .or_else(|| book.entries.iter().find(there))
            .map(|e| e.saved.id.clone())
    }

    /// The settings of server `key`, as its accounts have them.
    pub fn server_settings(&self, key: &ServerKey) -> Option<EnvChoice> {
        let book = self.book.lock();
        book.entries.iter().find(|e| e.server() == Some(key)).map(|e| e.saved.environment.clone())
    }

    /// Adds an account on server `key` (`choice`), not signed in: the server's first if that entry is
    /// free. `adding`: the user is adding it (it may still move to another server).
    pub fn add(&self, choice: EnvChoice, key: ServerKey, kept: bool, adding: bool) -> String {
        let mut book = self.book.lock();
        let taken: Vec<String> = book.entries.iter().map(|e| e.saved.id.clone()).collect();
        let first = !book.entries.iter().any(|e| e.server() == Some(&key) && e.saved.first);
        let id = new_id(&taken);
        let saved = SavedAccount { first, server: Some(key), ..SavedAccount::first_of(id.clone(), choice) };
        let life = if adding { Life::Adding(None) } else { Life::Saved };
        book.entries.push(Entry { saved, kept, life });
        id
    }

    /// New settings for server `key` (another name, scopes, authorize page): every account of it takes
    /// them, and the open ones close, to be opened again on the server's new catalogue. Returns the
    /// ids of those that were open.
    pub fn update_server(&self, key: &ServerKey, choice: &EnvChoice) -> Vec<String> {
        let mut book = self.book.lock();
        let mut closed = Vec::new();
        for e in book.entries.iter_mut().filter(|e| e.server() == Some(key)) {
            e.saved.environment = choice.clone();
            if e.life.account().is_some() {
                closed.push(e.saved.id.clone());
            }
            e.life = match std::mem::replace(&mut e.life, Life::Saved) {
                Life::Adding(_) => Life::Adding(None),
                _ => Life::Saved,
            };
        }
        closed
    }

    /// Whether `id` is being added (never signed in).
    pub fn is_adding(&self, id: &str) -> bool {
        self.book.lock().entries.iter().any(|e| {
            e.saved.id == id
                && matches!(&e.life, Life::Adding(h) if h.as_ref().is_none_or(|h| !h.account.current_state().is_signed_in()))
        })
    }

    /// Moves `id` to server `key` if it is being added and its sign-in has not started (the user chose
    /// where the account they are adding signs in); `false` otherwise.
    pub fn move_adding(&self, id: &str, choice: &EnvChoice, key: &ServerKey) -> bool {
        let mut book = self.book.lock();
        let first_taken =
            book.entries.iter().any(|e| e.server() == Some(key) && e.saved.first && e.saved.id != id);
        let Some(entry) = book.entries.iter_mut().find(|e| e.saved.id == id) else { return false };
        let Life::Adding(handle) = &entry.life else { return false };
        if handle.as_ref().is_some_and(|h| !matches!(h.account.current_state(), AuthState::SignedOut)) {
            return false;
        }
        entry.saved.environment = choice.clone();
        entry.saved.server = Some(key.clone());
        entry.saved.first = !first_taken;
        entry.life = Life::Adding(None);
        true
    }

    /// Keeps `handle`, opened for `id`. `false` (and the handle dropped) if `id` is gone or already
    /// open: the caller uses the one there is.
    pub fn set_opened(&self, id: &str, handle: Handle) -> bool {
        let mut book = self.book.lock();
        let Some(e) = book.entries.iter_mut().find(|e| e.saved.id == id) else { return false };
        match &e.life {
            Life::Saved => e.life = Life::Open { handle, restored: false },
            Life::Adding(None) => e.life = Life::Adding(Some(handle)),
            _ => return false,
        }
        true
    }

    /// Marks `id`'s silent sign-in as started; `false` if it was already, or it is being added.
    pub fn start_restore(&self, id: &str) -> bool {
        let mut book = self.book.lock();
        match book.entries.iter_mut().find(|e| e.saved.id == id).map(|e| &mut e.life) {
            Some(Life::Open { restored, .. }) if !*restored => {
                *restored = true;
                true
            }
            _ => false,
        }
    }

    /// The kept accounts other than the active one, for their silent sign-in at start-up.
    pub fn others(&self) -> Vec<SavedAccount> {
        let active = self.active_id();
        let book = self.book.lock();
        book.entries
            .iter()
            .filter(|e| e.kept && Some(&e.saved.id) != active.as_ref())
            .map(|e| e.saved.clone())
            .collect()
    }

    /// `id` signed in: no longer being added.
    pub fn signed_in(&self, id: &str) {
        let mut book = self.book.lock();
        let Some(e) = book.entries.iter_mut().find(|e| e.saved.id == id) else { return };
        if let Life::Adding(Some(_)) = &e.life {
            let Life::Adding(Some(handle)) = std::mem::replace(&mut e.life, Life::Saved) else { return };
            e.life = Life::Open { handle, restored: true };
        }
    }

    /// Who `id` is, as its server said; `true` if that changed anything.
    pub fn set_identity(&self, id: &str, who: Identity) -> bool {
        let mut book = self.book.lock();
        let Some(e) = book.entries.iter_mut().find(|e| e.saved.id == id) else { return false };
        let changed = e.saved.name.as_ref() != Some(&who.name) || e.saved.email != who.email;
        e.saved.name = Some(who.name);
        e.saved.email = who.email;
        changed
    }

    /// Names `id` as the user asked, by the rule every shown name follows (`atom_core::text`: no
    /// invisible, line-breaking or direction-changing character, marks bounded, at most 100
    /// characters; empty: no name of the user's). `false` if there is no such account.
    pub fn set_label(&self, id: &str, label: &str) -> bool {
        let clean = atom_core::text::clean_name(label, LABEL_MAX);
        let mut book = self.book.lock();
        let Some(e) = book.entries.iter_mut().find(|e| e.saved.id == id) else { return false };
        e.saved.label = clean;
        true
    }

    /// Removes `id` from the list (its keystore entry is the caller's to remove first); its opened
    /// account closes.
    pub fn remove(&self, id: &str) -> bool {
        let mut book = self.book.lock();
        let before = book.entries.len();
        book.entries.retain(|e| e.saved.id != id);
        if book.remembered.as_deref() == Some(id) {
            book.remembered = None;
        }
        book.entries.len() != before
    }

    /// The opened account whose sign-in in progress `callback` answers.
    pub fn awaiting(&self, callback: &str) -> Option<(String, Account)> {
        let book = self.book.lock();
        book.entries.iter().find_map(|e| {
            e.life
                .account()
                .filter(|a| a.is_pending_callback(callback))
                .map(|a| (e.saved.id.clone(), a.clone()))
        })
    }

    /// Closes the opened accounts of server `key` (it is going away): each is opened, and signed in
    /// from the keystore, again when it is next used.
    pub fn close_on(&self, key: &ServerKey) {
        for e in self.book.lock().entries.iter_mut().filter(|e| e.server() == Some(key)) {
            e.life = match std::mem::replace(&mut e.life, Life::Saved) {
                Life::Adding(_) => Life::Adding(None),
                _ => Life::Saved,
            };
        }
    }

    /// The accounts as the window shows them.
    pub fn views(&self) -> AccountsView {
        let active = self.active_id();
        let book = self.book.lock();
        let accounts = book
            .entries
            .iter()
            .map(|e| AccountView {
                id: e.saved.id.clone(),
                label: e.saved.label.clone(),
                name: e.saved.name.clone(),
                email: e.saved.email.clone(),
                environment: e.saved.environment.name(),
                environment_kind: e.saved.environment.kind(),
                auth: e.life.account().map_or(AuthState::SignedOut, Account::current_state),
                active: Some(&e.saved.id) == active.as_ref(),
                first: e.saved.first,
            })
            .collect();
        AccountsView { active, accounts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atom_core::AccountId;

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

    fn key(choice: &EnvChoice) -> ServerKey {
        choice.server_key().unwrap()
    }

    #[test]
    fn the_first_account_of_a_server_keeps_its_entry_and_the_next_gets_its_own() {
        let accounts = Registry::load(vec![], None);
        let prod = ServerKey::production();
        let a = accounts.add(EnvChoice::Production, prod.clone(), true, false);
        let b = accounts.add(EnvChoice::Production, prod.clone(), true, false);
        let c = accounts.add(custom("Staging"), key(&custom("Staging")), true, false);
        assert_ne!(a, b);
        assert_eq!(accounts.saved(&a).unwrap().account_id(), AccountId::FIRST);
        assert_eq!(accounts.saved(&b).unwrap().account_id(), AccountId::named(&b));
        assert_eq!(accounts.saved(&c).unwrap().account_id(), AccountId::FIRST);
        // With the first gone, the next account added there takes its entry again.
        accounts.remove(&a);
        let d = accounts.add(EnvChoice::Production, prod, true, false);
        assert!(accounts.saved(&d).unwrap().first);
    }

    /// A saved custom server reconnected with another name (or "stay signed in" turned off): the same
    /// key, so the same account, and every account of it takes the new settings.
    #[test]
    fn a_server_reconnected_with_other_settings_is_the_same_server() {
        let accounts = Registry::load(vec![], None);
        let staging = custom("Staging");
        let k = key(&staging);
        let a = accounts.add(staging.clone(), k.clone(), true, false);
        let renamed = custom("Staging (renamed)");
        let EnvChoice::Custom { settings } = &renamed else { unreachable!() };
        let fewer_scopes = EnvChoice::Custom {
            settings: Box::new(atom_core::CustomEnvironment {
                scopes: Some("marketplace:read".into()),
                ..*settings.clone()
            }),
        };
        for other in [&renamed, &fewer_scopes] {
            assert_eq!(key(other), k, "the same server");
            assert_eq!(accounts.on_server(&key(other)), Some(a.clone()), "its account, not a new one");
        }
        assert!(accounts.update_server(&k, &renamed).is_empty(), "none was open");
        assert_eq!(accounts.saved(&a).unwrap().environment, renamed);
        assert_eq!(accounts.views().accounts[0].environment, "Staging (renamed)");
        assert_eq!(accounts.count(), 1);
    }

    /// `--server` naming a saved server (discovery calls it "Server"): the saved account is used, and
    /// the saved settings are not replaced by those of one run.
    #[test]
    fn a_server_named_on_the_command_line_finds_its_saved_account() {
        let saved = SavedAccount {
            server: Some(key(&custom("Mine"))),
            ..SavedAccount::first_of("aaaa0001".into(), custom("Mine"))
        };
        let accounts = Registry::load(vec![saved], Some("aaaa0001".into()));
        assert_eq!(accounts.on_server(&key(&custom("Server"))).as_deref(), Some("aaaa0001"));
    }

    #[test]
    fn a_server_uses_the_active_account_if_it_is_there_else_its_first() {
        let accounts = Registry::load(vec![], None);
        let prod = ServerKey::production();
        let a = accounts.add(EnvChoice::Production, prod.clone(), true, false);
        let _b = accounts.add(EnvChoice::Production, prod.clone(), true, false);
        assert_eq!(accounts.on_server(&prod), Some(a.clone()));
        assert_eq!(accounts.on_server(&ServerKey::sandbox()), None);
    }

    #[test]
    fn only_kept_accounts_are_saved_and_the_remembered_one_survives_a_reload() {
        let accounts = Registry::load(vec![], None);
        let a = accounts.add(EnvChoice::Production, ServerKey::production(), true, false);
        let c = accounts.add(EnvChoice::Sandbox, ServerKey::sandbox(), true, false);
        let b = accounts.add(custom("Named on the command line"), key(&custom("x")), false, false);
        accounts.book.lock().remembered = Some(c.clone());
        assert!(accounts.set_identity(&c, Identity { name: "Sam".into(), email: None }));
        assert!(!accounts.set_identity(&c, Identity { name: "Sam".into(), email: None }));
        let (saved, active) = accounts.to_save();
        assert_eq!(saved.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), vec![a.clone(), c.clone()]);
        assert_eq!(active, Some(c.clone()));
        let json = serde_json::to_string(&saved).unwrap();
        let again = Registry::load(serde_json::from_str(&json).unwrap(), active);
        assert_eq!(again.remembered().unwrap().id, c);
        assert_eq!(again.saved(&c).unwrap().name.as_deref(), Some("Sam"));
        assert_eq!(again.saved(&c).unwrap().server, Some(ServerKey::sandbox()));
        assert!(again.saved(&b).is_none());
        // A name the user gives is kept apart from the server's, bounded and cleaned: no direction
        // override can make it read as another.
        assert!(again.set_label(&c, "\u{202E}Work\u{200B} account"));
        assert_eq!(
            again.views().accounts.iter().find(|v| v.id == c).unwrap().label.as_deref(),
            Some("Work account")
        );
        assert!(again.set_label(&c, "  Work\u{0007} account  "));
        assert_eq!(
            again.views().accounts.iter().find(|v| v.id == c).unwrap().label.as_deref(),
            Some("Work account")
        );
        assert!(again.set_label(&c, &"x".repeat(500)));
        assert_eq!(again.saved(&c).unwrap().label.map(|l| l.len()), Some(LABEL_MAX));
        assert!(again.set_label(&c, " "));
        assert_eq!(again.saved(&c).unwrap().label, None);
        assert!(!again.set_label("gone", "x"));
        // A remembered id that is no longer listed falls back on the first account.
        assert_eq!(Registry::load(saved, Some("gone".into())).remembered().unwrap().id, a);
    }

    #[test]
    fn only_an_account_being_added_moves_to_another_server() {
        let accounts = Registry::load(vec![], None);
        let old = accounts.add(EnvChoice::Production, ServerKey::production(), true, false);
        let new = accounts.add(EnvChoice::Production, ServerKey::production(), true, true);
        assert!(!accounts.move_adding(&old, &EnvChoice::Sandbox, &ServerKey::sandbox()));
        assert!(accounts.is_adding(&new) && !accounts.is_adding(&old));
        assert!(accounts.move_adding(&new, &EnvChoice::Sandbox, &ServerKey::sandbox()));
        let moved = accounts.saved(&new).unwrap();
        assert_eq!((moved.environment, moved.server), (EnvChoice::Sandbox, Some(ServerKey::sandbox())));
        assert!(moved.first, "the sandbox's entry was free");
    }
}
