//! Leaving: signing out of one account, of all, and removing one. Each works for an account whose server
//! cannot be opened too (its secrets are deleted by name), and sign out of all goes on past one that
//! fails, saying which.

use atom_core::ErrorInfo;

use crate::error::ShellError;
use tauri::Manager;

use super::{describe, EnvChoice, Shell};

impl Shell {
    /// Signs out of account `id`: its token revoked, its keystore entry removed; the other accounts
    /// keep theirs, and its row stays, signed out. An account whose server cannot be opened (a sandbox
    /// account in a build without the sandbox, a saved server whose settings no longer validate) is
    /// signed out all the same: its entries are deleted by name, and the warning says the server was
    /// not told. Returns the warning of a server that could not be told.
    pub async fn sign_out_of(&self, id: &str) -> Result<Option<ErrorInfo>, ShellError> {
        let saved = self.accounts.existing(id)?;
        let warning = match self.open_account(&saved).await {
            Ok(account) => account.sign_out().await.err().map(ErrorInfo::from),
            Err(cannot_open) => {
                tracing::warn!("signing out of an account whose server cannot be opened: {}", cannot_open);
                if let Some(key) = &saved.server {
                    self.servers.forget_secrets(key, &saved.account_id()).await?;
                }
                let why = format!("its server could not be opened ({cannot_open})");
                Some(atom_core::Error::NotRevoked(why).info())
            }
        };
        self.publish_accounts();
        Ok(warning)
    }

    /// Removes account `id`: signed out first (as [`Shell::sign_out_of`], so that its secrets are gone
    /// and its token revoked where the server can be told), then taken off the list. If it was active,
    /// the first of the others takes its place; the last one removed leaves a new account on ATOM.
    pub async fn remove_account(&self, id: &str) -> Result<Option<ErrorInfo>, ShellError> {
        let warning = self.sign_out_of(id).await?;
        let was_active = self.accounts.active_id().as_deref() == Some(id);
        self.accounts.remove(id);
        match self.accounts.ids().into_iter().next() {
            Some(next) if was_active => {
                self.activate(&next).await?;
            }
            Some(_) => self.save_accounts(),
            None => {
                self.switch(EnvChoice::Production, true).await?;
            }
        }
        self.publish_accounts();
        Ok(warning)
    }

    /// Gives account `id` the user's name for it.
    pub fn rename_account(&self, id: &str, name: &str) -> Result<(), ShellError> {
        if !self.accounts.set_label(id, name) {
            return Err(ShellError::NoSuchAccount);
        }
        self.save_accounts();
        self.publish_accounts();
        Ok(())
    }

    /// Signs out of every account, side by side; the active one stays, signed out, and the others are
    /// removed. One that fails does not stop the others: the answer says which could not be signed out
    /// or whose server was not told.
    pub async fn sign_out_all(&self) -> Result<Option<ErrorInfo>, ShellError> {
        let tasks: Vec<_> = self
            .accounts
            .ids()
            .into_iter()
            .map(|id| {
                let handle = self.handle.clone();
                let described = self.accounts.saved(&id).map(|s| describe(&s)).unwrap_or_default();
                let task =
                    tauri::async_runtime::spawn(
                        async move { handle.state::<Shell>().sign_out_of(&id).await },
                    );
                (described, task)
            })
            .collect();
        let mut notes = Vec::new();
        for (who, task) in tasks {
            match task.await {
                Ok(Ok(None)) => {}
                Ok(Ok(Some(warning))) => notes.push(format!("{who}: {}", warning.message)),
                Ok(Err(e)) => notes.push(format!("{who} could not be signed out: {e}")),
                Err(e) => notes.push(format!("{who} could not be signed out: {e}")),
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
        Ok((!notes.is_empty()).then(|| atom_core::Error::NotRevoked(notes.join("; ")).info()))
    }
}
