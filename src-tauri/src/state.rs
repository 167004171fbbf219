//! The app's state: the active environment and its session, the embedded sandbox, the loopback
//! listener, and the events that keep the UI up to date (`outbox.rs`).

use std::path::PathBuf;
use std::sync::Arc;

use atom_core::cache::Cache;
use atom_core::{
    Account, Catalogue, CustomEnvironment, Environment, EnvironmentKind, ErrorInfo, SecretStore, StoreHandle,
};
use serde::{Deserialize, Serialize};
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Manager};
use tokio::sync::{watch, Mutex as AsyncMutex};
use ts_rs::TS;

use crate::loopback::Loopback;
use crate::outbox::Outbox;

/// Event names for the UI (`outbox.rs`; `ui/src/bindings/events.ts`).
pub mod events {
    pub const AUTH_STATE: &str = "auth-state";
    pub const RATE_LIMIT: &str = "rate-limit";
    pub const SIGN_IN_ERROR: &str = "sign-in-error";
    pub const ENVIRONMENT: &str = "environment";
    pub const KEYSTORE: &str = "keystore";
    /// `true` when the server answers again, `false` when it cannot be reached.
    pub const CONNECTIVITY: &str = "connectivity";
}

/// Whether the OS keystore could be used, for a notice that stays while the problem does.
#[derive(Clone, Debug, Default, PartialEq, Serialize, TS)]
pub struct KeystoreStatus {
    pub available: bool,
    /// What the keystore library said, for the technical details.
    pub detail: Option<String>,
}

/// Which environment the user picked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnvChoice {
    Production,
    Sandbox,
    Custom { settings: Box<CustomEnvironment> },
}

/// What the UI shows about the active environment.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct EnvironmentView {
    pub kind: EnvironmentKind,
    pub name: String,
    pub api_base: String,
    /// Where the secrets are kept ("Secret Service", …).
    pub keystore: String,
}

#[derive(Default, Serialize, Deserialize)]
struct Settings {
    environment: Option<EnvChoice>,
}

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

pub struct App {
    handle: AppHandle,
    store: Arc<dyn SecretStore>,
    config_dir: PathBuf,
    /// The catalogue cache, one folder per environment.
    cache_dir: PathBuf,
    active: AsyncMutex<Option<Active>>,
    ready: watch::Sender<Option<Account>>,
    sandbox: crate::embedded::EmbeddedSandbox,
    loopback: parking_lot::Mutex<Option<Loopback>>,
    /// The last refusal, kept for a window that was not listening yet (a cold start with a link).
    last_error: parking_lot::Mutex<Option<ErrorInfo>>,
    keystore: parking_lot::Mutex<KeystoreStatus>,
    /// Set when the window first asks for the app's state: its page is mounted.
    window_up: std::sync::atomic::AtomicBool,
    window_up_now: tokio::sync::Notify,
    /// The events the window takes (`next_events`).
    outbox: Arc<Outbox>,
}

/// From the silent sign-in's end to giving start-up's freed memory back (`memory.rs`).
const RELEASE_AFTER_START: std::time::Duration = std::time::Duration::from_secs(2);
/// How long the silent sign-in waits for the window before it starts anyway.
const SIGN_IN_WAITS_FOR_WINDOW: std::time::Duration = std::time::Duration::from_millis(1500);

impl App {
    pub fn new(handle: AppHandle, store: Arc<dyn SecretStore>) -> App {
        let data_dir =
            handle.path().app_data_dir().unwrap_or_else(|_| std::env::temp_dir().join("atom-marketplace"));
        let config_dir = handle.path().app_config_dir().unwrap_or_else(|_| data_dir.clone());
        let sandbox_dir = data_dir.clone();
        let cache_dir =
            handle.path().app_cache_dir().unwrap_or_else(|_| data_dir.join("cache")).join("catalogue");
        App {
            handle,
            store,
            config_dir,
            cache_dir,
            active: AsyncMutex::new(None),
            ready: watch::channel(None).0,
            sandbox: crate::embedded::EmbeddedSandbox::new(sandbox_dir),
            loopback: parking_lot::Mutex::new(None),
            last_error: parking_lot::Mutex::new(None),
            keystore: parking_lot::Mutex::new(KeystoreStatus { available: true, detail: None }),
            window_up: std::sync::atomic::AtomicBool::new(false),
            window_up_now: tokio::sync::Notify::new(),
            outbox: Arc::default(),
        }
    }

    /// The session of the active environment, waiting for start-up to choose one.
    pub async fn session(&self) -> Account {
        let mut rx = self.ready.subscribe();
        loop {
            if let Some(s) = rx.borrow_and_update().clone() {
                return s;
            }
            if rx.changed().await.is_err() {
                // The sender lives as long as the app; this cannot happen while it runs.
                std::future::pending::<()>().await;
            }
        }
    }

    pub fn store_kind(&self) -> &'static str {
        self.store.kind()
    }

    /// The saved environment choice, if any.
    pub fn saved_choice(&self) -> Option<EnvChoice> {
        let text = std::fs::read_to_string(self.config_dir.join("settings.json")).ok()?;
        serde_json::from_str::<Settings>(&text).ok()?.environment
    }

    fn save_choice(&self, choice: &EnvChoice) {
        let settings = Settings { environment: Some(choice.clone()) };
        let result = std::fs::create_dir_all(&self.config_dir).and_then(|_| {
            let tmp = self.config_dir.join("settings.json.tmp");
            std::fs::write(&tmp, serde_json::to_vec_pretty(&settings).unwrap_or_default())?;
            std::fs::rename(tmp, self.config_dir.join("settings.json"))
        });
        if let Err(e) = result {
            tracing::warn!("could not save the environment choice: {e}");
        }
    }

    pub async fn sandbox_base_url(&self) -> Option<String> {
        self.sandbox.base_url().await
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
        match choice {
            EnvChoice::Production => Ok(Environment::production()),
            EnvChoice::Sandbox => Ok(Environment::sandbox(&self.sandbox.url().await?)?),
            EnvChoice::Custom { settings } => Ok(Environment::custom(settings)?),
        }
    }

    pub fn view(&self, session: &Account) -> EnvironmentView {
        let env = session.environment();
        EnvironmentView {
            kind: env.kind,
            name: env.name.clone(),
            api_base: env.api_base.to_string(),
            keystore: self.store_kind().to_string(),
        }
    }

    /// Makes `choice` the active environment: a new session, signed in from the keystore in the
    /// background, with its state and rate limits forwarded to the UI.
    pub async fn switch(&self, choice: EnvChoice, remember: bool) -> Result<EnvironmentView, ErrorInfo> {
        let mut env = self.environment_for(&choice).await?;
        if let Some(pacing) = test_pacing() {
            env.pacing = pacing;
        }
        let store = StoreHandle::new(self.store.clone(), env.namespace());
        let cache = Cache::on_disk(self.cache_dir.join(cache_folder(&env)));
        let session = Account::on(Catalogue::new(env, cache)?, store)?;
        let forwarders = vec![
            self.forward(session.state(), events::AUTH_STATE),
            self.forward(session.catalogue().rate_limits(), events::RATE_LIMIT),
            self.forward(session.catalogue().connectivity(), events::CONNECTIVITY),
        ];
        let view = self.view(&session);
        {
            let mut active = self.active.lock().await;
            *self.loopback.lock() = None;
            *active = Some(Active { choice: choice.clone(), forwarders });
        }
        self.ready.send_replace(Some(session.clone()));
        if choice != EnvChoice::Sandbox {
            self.sandbox.stop().await;
        }
        if remember {
            self.save_choice(&choice);
        }
        self.outbox.push(events::ENVIRONMENT, &view);
        self.outbox.push(events::AUTH_STATE, session.current_state());
        let handle = self.handle.clone();
        tauri::async_runtime::spawn(async move {
            // The keystore (its D-Bus calls, and the key exchange that protects the secret on the
            // way) would compete with the window's first paint for the CPU: it starts once the page
            // is up. Reads go out anonymously until it is done.
            let app = handle.state::<App>();
            let _ = tokio::time::timeout(SIGN_IN_WAITS_FOR_WINDOW, app.window_is_up()).await;
            let status = match session.restore().await {
                Err(atom_core::Error::Keystore(e)) => {
                    tracing::warn!("silent sign-in did not complete: {e}");
                    // A keystore that answers late (the user unlocked it) signs in then: the warning
                    // goes with it.
                    let mut states = session.state();
                    let later = handle.clone();
                    tauri::async_runtime::spawn(async move {
                        let kept = |s: &atom_core::AuthState| matches!(s, atom_core::AuthState::SignedIn(me) if me.persisted);
                        if states.wait_for(kept).await.is_ok() {
                            let available = KeystoreStatus { available: true, detail: None };
                            later.state::<App>().set_keystore_status(available);
                        }
                    });
                    KeystoreStatus { available: false, detail: Some(e.to_string()) }
                }
                Err(e) => {
                    tracing::warn!("silent sign-in did not complete: {e}");
                    KeystoreStatus { available: true, detail: None }
                }
                Ok(_) => KeystoreStatus { available: true, detail: None },
            };
            handle.state::<App>().set_keystore_status(status);
            // The last of start-up (or of the switch): what it freed goes back to the OS once the
            // first page's requests are done too.
            tokio::time::sleep(RELEASE_AFTER_START).await;
            let _ = tauri::async_runtime::spawn_blocking(crate::memory::release_freed).await;
        });
        Ok(view)
    }

    /// The window's page is mounted (it asked for the app's state).
    pub fn window_up(&self) {
        self.window_up.store(true, std::sync::atomic::Ordering::SeqCst);
        self.window_up_now.notify_waiters();
    }

    async fn window_is_up(&self) {
        let now = self.window_up_now.notified();
        if !self.window_up.load(std::sync::atomic::Ordering::SeqCst) {
            now.await;
        }
    }

    /// Opens the first environment of the run; when `choice` cannot be opened (a saved server whose
    /// settings are no longer valid, a sandbox that does not start), says why and opens ATOM instead.
    pub async fn open_first(&self, choice: EnvChoice, remember: bool) -> Option<Account> {
        if let Err(e) = self.switch(choice, remember).await {
            tracing::error!("could not open the environment: {}", e.message);
            self.report(e);
            if let Err(e) = self.switch(EnvChoice::Production, false).await {
                tracing::error!("could not open ATOM either: {}", e.message);
            }
        }
        self.ready.borrow().clone()
    }

    /// Asks for what the first screen shows (the first catalogue page and the categories) now, so
    /// that the window's own requests find them on their way or saved.
    pub fn prefetch_first_screen(&self, session: &Account) {
        let (list, categories) = (session.clone(), session.clone());
        tauri::async_runtime::spawn(async move {
            let _ = list
                .skills_with(&atom_core::SkillQuery::first_page(), atom_core::Freshness::CacheFirst)
                .await;
        });
        tauri::async_runtime::spawn(async move {
            let _ = categories.categories_with(atom_core::Freshness::CacheFirst).await;
        });
    }

    pub async fn active_choice(&self) -> Option<EnvChoice> {
        self.active.lock().await.as_ref().map(|a| a.choice.clone())
    }

    /// Sends every change of a watched value to the UI as `event`.
    fn forward<T: Clone + Serialize + Send + Sync + 'static>(
        &self,
        mut rx: watch::Receiver<T>,
        event: &'static str,
    ) -> JoinHandle<()> {
        let outbox = self.outbox.clone();
        tauri::async_runtime::spawn(async move {
            while rx.changed().await.is_ok() {
                let value = rx.borrow_and_update().clone();
                outbox.push(event, value);
            }
        })
    }

    /// The events for the window (`outbox.rs`).
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The keystore's state, as the notice shows it.
    pub fn keystore_status(&self) -> KeystoreStatus {
        self.keystore.lock().clone()
    }

    fn set_keystore_status(&self, status: KeystoreStatus) {
        *self.keystore.lock() = status.clone();
        self.outbox.push(events::KEYSTORE, status);
    }

    /// Shows a sign-in problem now, and keeps it for a window that opens later.
    pub fn report(&self, error: ErrorInfo) {
        *self.last_error.lock() = Some(error.clone());
        self.outbox.push(events::SIGN_IN_ERROR, error);
    }

    /// The problem not yet shown, once.
    pub fn take_last_error(&self) -> Option<ErrorInfo> {
        self.last_error.lock().take()
    }

    pub fn set_loopback(&self, listener: Option<Loopback>) {
        *self.loopback.lock() = listener;
    }

    /// A callback URL from the deep link, the loopback listener or a paste: finish the sign-in, and
    /// show the reason when it is refused.
    pub async fn handle_callback(&self, url: String) {
        crate::links::focus_main_window(&self.handle);
        let session = self.session().await;
        if let Err(e) = session.complete_login(&url).await {
            tracing::warn!("sign-in callback refused: {e}");
            self.report(e.info());
        }
        // A forged or stray link leaves the sign-in in progress, and its loopback listener, waiting.
        if session.pending_target().is_none() {
            *self.loopback.lock() = None;
        }
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
        let env =
            atom_core::Environment::custom(&crate::state::tests::server("https://example.com:8443/api/v1"))
                .unwrap();
        assert_eq!(super::cache_folder(&env), "custom-example.com_8443_api_v1");
    }

    pub(super) fn server(base: &str) -> atom_core::CustomEnvironment {
        atom_core::CustomEnvironment {
            name: "Example".into(),
            api_base: base.into(),
            authorize_url: "https://example.com/oauth/authorize".into(),
            token_url: "https://example.com/oauth/token".into(),
            client_id: "atom-app".into(),
            ..Default::default()
        }
    }
}
