//! Shared by the core's tests: a real sandbox on loopback, a session on it, and a stand-in for the
//! user's browser.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use atom_core::{Account, Environment, MemoryStore, RedirectTarget, Secret, SecretStore, StoreError};
use atom_sandbox::{Config, SandboxHandle};
use serde_json::Value;

pub const READ_KEY: &str = "atom_pub_00000000-0000-4000-8000-000000000001";
pub const RW_KEY: &str = "atom_pub_00000000-0000-4000-8000-000000000002";
pub const REVOKED_KEY: &str = "atom_pub_00000000-0000-4000-8000-000000000003";

/// An in-memory keystore that can be told to fail its writes (as a keystore that locks mid-session
/// does) or to refuse them for good (as a store refuses a secret too long for it), and that remembers
/// every value ever written to it and how many writes it was asked for.
#[derive(Default)]
pub struct TestStore {
    entries: MemoryStore,
    pub fail_writes: AtomicBool,
    pub refuse_writes: AtomicBool,
    write_attempts: std::sync::atomic::AtomicUsize,
    written: parking_lot::Mutex<Vec<String>>,
    /// Locked as a keyring waiting on its unlock prompt: a write waits until [`TestStore::unlock`];
    /// reads and deletes see no item (a locked collection's items are not found).
    locked: parking_lot::Mutex<bool>,
    unlocked: parking_lot::Condvar,
    /// Locked with the unlock prompt up: reads wait for the user too.
    prompting: AtomicBool,
}

impl TestStore {
    pub fn set_failing(&self, failing: bool) {
        self.fail_writes.store(failing, Ordering::SeqCst);
    }

    pub fn set_refusing(&self, refusing: bool) {
        self.refuse_writes.store(refusing, Ordering::SeqCst);
    }

    /// Locks the store: writes wait for [`TestStore::unlock`], reads and deletes find nothing.
    pub fn lock(&self) {
        *self.locked.lock() = true;
    }

    /// Locks the store with its unlock prompt up: reads and writes wait for [`TestStore::unlock`].
    pub fn lock_with_prompt(&self) {
        self.prompting.store(true, Ordering::SeqCst);
        self.lock();
    }

    fn wait_for_unlock(&self) {
        let mut locked = self.locked.lock();
        while *locked {
            self.unlocked.wait(&mut locked);
        }
    }

    /// The user typed the password: waiting writes go on.
    pub fn unlock(&self) {
        self.prompting.store(false, Ordering::SeqCst);
        *self.locked.lock() = false;
        self.unlocked.notify_all();
    }

    fn is_locked(&self) -> bool {
        *self.locked.lock()
    }

    /// The entry as it is, locked or not (what the keystore holds, for assertions).
    pub fn peek(&self, namespace: &str, account: &str) -> Option<String> {
        self.entries.get(namespace, account).unwrap().map(|s| s.expose().to_string())
    }

    /// How many writes the store was asked for, kept or not.
    pub fn write_attempts(&self) -> usize {
        self.write_attempts.load(Ordering::SeqCst)
    }

    /// Every value ever written, in order.
    pub fn written(&self) -> Vec<String> {
        self.written.lock().clone()
    }
}

impl SecretStore for TestStore {
    fn get(&self, namespace: &str, account: &str) -> Result<Option<Secret>, StoreError> {
        if self.prompting.load(Ordering::SeqCst) {
            self.wait_for_unlock();
        }
        if self.is_locked() {
            return Ok(None);
        }
        self.entries.get(namespace, account)
    }

    fn set(&self, namespace: &str, account: &str, secret: &Secret) -> Result<(), StoreError> {
        self.write_attempts.fetch_add(1, Ordering::SeqCst);
        self.wait_for_unlock();
        if self.fail_writes.load(Ordering::SeqCst) {
            return Err(StoreError::Locked);
        }
        if self.refuse_writes.load(Ordering::SeqCst) {
            return Err(StoreError::Refused("2,600 characters, more than it holds".into()));
        }
        self.written.lock().push(secret.expose().to_string());
        self.entries.set(namespace, account, secret)
    }

    fn delete(&self, namespace: &str, account: &str) -> Result<(), StoreError> {
        if self.is_locked() {
            return Ok(());
        }
        self.entries.delete(namespace, account)
    }

    fn kind(&self) -> &'static str {
        "test"
    }
}

pub struct Harness {
    pub sandbox: SandboxHandle,
    pub store: Arc<TestStore>,
    pub session: Account,
    pub http: reqwest::Client,
}

pub fn config() -> Config {
    Config { auto_approve: true, rate_limits: None, test_hooks: true, ..Config::default() }
}

impl Harness {
    /// A sandbox with its test hooks on (the tests read stats and arm faults), and a session on it,
    /// with the app's own refresh rules (tokens of seconds included).
    pub async fn start(config: Config) -> Harness {
        let sandbox =
            atom_sandbox::start(Config { test_hooks: true, ..config }).await.expect("sandbox starts");
        let env = Environment::sandbox(&sandbox.base_url()).unwrap();
        Harness::with_env(sandbox, env).await
    }

    pub async fn with_env(sandbox: SandboxHandle, env: Environment) -> Harness {
        let store = Arc::new(TestStore::default());
        let session = Account::new(env, store.clone() as Arc<dyn SecretStore>).unwrap();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Harness { sandbox, store, session, http }
    }

    /// Another app instance on the same keystore.
    pub fn second_instance(&self) -> Account {
        Account::new(self.session.environment().clone(), self.store.clone() as Arc<dyn SecretStore>).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.base_url(), path)
    }

    /// Plays the user's browser on an auto-approving sandbox: opens the authorize URL and returns where
    /// the sandbox redirects, which is what the OS would hand to the app.
    pub async fn browser(&self, authorize_url: &url::Url) -> String {
        let resp = self.http.get(authorize_url.as_str()).send().await.unwrap();
        assert_eq!(resp.status(), 302, "the sandbox redirects at once");
        resp.headers()["location"].to_str().unwrap().to_string()
    }

    /// Plays the user on a sandbox that shows the consent page: presses `decision`.
    pub async fn consent(&self, authorize_url: &url::Url, decision: &str) -> String {
        self.consent_as(authorize_url, decision, None).await
    }

    /// As [`Harness::consent`], having picked `user` (a sandbox user's id) on the page.
    pub async fn consent_as(&self, authorize_url: &url::Url, decision: &str, user: Option<&str>) -> String {
        let html = self.http.get(authorize_url.as_str()).send().await.unwrap().text().await.unwrap();
        let ticket =
            html.split("name=\"ticket\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let mut form = vec![("ticket", ticket.as_str()), ("decision", decision)];
        form.extend(user.map(|u| ("user", u)));
        let resp = self.http.post(self.url("/oauth/authorize")).form(&form).send().await.unwrap();
        resp.headers()["location"].to_str().unwrap().to_string()
    }

    pub async fn sign_in(&self) {
        let url = self.session.begin_login(RedirectTarget::Scheme);
        let callback = self.browser(&url).await;
        let state = self.session.complete_login(&callback).await.expect("sign-in completes");
        assert!(state.is_signed_in(), "{state:?}");
    }

    pub async fn stats(&self) -> Value {
        self.http.get(self.url("/__sandbox/stats")).send().await.unwrap().json().await.unwrap()
    }

    pub async fn token_requests(&self, grant: &str) -> u64 {
        self.stats().await["token_requests"][grant].as_u64().unwrap_or(0)
    }

    pub async fn api_count(&self, endpoint: &str, status: u16) -> u64 {
        self.stats().await["api_requests"][endpoint][status.to_string()].as_u64().unwrap_or(0)
    }

    pub async fn api_total(&self) -> u64 {
        let stats = self.stats().await;
        let mut total = 0;
        if let Some(endpoints) = stats["api_requests"].as_object() {
            for (name, by_status) in endpoints {
                if name.starts_with("GET /") || name.starts_with("POST /") {
                    if name.contains("/oauth/") {
                        continue;
                    }
                    total +=
                        by_status.as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum::<u64>();
                }
            }
        }
        total
    }

    pub async fn arm_fault(&self, fault: Value) {
        let resp = self.http.post(self.url("/__sandbox/faults")).json(&fault).send().await.unwrap();
        assert_eq!(resp.status(), 201);
    }

    /// The server stops taking every access token it has issued (they expire now, on its clock).
    pub async fn expire_access_tokens(&self) -> u64 {
        let resp = self
            .http
            .post(self.url("/__sandbox/expire-access-tokens"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json::<Value>().await.unwrap()["expired"].as_u64().unwrap()
    }

    /// The refresh token the keystore holds.
    pub fn stored_refresh_token(&self) -> Option<String> {
        self.store
            .get(&self.session.environment().namespace(), "refresh_token")
            .unwrap()
            .map(|s| s.expose().to_string())
    }
}
