//! What the app remembers between runs: its accounts (where each signs in and who it is, never a
//! secret) and the active one, in `settings.json` in the app's configuration folder, replaced whole so
//! that a crash never leaves half a file. The file also names the active account's environment, as
//! versions before several accounts wrote it: such a file becomes one account, that environment's
//! first (whose keystore entry those versions used). The updater's choices and memory sit beside them
//! (`updates`).

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
    #[serde(default)]
    updates: UpdateSettings,
}

/// What the updater keeps between runs (`src-tauri/src/updates`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateSettings {
    /// Automatic checks on or off; `None`: the install's default (on in packages).
    pub automatic: Option<bool>,
    /// The version the user chose to skip: not offered again (a later one is).
    pub skipped: Option<String>,
    /// When the last automatic check ran (seconds since the epoch), whatever it found.
    pub last_check: Option<u64>,
    /// The version that ran last: a newer one at start means an update was installed.
    pub last_version: Option<String>,
    /// The version the app was updated from, until the user has seen the notice.
    pub updated_from: Option<String>,
}

pub struct Settings {
    dir: PathBuf,
    /// Read-change-write of the file, one at a time.
    writing: parking_lot::Mutex<()>,
}

impl Settings {
    pub fn new(dir: PathBuf) -> Settings {
        Settings { dir, writing: parking_lot::Mutex::new(()) }
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
        let _one_at_a_time = self.writing.lock();
        let updates = self.read().updates;
        self.write(&File { environment, accounts, active_account: active, updates }, "the accounts");
    }

    pub fn updates(&self) -> UpdateSettings {
        self.read().updates
    }

    /// Changes the updater's part of the file, leaving the rest as it is.
    pub fn change_updates(&self, change: impl FnOnce(&mut UpdateSettings)) -> UpdateSettings {
        let _one_at_a_time = self.writing.lock();
        let mut file = self.read();
        change(&mut file.updates);
        self.write(&file, "the update settings");
        file.updates
    }

    fn write(&self, file: &File, what: &str) {
        let result = std::fs::create_dir_all(&self.dir).and_then(|_| {
            let tmp = self.dir.join("settings.json.tmp");
            std::fs::write(&tmp, serde_json::to_vec_pretty(file).unwrap_or_default())?;
            std::fs::rename(tmp, self.dir.join("settings.json"))
        });
        if let Err(e) = result {
            tracing::warn!("could not save {what}: {e}");
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
        assert_eq!(settings.saved_accounts(), (accounts.clone(), active.clone()));
        // The updater's part and the accounts' are saved apart, neither losing the other.
        settings.change_updates(|u| u.skipped = Some("0.1.1".into()));
        settings.save_accounts(accounts.clone(), active.clone());
        assert_eq!(settings.updates().skipped.as_deref(), Some("0.1.1"));
        assert_eq!(settings.saved_accounts(), (accounts, active));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
