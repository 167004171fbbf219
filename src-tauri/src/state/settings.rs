//! What the app remembers between runs: the environment the user chose (`settings.json` in the app's
//! configuration folder, replaced whole so that a crash never leaves half a file).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::EnvChoice;

#[derive(Default, Serialize, Deserialize)]
struct File {
    environment: Option<EnvChoice>,
}

pub struct Settings {
    dir: PathBuf,
}

impl Settings {
    pub fn new(dir: PathBuf) -> Settings {
        Settings { dir }
    }

    /// The saved environment choice, if any.
    pub fn saved_choice(&self) -> Option<EnvChoice> {
        let text = std::fs::read_to_string(self.dir.join("settings.json")).ok()?;
        serde_json::from_str::<File>(&text).ok()?.environment
    }

    pub fn save_choice(&self, choice: &EnvChoice) {
        let settings = File { environment: Some(choice.clone()) };
        let result = std::fs::create_dir_all(&self.dir).and_then(|_| {
            let tmp = self.dir.join("settings.json.tmp");
            std::fs::write(&tmp, serde_json::to_vec_pretty(&settings).unwrap_or_default())?;
            std::fs::rename(tmp, self.dir.join("settings.json"))
        });
        if let Err(e) = result {
            tracing::warn!("could not save the environment choice: {e}");
        }
    }
}
