//! What the app remembers between runs: its accounts (where each signs in and who it is, never a
//! secret) and the active one, in `settings.json` in the app's configuration folder, replaced whole so
//! that a crash never leaves half a file. The file also names the active account's environment, as
//! versions before several accounts wrote it: such a file becomes one account, that environment's
//! first (whose keystore entry those versions used).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::accounts::SavedAccount;
use super::EnvChoice;

#[derive(Default, Serialize, Deserialize)]
struct File {
    environment: Option<EnvChoice>,
    #[serde(default)]
    accounts: Vec<SavedAccount>,
    #[serde(default)]
    active_account: Option<String>,
}

pub struct Settings {
    dir: PathBuf,
}

impl Settings {
    pub fn new(dir: PathBuf) -> Settings {
        Settings { dir }
    }

    fn read(&self) -> File {
        let text = std::fs::read_to_string(self.dir.join("settings.json")).unwrap_or_default();
        serde_json::from_str::<File>(&text).unwrap_or_default()
    }

    /// The saved accounts and the active one's id; an earlier version's file gives its environment's
    /// first account.
    pub fn saved_accounts(&self) -> (Vec<SavedAccount>, Option<String>) {
        let file = self.read();
        if file.accounts.is_empty() {
            if let Some(environment) = file.environment {
                let id = "first".to_string();
                let first = SavedAccount {
                    id: id.clone(),
                    environment,
                    first: true,
                    name: None,
                    email: None,
                    label: None,
                };
                return (vec![first], Some(id));
            }
        }
        (file.accounts, file.active_account)
    }

    pub fn save_accounts(&self, accounts: Vec<SavedAccount>, active: Option<String>) {
        let environment = active
            .as_ref()
            .and_then(|id| accounts.iter().find(|a| &a.id == id))
            .map(|a| a.environment.clone());
        let settings = File { environment, accounts, active_account: active };
        let result = std::fs::create_dir_all(&self.dir).and_then(|_| {
            let tmp = self.dir.join("settings.json.tmp");
            std::fs::write(&tmp, serde_json::to_vec_pretty(&settings).unwrap_or_default())?;
            std::fs::rename(tmp, self.dir.join("settings.json"))
        });
        if let Err(e) = result {
            tracing::warn!("could not save the accounts: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_versions_file_becomes_its_environments_first_account() {
        let dir = std::env::temp_dir().join(format!("atom-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("settings.json"), r#"{"environment":{"kind":"sandbox"}}"#).unwrap();
        let settings = Settings::new(dir.clone());
        let (accounts, active) = settings.saved_accounts();
        assert_eq!(accounts.len(), 1);
        assert!(accounts[0].first);
        assert_eq!(accounts[0].environment, EnvChoice::Sandbox);
        assert_eq!(active.as_deref(), Some(accounts[0].id.as_str()));
        // Saved again, the file still names the environment for an earlier version to read.
        settings.save_accounts(accounts.clone(), active.clone());
        let text = std::fs::read_to_string(dir.join("settings.json")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["environment"]["kind"], "sandbox");
        assert_eq!(settings.saved_accounts(), (accounts, active));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
