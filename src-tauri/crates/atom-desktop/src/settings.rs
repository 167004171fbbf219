//! What the app remembers between runs: its accounts (where each signs in and who it is, never a
//! secret) and the active one, in `settings.json` in the app's configuration folder, with the
//! updater's choices beside them (`updates`).
//!
//! It loses nothing:
//! - Each account is read on its own: one this version cannot read is kept as it was, written back
//!   untouched, and reported; the others are read.
//! - A field this version does not know (a newer version's) is kept as it was.
//! - A file that cannot be read at all (not JSON) is moved aside (`settings.json.unreadable-<time>`),
//!   never overwritten, and the user is told where it is.
//! - Written whole to a temporary file of mode 0600, flushed, then renamed over the old one, in a
//!   folder of mode 0700: a crash leaves the old file or the new one, and no other user reads who the
//!   accounts are.
//!
//! The file also names the active account's environment, as versions before several accounts wrote
//! it: such a file becomes one account, that environment's first (whose keystore entry those versions
//! used).

use std::path::{Path, PathBuf};

use atom_core::{AccountId, CustomEnvironment, Environment, EnvironmentKind, ServerKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

/// Which server the user picked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnvChoice {
    Production,
    Sandbox,
    Custom { settings: Box<CustomEnvironment> },
}

impl EnvChoice {
    /// The server's name, as the core names it.
    pub fn name(&self) -> String {
        match self {
            EnvChoice::Production => atom_core::env::PRODUCTION_NAME.into(),
            EnvChoice::Sandbox => atom_core::env::SANDBOX_NAME.into(),
            EnvChoice::Custom { settings } => settings.display_name(),
        }
    }

    pub fn kind(&self) -> EnvironmentKind {
        match self {
            EnvChoice::Production => EnvironmentKind::Production,
            EnvChoice::Sandbox => EnvironmentKind::Sandbox,
            EnvChoice::Custom { .. } => EnvironmentKind::Custom,
        }
    }

    /// Which server this is (the core's key), without starting the sandbox; an error for custom
    /// settings that do not make a server.
    pub fn server_key(&self) -> Result<ServerKey, atom_core::Error> {
        Ok(match self {
            EnvChoice::Production => ServerKey::production(),
            EnvChoice::Sandbox => ServerKey::sandbox(),
            EnvChoice::Custom { settings } => Environment::custom(settings)?.server_key(),
        })
    }
}

/// An account as `settings.json` keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedAccount {
    /// The app's name for it: unique, random, and the last part of its keystore entry's name (unless
    /// it is its server's first account).
    pub id: String,
    /// Its server's settings (every account of a server has the same: the server's record).
    pub environment: EnvChoice,
    /// Its server's key, when it could be computed (`None` in files of earlier versions, until read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerKey>,
    /// Its secrets are its server's own keystore entry (where earlier versions kept them).
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
    /// Its server's first account, as a file of an earlier version names it.
    pub fn first_of(id: String, environment: EnvChoice) -> SavedAccount {
        SavedAccount { id, environment, server: None, first: true, name: None, email: None, label: None }
    }

    /// Which keystore entry of its server holds its secrets.
    pub fn account_id(&self) -> AccountId {
        if self.first {
            AccountId::FIRST
        } else {
            AccountId::named(&self.id)
        }
    }
}

const FILE: &str = "settings.json";

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

/// The accounts as read, and what could not be read.
#[derive(Debug, Default, PartialEq)]
pub struct Loaded {
    pub accounts: Vec<SavedAccount>,
    pub active: Option<String>,
    /// What the user should be told (an account or a file that could not be read, and where it is).
    pub problems: Vec<String>,
}

/// The file as this version holds it: every top-level field as it was read (so that what it does not
/// know is written back untouched), and the accounts it could not read, as they were.
#[derive(Default)]
struct Document {
    fields: Map<String, Value>,
    unreadable_accounts: Vec<Value>,
}

pub struct Settings {
    dir: PathBuf,
    doc: parking_lot::Mutex<Document>,
    /// What reading the file found, for the first snapshot.
    loaded: parking_lot::Mutex<Option<Loaded>>,
}

impl Settings {
    /// Reads `dir/settings.json` (once: later changes are this process's own).
    pub fn new(dir: PathBuf) -> Settings {
        let (doc, loaded) = read(&dir);
        Settings { dir, doc: parking_lot::Mutex::new(doc), loaded: parking_lot::Mutex::new(Some(loaded)) }
    }

    /// The saved accounts, the active one's id and what could not be read, once (start-up).
    pub fn take_loaded(&self) -> Loaded {
        self.loaded.lock().take().unwrap_or_default()
    }

    pub fn save_accounts(&self, accounts: Vec<SavedAccount>, active: Option<String>) {
        let mut doc = self.doc.lock();
        let environment = active
            .as_ref()
            .and_then(|id| accounts.iter().find(|a| &a.id == id))
            .and_then(|a| serde_json::to_value(&a.environment).ok());
        match environment {
            Some(env) => doc.fields.insert("environment".into(), env),
            None => doc.fields.remove("environment"),
        };
        let mut list: Vec<Value> = accounts.iter().filter_map(|a| serde_json::to_value(a).ok()).collect();
        list.extend(doc.unreadable_accounts.iter().cloned());
        doc.fields.insert("accounts".into(), Value::Array(list));
        match active {
            Some(id) => doc.fields.insert("active_account".into(), Value::String(id)),
            None => doc.fields.remove("active_account"),
        };
        self.write(&doc, "the accounts");
    }

    pub fn updates(&self) -> UpdateSettings {
        let doc = self.doc.lock();
        doc.fields.get("updates").and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
    }

    /// Changes the updater's part of the file, leaving the rest as it is.
    pub fn change_updates(&self, change: impl FnOnce(&mut UpdateSettings)) -> UpdateSettings {
        let mut doc = self.doc.lock();
        let mut updates: UpdateSettings = doc
            .fields
            .get("updates")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        change(&mut updates);
        if let Ok(value) = serde_json::to_value(&updates) {
            doc.fields.insert("updates".into(), value);
        }
        self.write(&doc, "the update settings");
        updates
    }

    fn write(&self, doc: &Document, what: &str) {
        let text = serde_json::to_vec_pretty(&Value::Object(doc.fields.clone())).unwrap_or_default();
        if let Err(e) = write_private(&self.dir, FILE, &text) {
            tracing::warn!("could not save {what}: {e}");
        }
    }
}

/// Reads the file: a missing one is an empty start; one that is not a JSON object is moved aside.
fn read(dir: &Path) -> (Document, Loaded) {
    let path = dir.join(FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Default::default(),
        Err(e) => {
            // Present but unreadable (permissions): leave it be, and do not write over it.
            let problem = format!("The app's settings could not be read ({e}); they are left as they are.");
            return (Document::default(), Loaded { problems: vec![problem], ..Default::default() });
        }
    };
    let fields = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(fields)) => fields,
        _ => {
            let aside = set_aside(&path);
            let problem = match aside {
                Ok(name) => format!(
                    "The app's settings file could not be read, so the app starts without its saved \
                     accounts. The file is kept as {name} in {}.",
                    dir.display()
                ),
                Err(e) => format!("The app's settings file could not be read, nor kept aside ({e})."),
            };
            return (Document::default(), Loaded { problems: vec![problem], ..Default::default() });
        }
    };
    let mut doc = Document { fields, unreadable_accounts: Vec::new() };
    let mut loaded = Loaded::default();
    let listed = doc.fields.get("accounts").and_then(Value::as_array).cloned().unwrap_or_default();
    for raw in listed {
        match serde_json::from_value::<SavedAccount>(raw.clone()) {
            Ok(account) => loaded.accounts.push(account),
            Err(e) => {
                tracing::warn!("an account in the settings could not be read ({e}); it is kept as it was");
                doc.unreadable_accounts.push(raw);
            }
        }
    }
    if !doc.unreadable_accounts.is_empty() {
        let n = doc.unreadable_accounts.len();
        loaded.problems.push(format!(
            "{n} saved account{} could not be read by this version of the app; {} kept as {} and \
             will be there for the version that wrote {}.",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it is" } else { "they are" },
            if n == 1 { "it was" } else { "they were" },
            if n == 1 { "it" } else { "them" },
        ));
    }
    loaded.active = doc.fields.get("active_account").and_then(Value::as_str).map(str::to_string);
    if loaded.accounts.is_empty() && doc.unreadable_accounts.is_empty() {
        // A file from before several accounts: its environment is that environment's first account.
        let earlier =
            doc.fields.get("environment").and_then(|v| serde_json::from_value::<EnvChoice>(v.clone()).ok());
        if let Some(environment) = earlier {
            let id = "first".to_string();
            loaded.accounts.push(SavedAccount::first_of(id.clone(), environment));
            loaded.active = Some(id);
        }
    }
    (doc, loaded)
}

/// Renames `path` to `<name>.unreadable-<seconds since the epoch>`; returns the new file name.
fn set_aside(path: &Path) -> std::io::Result<String> {
    let secs =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let name = format!("{FILE}.unreadable-{secs}");
    std::fs::rename(path, path.with_file_name(&name))?;
    Ok(name)
}

/// Writes `dir/name` whole: a temporary file readable by this user only, flushed to disk, renamed over
/// the old one; `dir` made (or narrowed to) this user's only.
pub fn write_private(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    crate::private::narrow_folder(dir)?;
    let tmp = dir.join(format!("{name}.tmp"));
    let mut file = crate::private::create_file(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, dir.join(name))?;
    crate::private::sync_folder(dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("atom-settings-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn account(id: &str, environment: EnvChoice) -> SavedAccount {
        SavedAccount { id: id.into(), ..SavedAccount::first_of(id.into(), environment) }
    }

    #[test]
    fn an_earlier_versions_file_becomes_its_environments_first_account() {
        let dir = folder("earlier");
        std::fs::write(dir.join("settings.json"), r#"{"environment":{"kind":"sandbox"}}"#).unwrap();
        let settings = Settings::new(dir.clone());
        let loaded = settings.take_loaded();
        assert_eq!(loaded.accounts.len(), 1);
        assert!(loaded.accounts[0].first);
        assert_eq!(loaded.accounts[0].environment, EnvChoice::Sandbox);
        assert_eq!(loaded.active.as_deref(), Some(loaded.accounts[0].id.as_str()));
        assert!(loaded.problems.is_empty());
        // Saved again, the file still names the environment for an earlier version to read.
        settings.save_accounts(loaded.accounts.clone(), loaded.active.clone());
        let value: Value =
            serde_json::from_slice(&std::fs::read(dir.join("settings.json")).unwrap()).unwrap();
        assert_eq!(value["environment"]["kind"], "sandbox");
        let again = Settings::new(dir.clone()).take_loaded();
        assert_eq!((again.accounts, again.active), (loaded.accounts.clone(), loaded.active.clone()));
        // The updater's part and the accounts' are saved apart, neither losing the other.
        settings.change_updates(|u| u.skipped = Some("0.1.1".into()));
        settings.save_accounts(loaded.accounts.clone(), loaded.active.clone());
        let again = Settings::new(dir.clone());
        assert_eq!(again.updates().skipped.as_deref(), Some("0.1.1"));
        assert_eq!(again.take_loaded().accounts, loaded.accounts);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// One account a newer version wrote (a field of a kind this one does not know) and a bad field
    /// of the updater's: the other account is read, the unreadable one is written back as it was, and
    /// the user is told; what this version does not know stays in the file.
    #[test]
    fn an_account_this_version_cannot_read_is_kept_as_it_was_and_reported() {
        let dir = folder("one-unreadable");
        let good = account("aaaa0001", EnvChoice::Production);
        let strange =
            serde_json::json!({"id": "bbbb0002", "environment": {"kind": "satellite"}, "first": false});
        let file = serde_json::json!({
            "accounts": [good, strange],
            "active_account": "aaaa0001",
            "updates": {"last_check": "yesterday"},
            "from_a_newer_version": {"kept": true}
        });
        std::fs::write(dir.join("settings.json"), serde_json::to_vec(&file).unwrap()).unwrap();
        let settings = Settings::new(dir.clone());
        let loaded = settings.take_loaded();
        assert_eq!(loaded.accounts, vec![good.clone()]);
        assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
        assert!(loaded.problems[0].contains("could not be read"), "{}", loaded.problems[0]);
        assert_eq!(
            settings.updates(),
            UpdateSettings::default(),
            "an unreadable part of the updater's: defaults"
        );
        settings.save_accounts(vec![good.clone()], Some("aaaa0001".into()));
        let written: Value =
            serde_json::from_slice(&std::fs::read(dir.join("settings.json")).unwrap()).unwrap();
        assert_eq!(written["accounts"].as_array().unwrap().len(), 2, "nothing lost: {written}");
        assert_eq!(written["accounts"][1], strange, "written back as it was");
        assert_eq!(written["from_a_newer_version"]["kept"], true);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_that_is_not_json_is_kept_aside_not_overwritten() {
        let dir = folder("not-json");
        std::fs::write(dir.join("settings.json"), b"{\"accounts\": [ truncated").unwrap();
        let settings = Settings::new(dir.clone());
        let loaded = settings.take_loaded();
        assert!(loaded.accounts.is_empty());
        assert!(loaded.problems[0].contains("settings.json.unreadable-"), "{:?}", loaded.problems);
        let aside: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("settings.json.unreadable-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(std::fs::read(aside[0].path()).unwrap(), b"{\"accounts\": [ truncated", "kept as it was");
        // The next write makes a new file beside it.
        settings.save_accounts(vec![account("cccc0003", EnvChoice::Production)], None);
        assert!(dir.join("settings.json").exists());
        assert_eq!(std::fs::read(aside[0].path()).unwrap(), b"{\"accounts\": [ truncated");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_this_users_alone_in_a_folder_that_is_too() {
        use std::os::unix::fs::PermissionsExt;
        let dir = folder("mode");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(dir.join("settings.json"), b"{}").unwrap();
        std::fs::set_permissions(dir.join("settings.json"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let settings = Settings::new(dir.clone());
        settings.save_accounts(vec![account("dddd0004", EnvChoice::Production)], None);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("settings.json")), 0o600);
        assert_eq!(mode(&dir), 0o700);
        assert!(!dir.join("settings.json.tmp").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
