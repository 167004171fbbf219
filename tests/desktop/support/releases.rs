//! Releases for the update scenarios: throwaway signing keys (made by the Tauri CLI's `tauri signer`,
//! as a maintainer's are), artifacts signed with them or with another key, and the update feed a
//! sandbox started with `--updates-dir` serves from the files put here.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use super::repo;

fn tauri_cli() -> PathBuf {
    repo().join("ui/node_modules/.bin/tauri")
}

fn run(cmd: &mut Command) {
    // The key named on the command line, not one a build script left in the environment.
    cmd.env_remove("TAURI_SIGNING_PRIVATE_KEY").env_remove("TAURI_SIGNING_PRIVATE_KEY_PASSWORD");
    let out = cmd.output().expect("the Tauri CLI runs");
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A minisign key pair written by `tauri signer generate` (no password).
pub struct SigningKey {
    key: PathBuf,
    /// The public key as Tauri's configuration takes it (`plugins.updater.pubkey`).
    pub public: String,
}

impl SigningKey {
    pub fn generate(dir: &Path, name: &str) -> SigningKey {
        let key = dir.join(format!("{name}.key"));
        run(Command::new(tauri_cli()).args(["signer", "generate", "--ci", "-f", "-p", "", "-w"]).arg(&key));
        let public = std::fs::read_to_string(key.with_extension("key.pub")).unwrap().trim().to_string();
        SigningKey { key, public }
    }

    /// The key a build was made with (`ATOM_UPDATE_KEY`, scripts/test-installed.sh).
    pub fn at(key: PathBuf) -> SigningKey {
        let public = std::fs::read_to_string(key.with_extension("key.pub")).unwrap().trim().to_string();
        SigningKey { key, public }
    }

    /// The signature of `file` for `version`, as `tauri signer sign` writes it to `FILE.sig`.
    pub fn sign(&self, file: &Path, version: &str) -> String {
        run(Command::new(tauri_cli())
            .args(["signer", "sign", "-p", "", "--app-version", version, "-f"])
            .arg(&self.key)
            .arg(file));
        let sig = PathBuf::from(format!("{}.sig", file.display()));
        std::fs::read_to_string(sig).unwrap().trim().to_string()
    }
}

/// The folder the feed sandbox serves, and the feed written into it.
pub struct Releases {
    pub dir: PathBuf,
    /// The sandbox's address: `http://127.0.0.1:PORT`.
    pub base: String,
    _sandbox: atom_sandbox::SandboxHandle,
}

impl Releases {
    pub async fn serve(name: &str) -> Releases {
        let dir = std::env::temp_dir().join(format!("atom-e2e-releases-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config =
            atom_sandbox::Config { updates_dir: Some(dir.clone()), ..atom_sandbox::Config::default() };
        let sandbox = atom_sandbox::start(config).await.expect("the feed's sandbox starts");
        let base = format!("http://{}", sandbox.addr());
        Releases { dir, base, _sandbox: sandbox }
    }

    /// The feed's address, for `ATOM_UPDATE_FEED`.
    pub fn feed(&self) -> String {
        format!("{}/updates/latest.json", self.base)
    }

    /// Puts `bytes` in the folder as `name`; returns its path.
    pub fn put(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// The download address of the folder's file `name` (`cut`: broken off half way).
    pub fn url(&self, name: &str, cut: bool) -> String {
        format!("{}/updates/files/{name}{}", self.base, if cut { "?cut=half" } else { "" })
    }

    /// Offers `version` for this platform (Linux x86_64, any install kind and the .deb's) at `url`.
    pub fn offer(&self, version: &str, notes: &str, url: &str, signature: &str) {
        let platform = json!({"url": url, "signature": signature});
        let feed = json!({
            "version": version,
            "notes": notes,
            "pub_date": "2026-12-05T12:00:00Z",
            "platforms": {"linux-x86_64": platform, "linux-x86_64-deb": platform},
        });
        self.write_feed(&feed.to_string());
    }

    /// The feed as it is, good or bad.
    pub fn write_feed(&self, text: &str) {
        std::fs::write(self.dir.join("latest.json"), text).unwrap();
    }
}
