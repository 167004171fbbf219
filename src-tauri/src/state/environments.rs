//! The environments: which one is active (its catalogue and its account), the embedded sandbox, and
//! the catalogue cache's folder for each.

use std::path::PathBuf;
use std::sync::Arc;

use atom_core::cache::Cache;
use atom_core::{
    store_namespace, Account, AccountId, Catalogue, CustomEnvironment, Environment, EnvironmentKind,
    ErrorInfo, SecretStore, StoreHandle,
};
use tauri::async_runtime::JoinHandle;
use tokio::sync::{watch, Mutex as AsyncMutex};

use super::{EnvChoice, EnvironmentView};

/// The active environment's choice, and the tasks that forward its account's changes to the window.
struct Active {
    choice: EnvChoice,
    forwarders: Vec<JoinHandle<()>>,
}

impl Drop for Active {
    fn drop(&mut self) {
        for f in &self.forwarders {
            f.abort();
        }
    }
}

pub struct Environments {
    store: Arc<dyn SecretStore>,
    /// The catalogue cache, one folder per environment.
    cache_dir: PathBuf,
    active: AsyncMutex<Option<Active>>,
    /// One catalogue per environment, shared by its accounts.
    catalogues: parking_lot::Mutex<std::collections::HashMap<String, Catalogue>>,
    ready: watch::Sender<Option<Account>>,
    sandbox: crate::embedded::EmbeddedSandbox,
}

impl Environments {
    pub fn new(store: Arc<dyn SecretStore>, cache_dir: PathBuf, sandbox_dir: PathBuf) -> Environments {
        Environments {
            store,
            cache_dir,
            active: AsyncMutex::new(None),
            catalogues: Default::default(),
            ready: watch::channel(None).0,
            sandbox: crate::embedded::EmbeddedSandbox::new(sandbox_dir),
        }
    }

    /// The active environment's account, waiting for start-up to choose one.
    pub async fn account(&self) -> Account {
        let mut rx = self.ready.subscribe();
        loop {
            if let Some(account) = rx.borrow_and_update().clone() {
                return account;
            }
            if rx.changed().await.is_err() {
                // The sender lives as long as the app; this cannot happen while it runs.
                std::future::pending::<()>().await;
            }
        }
    }

    /// The active environment's account, if one is open yet.
    pub fn opened(&self) -> Option<Account> {
        self.ready.borrow().clone()
    }

    pub async fn active_choice(&self) -> Option<EnvChoice> {
        self.active.lock().await.as_ref().map(|a| a.choice.clone())
    }

    pub async fn sandbox_base_url(&self) -> Option<String> {
        self.sandbox.base_url().await
    }

    /// Stops the embedded sandbox (another environment is active).
    pub async fn stop_sandbox(&self) {
        self.sandbox.stop().await;
    }

    pub fn view(&self, account: &Account) -> EnvironmentView {
        let env = account.environment();
        EnvironmentView {
            kind: env.kind,
            name: env.name.clone(),
            api_base: env.api_base.to_string(),
            keystore: self.store.kind().to_string(),
        }
    }

    /// The settings for the server at `url` (`--server`): from its metadata when it publishes some,
    /// else ATOM's layout (the sandbox's, and a staging deployment's) under that address.
    pub async fn choice_for_server(url: &str) -> EnvChoice {
        let base = url.trim().trim_end_matches('/').to_string();
        let settings = match atom_core::discover(&base).await {
            Ok(metadata) => metadata.to_custom("Server", Some(&base), atom_core::contract::paths::CLIENT_ID),
            Err(e) => {
                tracing::info!("{base} publishes no metadata ({e}); using ATOM's layout");
                CustomEnvironment {
                    name: "Server".into(),
                    api_base: base.clone(),
                    authorize_url: format!("{base}{}", atom_core::contract::paths::AUTHORIZE),
                    token_url: format!("{base}{}", atom_core::contract::paths::TOKEN),
                    revoke_url: Some(format!("{base}{}", atom_core::contract::paths::REVOKE)),
                    client_id: atom_core::contract::paths::CLIENT_ID.into(),
                    ..Default::default()
                }
            }
        };
        EnvChoice::Custom { settings: Box::new(settings) }
    }

    async fn environment_for(&self, choice: &EnvChoice) -> Result<Environment, ErrorInfo> {
        let mut env = match choice {
            EnvChoice::Production => Environment::production(),
            EnvChoice::Sandbox => Environment::sandbox(&self.sandbox.url().await?)?,
            EnvChoice::Custom { settings } => Environment::custom(settings)?,
        };
        if let Some(pacing) = test_pacing() {
            env.pacing = pacing;
        }
        Ok(env)
    }

    /// The account `id` of `choice`'s environment, on the environment's catalogue (one for all its
    /// accounts, cached in the environment's folder), not yet active.
    pub async fn open(&self, choice: &EnvChoice, id: &AccountId) -> Result<Account, ErrorInfo> {
        let env = self.environment_for(choice).await?;
        let store = StoreHandle::new(self.store.clone(), store_namespace(&env, id));
        let key = format!("{}|{}", env.namespace(), env.api_base);
        let existing = self.catalogues.lock().get(&key).cloned();
        let catalogue = match existing {
            Some(catalogue) => catalogue,
            None => {
                let cache = Cache::on_disk(self.cache_dir.join(cache_folder(&env)));
                let catalogue = Catalogue::new(env, cache)?;
                self.catalogues.lock().entry(key).or_insert(catalogue).clone()
            }
        };
        Ok(Account::on(catalogue, store)?)
    }

    /// Whether the embedded sandbox runs (an account of it can be opened without starting it).
    pub async fn sandbox_runs(&self) -> bool {
        self.sandbox.base_url().await.is_some()
    }

    /// Makes `account` (of `choice`) the active one; `forwarders` end when another replaces it.
    pub async fn activate(&self, choice: EnvChoice, account: &Account, forwarders: Vec<JoinHandle<()>>) {
        *self.active.lock().await = Some(Active { choice, forwarders });
        self.ready.send_replace(Some(account.clone()));
    }
}

/// The catalogue's folder: one per marketplace API (public data, so the sign-in settings do not enter
/// into it, and a server given with `--server` finds its catalogue whether or not it answered discovery).
fn cache_folder(env: &Environment) -> String {
    match env.kind {
        EnvironmentKind::Custom => {
            let base = env.api_base.as_str();
            let address = base.split_once("://").map_or(base, |(_, rest)| rest);
            folder_name(&format!("custom-{}", address.trim_end_matches('/')))
        }
        _ => env.namespace(),
    }
}

/// A folder name for an environment's namespace (`custom:host:port:client:tag`): letters, digits, `.`,
/// `-` and `_` only.
fn folder_name(namespace: &str) -> String {
    namespace.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect()
}

/// Development builds only: `ATOM_TEST_REFRESH_PACING=none` takes every token lifetime at its word (the
/// end-to-end tests' sandboxes issue tokens of seconds, which the app's pacing would plan as a minute).
/// A release build ignores it.
fn test_pacing() -> Option<atom_core::RefreshPacing> {
    let asked = std::env::var_os("ATOM_TEST_REFRESH_PACING").is_some_and(|v| v == "none");
    (cfg!(debug_assertions) && asked).then_some(atom_core::RefreshPacing::NONE)
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_environment_gets_a_plain_folder_name() {
        assert_eq!(
            super::folder_name("custom:example.com:8443:atom-app:0a1b"),
            "custom_example.com_8443_atom-app_0a1b"
        );
        assert_eq!(super::folder_name("../x"), ".._x");
        let server = atom_core::CustomEnvironment {
            name: "Example".into(),
            api_base: "https://example.com:8443/api/v1".into(),
            authorize_url: "https://example.com/oauth/authorize".into(),
            token_url: "https://example.com/oauth/token".into(),
            client_id: "atom-app".into(),
            ..Default::default()
        };
        let env = atom_core::Environment::custom(&server).unwrap();
        assert_eq!(super::cache_folder(&env), "custom-example.com_8443_api_v1");
    }
}
