//! An environment's marketplace, shared by every account signed in to it: the environment, the HTTP
//! client with its catalogue cache and its rate limits (kept per credential: each account's figures
//! are its own, `Account::rate_limits`), and the watch for the network. An [`Account`](crate::Account) makes its calls through one; a second account of the
//! same environment is a second `Account` on the same `Catalogue`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use tokio::sync::watch;

use crate::cache::Cache;
use crate::contract::{limits, paths};
use crate::env::Environment;
use crate::error::{Error, Result};
#[allow(unused_imports)] // Named in the reads' docs.
use crate::http::Topic;
use crate::http::{ApiClient, Fetched};
use crate::models::{Categories, Category, SkillPage, SkillQuery};

struct Shared {
    env: Environment,
    api: ApiClient,
    /// Whether a task is waiting for the server to be reachable again.
    probing: AtomicBool,
    /// The keystore entries of the accounts open on it: one account per entry.
    entries: Arc<Mutex<HashSet<String>>>,
}

/// An open account's hold on its keystore entry, given back when the account is dropped.
pub(crate) struct EntryClaim {
    entries: Arc<Mutex<HashSet<String>>>,
    name: String,
}

impl Drop for EntryClaim {
    fn drop(&mut self) {
        self.entries.lock().remove(&self.name);
    }
}

/// One environment's marketplace. Cheap to clone: clones share it.
#[derive(Clone)]
pub struct Catalogue {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue").field("environment", &self.shared.env.name).finish_non_exhaustive()
    }
}

impl Catalogue {
    /// The marketplace of `env`, its replies kept in `cache` (the app gives each environment a folder
    /// of its own; [`Cache::in_memory`] keeps them for the process).
    pub fn new(env: Environment, cache: Cache) -> Result<Catalogue> {
        let api = ApiClient::new(&env, cache)?;
        let entries = Arc::default();
        Ok(Catalogue { shared: Arc::new(Shared { env, api, probing: AtomicBool::new(false), entries }) })
    }

    /// Holds keystore entry `namespace` for an account; refused while another account open on this
    /// catalogue holds it (two accounts on one entry would adopt each other's tokens and revoke each
    /// other's sign-ins).
    pub(crate) fn claim(&self, namespace: &str) -> Result<EntryClaim> {
        if !self.shared.entries.lock().insert(namespace.to_string()) {
            return Err(Error::AccountInUse);
        }
        Ok(EntryClaim { entries: self.shared.entries.clone(), name: namespace.to_string() })
    }

    pub fn environment(&self) -> &Environment {
        &self.shared.env
    }

    pub(crate) fn api(&self) -> &ApiClient {
        &self.shared.api
    }

    /// Whether the server could be reached at the last attempt. While it cannot, a background task
    /// asks it again now and then (2 s, doubling to 30 s) and flips this back when it answers.
    pub fn connectivity(&self) -> watch::Receiver<bool> {
        self.shared.api.connectivity()
    }

    /// Starts the task that watches for the server's return, unless the server answers or one runs.
    pub(crate) fn watch_for_the_network(&self) {
        if self.shared.api.is_online() || self.shared.probing.swap(true, Ordering::SeqCst) {
            return;
        }
        let weak = Arc::downgrade(&self.shared);
        tokio::spawn(async move {
            let mut wait = limits::PROBE_FIRST_WAIT;
            loop {
                tokio::time::sleep(wait).await;
                let Some(shared) = weak.upgrade() else { return };
                if shared.api.is_online() || shared.api.probe().await {
                    shared.probing.store(false, Ordering::SeqCst);
                    return;
                }
                wait = (wait * 2).min(limits::PROBE_MAX_WAIT);
            }
        });
    }

    /// The saved reply to `query`, from the catalogue cache alone (no network, no HTTP client): what
    /// the window paints before anything else is ready.
    pub fn saved_skills(&self, query: &SkillQuery) -> Option<Fetched<SkillPage>> {
        self.shared.api.saved(paths::SKILLS, &query.to_pairs())
    }

    /// The saved categories, from the catalogue cache alone.
    pub fn saved_categories(&self) -> Option<Fetched<Vec<Category>>> {
        self.shared.api.saved::<Categories>(paths::CATEGORIES, &[]).map(|f| f.map(|l| l.categories))
    }
}
