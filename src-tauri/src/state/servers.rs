//! The servers: one catalogue per server key, shared by the server's accounts and cached in a folder
//! named by that key; the embedded sandbox; and opening an account on its server.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use atom_core::cache::Cache;
use atom_core::{
    account_namespace, Account, AccountId, Catalogue, Environment, SecretStore, ServerKey, StoreHandle,
};

use super::{EnvChoice, EnvironmentView};
use crate::error::ShellError;

pub struct Servers {
    store: Arc<dyn SecretStore>,
    /// The catalogue cache, one folder per server key.
    cache_dir: PathBuf,
    /// One catalogue per server, with the settings it was made with.
    catalogues: parking_lot::Mutex<HashMap<ServerKey, (EnvChoice, Catalogue)>>,
    sandbox: crate::embedded::EmbeddedSandbox,
}

impl Servers {
    pub fn new(store: Arc<dyn SecretStore>, cache_dir: PathBuf, sandbox_dir: PathBuf) -> Servers {
        Servers {
            store,
            cache_dir,
            catalogues: Default::default(),
            sandbox: crate::embedded::EmbeddedSandbox::new(sandbox_dir),
        }
    }

    pub fn store(&self) -> Arc<dyn SecretStore> {
        self.store.clone()
    }

    pub async fn sandbox_base_url(&self) -> Option<String> {
        self.sandbox.base_url().await
    }

    /// Whether the embedded sandbox runs (an account of it can be opened without starting it).
    pub async fn sandbox_runs(&self) -> bool {
        self.sandbox.base_url().await.is_some()
    }

    /// Stops the embedded sandbox (another server is active): its catalogue goes with it.
    pub async fn stop_sandbox(&self) {
        self.sandbox.stop().await;
        self.catalogues.lock().remove(&ServerKey::sandbox());
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
        use atom_core::contract::paths;
        let base = url.trim().trim_end_matches('/').to_string();
        let settings = match atom_core::discover(&base).await {
            Ok(metadata) => metadata.to_custom("Server", Some(&base), paths::CLIENT_ID),
            Err(e) => {
                tracing::info!("{base} publishes no metadata ({e}); using ATOM's layout");
                atom_core::CustomEnvironment {
                    name: "Server".into(),
                    api_base: base.clone(),
                    authorize_url: format!("{base}{}", paths::AUTHORIZE),
                    token_url: format!("{base}{}", paths::TOKEN),
                    revoke_url: Some(format!("{base}{}", paths::REVOKE)),
                    client_id: paths::CLIENT_ID.into(),
                    ..Default::default()
                }
            }
        };
        EnvChoice::Custom { settings: Box::new(settings) }
    }

    /// `choice`'s environment; the embedded sandbox is started for it.
    pub async fn environment_for(&self, choice: &EnvChoice) -> Result<Environment, ShellError> {
        Ok(match choice {
            EnvChoice::Production => Environment::production(),
            EnvChoice::Sandbox => Environment::sandbox(&self.sandbox.url().await?)?,
            EnvChoice::Custom { settings } => Environment::custom(settings)?,
        })
    }

    /// The account `id` of server `choice`, on the server's catalogue (one for all its accounts,
    /// cached in the server's folder; made again when the server's settings or address changed), not
    /// yet active. Refused while another account has its keystore entry open (`account_in_use`).
    pub async fn open(&self, choice: &EnvChoice, id: &AccountId) -> Result<Account, ShellError> {
        let env = self.environment_for(choice).await?;
        let key = env.server_key();
        let store = StoreHandle::new(self.store.clone(), account_namespace(&key, id));
        let catalogue = {
            let mut catalogues = self.catalogues.lock();
            match catalogues.get(&key) {
                Some((made_with, catalogue))
                    if made_with == choice && catalogue.environment().api_base == env.api_base =>
                {
                    catalogue.clone()
                }
                _ => {
                    let cache = Cache::on_disk(self.cache_dir.join(key.folder_name()));
                    let catalogue = Catalogue::new(env, cache)?;
                    catalogues.insert(key, (choice.clone(), catalogue.clone()));
                    catalogue
                }
            }
        };
        Ok(Account::on(catalogue, store)?)
    }

    /// Deletes account `id`'s secrets of server `key` by their names, without opening it (its server
    /// cannot be reached or its settings no longer open): what a sign-out can still do for it.
    pub async fn forget_secrets(&self, key: &ServerKey, id: &AccountId) -> Result<(), ShellError> {
        use atom_core::store::accounts;
        let handle = StoreHandle::new(self.store.clone(), account_namespace(key, id));
        const OTHERS: &[&str] = &[accounts::API_KEY, accounts::API_KEY_SCOPE];
        handle.take_and_clear(accounts::REFRESH_TOKEN, OTHERS).await.map(|_| ()).map_err(ShellError::from)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_server_gets_a_plain_folder_name() {
        let server = atom_core::CustomEnvironment {
            name: "Example".into(),
            api_base: "https://example.com:8443/api/v1".into(),
            authorize_url: "https://example.com/oauth/authorize".into(),
            token_url: "https://example.com/oauth/token".into(),
            client_id: "atom-app".into(),
            ..Default::default()
        };
        let key = atom_core::Environment::custom(&server).unwrap().server_key();
        let folder = key.folder_name();
        assert!(folder.starts_with("custom_example_com_8443_atom-app_"), "{folder}");
        assert!(folder.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)));
        assert_eq!(atom_core::ServerKey::sandbox().folder_name(), "sandbox");
        assert_eq!(atom_core::ServerKey::saved("../x").folder_name(), "___x");
    }
}
