//! The session: who the user is signed in as, and every marketplace call made on their behalf. This
//! file is the sign-in lifecycle and the tokens; [`catalogue`] holds the marketplace's reads and writes
//! and the watch for the network.
//!
//! - The access token lives in memory only; the refresh token (or the API key) in the [`SecretStore`].
//! - A background task refreshes ahead of expiry; calls that find the token due refresh in line.
//!   Either way one refresh runs at a time, and callers that arrive meanwhile wait for its result.
//! - Rotation-safe: the new refresh token is stored before the new access token is used; the store is
//!   read before each refresh, so that a token rotated by another instance is adopted. When a write
//!   fails, the newest token stays in memory and is the one used (the keystore's is already rotated),
//!   and the write is retried.
//! - Epochs: every sign-in, sign-out, API-key sign-in and "sign in again" starts a new epoch. A refresh
//!   that lands in a later epoch than it started in is dropped and its token revoked, never stored, so
//!   that a sign-out cannot be undone by a refresh already in flight.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cache::Cache;
use crate::contract::{limits, paths};
use crate::env::Environment;
use crate::error::{Error, ErrorCode, ErrorInfo, Result};

mod catalogue;
use crate::http::{ApiClient, Credential};
use crate::login::{CallbackError, PendingLogin, RedirectTarget};
use crate::models::Categories;
use crate::ratelimit::RateLimitStatus;
use crate::secret::Secret;
use crate::store::{accounts, SecretStore, StoreHandle};
use crate::token::{TokenClient, TokenSet};

/// The declared scope of an API key (the key itself does not say).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ApiKeyScope {
    Read,
    ReadWrite,
}

impl ApiKeyScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyScope::Read => "read",
            ApiKeyScope::ReadWrite => "read_write",
        }
    }

    fn parse(s: &str) -> ApiKeyScope {
        if s == "read_write" {
            ApiKeyScope::ReadWrite
        } else {
            ApiKeyScope::Read
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AuthMethod {
    Browser,
    ApiKey,
}

/// What the UI shows about a signed-in user.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignedIn {
    pub method: AuthMethod,
    /// OAuth scopes, or the API key's declared scope.
    pub scopes: Vec<String>,
    pub can_write: bool,
    /// `atom_pub_…0002` for an API key.
    pub key_hint: Option<String>,
    /// `false` when the keystore could not keep the secret: signed in until the app closes.
    pub persisted: bool,
    /// What the keystore said when it could not keep the secret, for the technical details.
    pub keystore_error: Option<String>,
    /// The keystore refused the secret for good (rather than being locked or away): unlocking it will
    /// not help, and the app does not ask it again until it has a new secret to keep.
    pub keystore_refused: bool,
    /// `false` when the server issued no refresh token: the sign-in ends when the access token expires.
    pub renewable: bool,
    /// When the access token expires (Unix seconds), for OAuth.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub expires_at: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AuthState {
    SignedOut,
    SignedIn(SignedIn),
    Refreshing(SignedIn),
    NeedsReauth { reason: ErrorInfo },
}

impl AuthState {
    pub fn is_signed_in(&self) -> bool {
        matches!(self, AuthState::SignedIn(_) | AuthState::Refreshing(_))
    }
}

struct OAuth {
    access: Option<Secret>,
    refresh: Option<Secret>,
    scopes: Vec<String>,
    expires_at: SystemTime,
    refresh_at: SystemTime,
    /// The keystore holds `refresh`. `false` after a failed write: then the keystore's token (if any)
    /// is older, already rotated at the server, and must never be sent.
    persisted: bool,
    /// Bumped by every refresh, so that waiting callers can tell a refresh happened.
    generation: u64,
}

enum Auth {
    None,
    OAuth(OAuth),
    ApiKey { key: Secret, scope: ApiKeyScope, persisted: bool },
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// When to refresh a token of lifetime `ttl` received at `at`: at 80 % of the lifetime or 5 minutes
/// before expiry, whichever is earlier, but not before half of it.
pub fn refresh_due(at: SystemTime, ttl: Duration) -> SystemTime {
    let by_fraction = ttl.mul_f64(limits::REFRESH_AT_FRACTION);
    let by_margin = ttl.saturating_sub(limits::REFRESH_MARGIN);
    let floor = ttl.mul_f64(limits::REFRESH_NOT_BEFORE_FRACTION);
    at + by_fraction.min(by_margin.max(floor))
}

/// When to refresh a token the server says lives `ttl`: by [`refresh_due`], from at least the pacing's
/// floor (a lifetime of a nanosecond is not a refresh a nanosecond later).
pub fn planned_refresh(at: SystemTime, ttl: Duration, pacing: crate::RefreshPacing) -> SystemTime {
    refresh_due(at, ttl.max(pacing.lifetime_floor))
}

/// Memory's and the keystore's refresh tokens, each once.
fn distinct(in_memory: Option<Secret>, stored: Option<Secret>) -> Vec<Secret> {
    let mut tokens: Vec<Secret> = in_memory.into_iter().collect();
    tokens.extend(stored.filter(|s| !tokens.contains(s)));
    tokens
}

/// What the keystore holds for an environment, read in one turn at start-up.
struct Saved {
    api_key: Option<Secret>,
    scope: Option<Secret>,
    refresh: Option<Secret>,
}

struct Inner {
    env: Environment,
    api: ApiClient,
    tokens: TokenClient,
    store: StoreHandle,
    auth: Mutex<Auth>,
    pending: Mutex<Option<PendingLogin>>,
    /// One refresh at a time.
    refresh_gate: tokio::sync::Mutex<()>,
    /// When the last refresh was sent (see [`crate::RefreshPacing::min_gap`]).
    last_refresh: Mutex<Option<std::time::Instant>>,
    state: watch::Sender<AuthState>,
    refresher: Mutex<Option<JoinHandle<()>>>,
    generation: AtomicU64,
    /// Which sign-in the in-memory credentials belong to (see the module's docs). Shared with the
    /// keystore's queue, which drops a write whose session has ended before its turn came.
    epoch: Arc<AtomicU64>,
    /// Held while the keystore and the in-memory credentials change together, so that a sign-out and
    /// a refresh that lands at the same moment cannot interleave.
    commit: tokio::sync::Mutex<()>,
    /// Wakes the background task early (a keystore write failed and is to be retried soon).
    wake: Arc<tokio::sync::Notify>,
    /// Why the last session ended at the server, until a new one starts: a write is told that, not
    /// just "not signed in".
    ended: Mutex<Option<Error>>,
    /// The last keystore write's failure, until a write succeeds.
    keystore_error: Mutex<Option<crate::store::StoreError>>,
    /// Whether a task is waiting for the server to be reachable again.
    probing: AtomicBool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.refresher.lock().take() {
            task.abort();
        }
    }
}

/// A signed-in (or anonymous) user of one environment. Cheap to clone.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("environment", &self.inner.env.name)
            .field("state", &*self.inner.state.borrow())
            .finish_non_exhaustive()
    }
}

impl Session {
    pub fn new(env: Environment, store: Arc<dyn SecretStore>) -> Result<Session> {
        let store = StoreHandle::new(store, env.namespace());
        Session::with_store(env, store)
    }

    pub fn with_store(env: Environment, store: StoreHandle) -> Result<Session> {
        Session::with_cache(env, store, Cache::in_memory())
    }

    /// A session whose catalogue cache is `cache` (the app gives each environment a folder of its own).
    pub fn with_cache(env: Environment, store: StoreHandle, cache: Cache) -> Result<Session> {
        Ok(Session {
            inner: Arc::new(Inner {
                api: ApiClient::new(&env, cache)?,
                probing: AtomicBool::new(false),
                tokens: TokenClient::new(&env)?,
                env,
                store,
                auth: Mutex::new(Auth::None),
                pending: Mutex::new(None),
                refresh_gate: tokio::sync::Mutex::new(()),
                state: watch::channel(AuthState::SignedOut).0,
                refresher: Mutex::new(None),
                last_refresh: Mutex::new(None),
                generation: AtomicU64::new(0),
                epoch: Arc::new(AtomicU64::new(0)),
                commit: tokio::sync::Mutex::new(()),
                wake: Arc::new(tokio::sync::Notify::new()),
                ended: Mutex::new(None),
                keystore_error: Mutex::new(None),
            }),
        })
    }

    pub fn environment(&self) -> &Environment {
        &self.inner.env
    }

    pub fn state(&self) -> watch::Receiver<AuthState> {
        self.inner.state.subscribe()
    }

    pub fn current_state(&self) -> AuthState {
        self.inner.state.borrow().clone()
    }

    pub fn rate_limits(&self) -> watch::Receiver<RateLimitStatus> {
        self.inner.api.rate_limits()
    }

    /// Which keystore holds the secrets ("memory" in session-only mode).
    pub fn store_kind(&self) -> &'static str {
        self.inner.store.kind()
    }

    fn keystore_error(&self) -> Option<String> {
        self.inner.keystore_error.lock().as_ref().map(ToString::to_string)
    }

    /// The last write was refused for good: writing the same secret again would be refused again.
    fn keystore_refused(&self) -> bool {
        matches!(*self.inner.keystore_error.lock(), Some(crate::store::StoreError::Refused(_)))
    }

    fn signed_in_view(&self, auth: &Auth) -> Option<SignedIn> {
        match auth {
            Auth::None => None,
            Auth::OAuth(o) => Some(SignedIn {
                method: AuthMethod::Browser,
                can_write: o.scopes.iter().any(|s| s == paths::SCOPE_WRITE),
                scopes: o.scopes.clone(),
                key_hint: None,
                persisted: o.persisted,
                keystore_error: self.keystore_error(),
                keystore_refused: self.keystore_refused(),
                renewable: o.refresh.is_some(),
                expires_at: o.access.as_ref().map(|_| unix(o.expires_at)),
            }),
            Auth::ApiKey { key, scope, persisted } => Some(SignedIn {
                method: AuthMethod::ApiKey,
                scopes: vec![scope.as_str().to_string()],
                can_write: *scope == ApiKeyScope::ReadWrite,
                key_hint: Some(key.hint()),
                persisted: *persisted,
                keystore_error: self.keystore_error(),
                keystore_refused: self.keystore_refused(),
                renewable: true,
                expires_at: None,
            }),
        }
    }

    fn publish(&self) -> AuthState {
        let state = match self.signed_in_view(&self.inner.auth.lock()) {
            Some(view) => AuthState::SignedIn(view),
            None => AuthState::SignedOut,
        };
        self.inner.state.send_replace(state.clone());
        state
    }

    fn publish_refreshing(&self) {
        if let Some(view) = self.signed_in_view(&self.inner.auth.lock()) {
            self.inner.state.send_replace(AuthState::Refreshing(view));
        }
    }

    fn epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::SeqCst)
    }

    /// Whether the epoch is still the current one, for a keystore write to ask when its turn comes.
    fn while_this_epoch(&self) -> impl Fn() -> bool + Send + 'static {
        let (epoch, now) = (self.inner.epoch.clone(), self.epoch());
        move || epoch.load(Ordering::SeqCst) == now
    }

    /// Starts a new epoch: whatever was in flight for the previous one is dropped when it lands.
    fn new_epoch(&self) -> u64 {
        *self.inner.ended.lock() = None;
        self.inner.epoch.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn needs_reauth(&self, error: &Error) -> Error {
        self.new_epoch();
        *self.inner.auth.lock() = Auth::None;
        self.stop_refresher();
        let reason = error.info();
        self.inner.state.send_replace(AuthState::NeedsReauth { reason: reason.clone() });
        self.inner.api.invalidate_cache();
        *self.inner.ended.lock() = Some(error.clone());
        Error::NeedsReauth(Box::new(error.clone()))
    }

    /// Start-up: a stored API key or refresh token signs in without a browser. A keystore that cannot be
    /// read leaves the user signed out and says why; one that answers late (its unlock prompt was up,
    /// the user typed the password a minute later) signs in then, unless the user signed in otherwise
    /// meanwhile.
    pub async fn restore(&self) -> Result<AuthState> {
        let read = |s: &dyn SecretStore, ns: &str| -> std::result::Result<Saved, crate::store::StoreError> {
            Ok(Saved {
                api_key: s.get(ns, accounts::API_KEY)?,
                scope: s.get(ns, accounts::API_KEY_SCOPE).ok().flatten(),
                refresh: s.get(ns, accounts::REFRESH_TOKEN)?,
            })
        };
        let saved = match self.inner.store.patiently(read).await {
            crate::store::Patient::Now(saved) => saved?,
            crate::store::Patient::Later(late) => {
                let (weak, epoch) = (Arc::downgrade(&self.inner), self.epoch());
                tokio::spawn(async move {
                    let Ok(saved) = late.wait(limits::UNLOCK_WAIT).await else { return };
                    let Some(inner) = weak.upgrade() else { return };
                    if saved.api_key.is_some() || saved.refresh.is_some() {
                        let _ = Session { inner }.restore_from(saved, Some(epoch)).await;
                    }
                });
                return Err(crate::store::StoreError::Timeout(self.inner.store.timeout()).into());
            }
        };
        self.restore_from(saved, None).await
    }

    /// Signs in from what the keystore held. With `if_still`, only if nothing happened since that epoch
    /// and no one is signed in (a late answer must not undo a sign-out or replace a newer sign-in).
    async fn restore_from(&self, saved: Saved, if_still: Option<u64>) -> Result<AuthState> {
        let untouched = |s: &Self| {
            if_still.is_none_or(|epoch| s.epoch() == epoch && matches!(*s.inner.auth.lock(), Auth::None))
        };
        if let Some(key) = saved.api_key {
            let scope = saved.scope.map(|s| ApiKeyScope::parse(s.expose())).unwrap_or(ApiKeyScope::Read);
            let _commit = self.inner.commit.lock().await;
            if !untouched(self) {
                return Ok(self.current_state());
            }
            self.new_epoch();
            *self.inner.auth.lock() = Auth::ApiKey { key, scope, persisted: true };
            return Ok(self.publish());
        }
        let Some(refresh) = saved.refresh else {
            return Ok(self.publish());
        };
        let commit = self.inner.commit.lock().await;
        if !untouched(self) {
            return Ok(self.current_state());
        }
        if if_still.is_some() {
            tracing::info!("the keystore answered late (unlocked): signing in from it now");
        }
        self.new_epoch();
        *self.inner.auth.lock() = Auth::OAuth(OAuth {
            access: None,
            refresh: Some(refresh),
            scopes: Vec::new(),
            expires_at: SystemTime::now(),
            refresh_at: SystemTime::now(),
            persisted: true,
            generation: 0,
        });
        drop(commit);
        self.publish_refreshing();
        match self.access_token(false).await {
            Ok(_) => {
                self.start_refresher();
                Ok(self.current_state())
            }
            Err(e @ Error::NeedsReauth(_)) => Err(e),
            Err(e) => {
                // Offline at start-up: keep the refresh token and let the background task retry.
                self.start_refresher();
                Err(e)
            }
        }
    }

    /// Starts a browser sign-in; returns the URL to open. A newer sign-in replaces an older one.
    pub fn begin_login(&self, target: RedirectTarget) -> url::Url {
        let scopes: Vec<&str> = self.inner.env.scopes.iter().map(String::as_str).collect();
        let login = PendingLogin::new(&self.inner.env, target, &scopes);
        let url = login.authorize_url().clone();
        *self.inner.pending.lock() = Some(login);
        url
    }

    /// The redirect of the sign-in in progress, if any.
    pub fn pending_target(&self) -> Option<RedirectTarget> {
        self.inner.pending.lock().as_ref().map(PendingLogin::target)
    }

    /// Whether `callback` carries the `state` of the sign-in in progress.
    pub fn is_pending_callback(&self, callback: &str) -> bool {
        self.inner.pending.lock().as_ref().is_some_and(|p| p.is_answered_by(callback))
    }

    pub fn cancel_login(&self) {
        *self.inner.pending.lock() = None;
    }

    /// Finishes a browser sign-in with the callback URL (from the deep link, the loopback listener or
    /// pasted by the user). A forged or stray URL is refused and leaves the sign-in in progress intact.
    pub async fn complete_login(&self, callback: &str) -> Result<AuthState> {
        let (code, verifier, redirect_uri) = {
            let mut pending = self.inner.pending.lock();
            let login = pending.as_ref().ok_or(Error::Callback(CallbackError::NoPendingLogin))?;
            match login.validate(callback, SystemTime::now()) {
                Ok(code) => {
                    let login = pending.take().expect("checked above");
                    (code, login.verifier().clone(), login.redirect_uri().to_string())
                }
                // The genuine answer to this sign-in, but a refusal: the sign-in is over.
                Err(
                    e @ (CallbackError::Denied | CallbackError::ServerError { .. } | CallbackError::Expired),
                ) => {
                    *pending = None;
                    return Err(e.into());
                }
                Err(e) => return Err(e.into()),
            }
        };
        let tokens = self.inner.tokens.exchange_code(&code, &verifier, &redirect_uri).await?;
        self.commit_tokens(tokens, None, None).await?;
        self.inner.api.invalidate_cache();
        self.start_refresher();
        Ok(self.current_state())
    }

    /// Stores the new refresh token first, then makes the new access token current.
    ///
    /// `started_in` is the epoch a refresh started in: if the session ended or was replaced since, the
    /// tokens are dropped and the new refresh token revoked, never stored. `None` starts a new session
    /// (a browser sign-in), which replaces whatever was signed in.
    async fn commit_tokens(
        &self,
        tokens: TokenSet,
        previous_refresh: Option<Secret>,
        started_in: Option<u64>,
    ) -> Result<Secret> {
        let commit = self.inner.commit.lock().await;
        match started_in {
            Some(epoch) if epoch != self.epoch() => {
                drop(commit);
                tracing::info!(
                    "a refresh landed after the session it was for had ended; dropping its tokens"
                );
                if let Some(stale) = &tokens.refresh_token {
                    if let Err(e) = self.inner.tokens.revoke(stale, "refresh_token").await {
                        tracing::warn!("could not revoke the dropped refresh token: {e}");
                    }
                }
                return Err(Error::NotSignedIn);
            }
            Some(_) => {}
            None => {
                self.new_epoch();
                // One method at a time: a browser sign-in replaces an API key.
                if matches!(*self.inner.auth.lock(), Auth::ApiKey { .. }) {
                    let _ = self.inner.store.delete(accounts::API_KEY).await;
                    let _ = self.inner.store.delete(accounts::API_KEY_SCOPE).await;
                }
                // A new sign-in without a refresh token must not leave an older one to be found.
                if tokens.refresh_token.is_none() {
                    let _ = self.inner.store.delete(accounts::REFRESH_TOKEN).await;
                }
            }
        }
        let refresh = tokens.refresh_token.clone().or(previous_refresh);
        let persisted = match &refresh {
            Some(rt) => self.note_write(
                self.inner.store.set_while(accounts::REFRESH_TOKEN, rt, self.while_this_epoch()).await,
            ),
            // Nothing to keep: the session lasts as long as the access token.
            None => true,
        };
        let scopes = if tokens.scopes.is_empty() {
            match &*self.inner.auth.lock() {
                Auth::OAuth(o) if !o.scopes.is_empty() => o.scopes.clone(),
                _ => vec![paths::SCOPE_READ.to_string(), paths::SCOPE_WRITE.to_string()],
            }
        } else {
            tokens.scopes.clone()
        };
        // Without a refresh token there is nothing to renew early with: the token is used to its end.
        let refresh_at = if refresh.is_some() {
            // Planned from at least the floor: a lifetime of a nanosecond is not a refresh a nanosecond.
            planned_refresh(tokens.received_at, tokens.expires_in, self.inner.env.pacing)
        } else {
            tokens.received_at + tokens.expires_in
        };
        let generation = self.inner.generation.fetch_add(1, Ordering::SeqCst) + 1;
        *self.inner.auth.lock() = Auth::OAuth(OAuth {
            access: Some(tokens.access_token.clone()),
            refresh,
            scopes,
            expires_at: tokens.received_at + tokens.expires_in,
            refresh_at,
            persisted,
            generation,
        });
        drop(commit);
        if !persisted {
            self.inner.wake.notify_one();
        }
        self.publish();
        Ok(tokens.access_token)
    }

    /// Remembers how a keystore write went (for the technical details); returns whether it worked.
    fn note_write(&self, result: std::result::Result<(), crate::store::StoreError>) -> bool {
        match result {
            Ok(()) => {
                *self.inner.keystore_error.lock() = None;
                true
            }
            Err(e) => {
                tracing::warn!("the keystore could not keep a secret, keeping it in memory: {e}");
                *self.inner.keystore_error.lock() = Some(e);
                false
            }
        }
    }

    /// Retries writing a refresh token that only memory holds (the keystore was locked or failed).
    /// Returns whether the keystore now holds the newest token. A token the keystore refused for good is
    /// not offered again: the next refresh brings another one, which is.
    async fn save_unsaved(&self) -> bool {
        // Refused for good; or the last write still waits on the keystore (its unlock prompt is up):
        // another would only queue behind it and ask the user again.
        if self.keystore_refused() || self.inner.store.busy() {
            return false;
        }
        let _commit = self.inner.commit.lock().await;
        let (token, generation) = match &*self.inner.auth.lock() {
            Auth::OAuth(OAuth { refresh: Some(rt), persisted: false, generation, .. }) => {
                (rt.clone(), *generation)
            }
            _ => return true,
        };
        let write = self.inner.store.set_while(accounts::REFRESH_TOKEN, &token, self.while_this_epoch());
        if !self.note_write(write.await) {
            return false;
        }
        if let Auth::OAuth(o) = &mut *self.inner.auth.lock() {
            if o.generation == generation {
                o.persisted = true;
            }
        }
        self.publish();
        true
    }

    /// The current access token, refreshed first if it is due (or if `force`). Single-flight.
    async fn access_token(&self, force: bool) -> Result<Secret> {
        let seen = {
            let auth = self.inner.auth.lock();
            let Auth::OAuth(o) = &*auth else { return Err(Error::NotSignedIn) };
            if let (false, Some(access)) = (force, &o.access) {
                if SystemTime::now() < o.refresh_at {
                    return Ok(access.clone());
                }
            }
            o.generation
        };
        let _gate = self.inner.refresh_gate.lock().await;
        {
            let auth = self.inner.auth.lock();
            let Auth::OAuth(o) = &*auth else { return Err(Error::NotSignedIn) };
            // Someone refreshed while this caller waited: use their result.
            if let (true, Some(access)) = (o.generation != seen, &o.access) {
                if SystemTime::now() < o.expires_at {
                    return Ok(access.clone());
                }
            }
        }
        self.refresh_now().await
    }

    /// A token to replace `refused`, which the server turned down: the current one if a refresh has
    /// brought it since `refused` was sent (a slow request can come back after the refresh that its
    /// 401 would start), else a new one. One refresh for any number of such calls.
    async fn token_instead_of(&self, refused: &Secret) -> Result<Secret> {
        let newer = || match &*self.inner.auth.lock() {
            Auth::OAuth(OAuth { access: Some(access), .. }) if access != refused => Some(access.clone()),
            _ => None,
        };
        if let Some(access) = newer() {
            return Ok(access);
        }
        let _gate = self.inner.refresh_gate.lock().await;
        if let Some(access) = newer() {
            return Ok(access);
        }
        self.refresh_now().await
    }

    /// Refreshes now, whatever the token's age: for a wake from sleep, or a user's "reconnect".
    pub async fn refresh(&self) -> Result<AuthState> {
        self.access_token(true).await?;
        Ok(self.current_state())
    }

    /// Runs one refresh. Called with the gate held. Not sooner than the pacing's gap after the last
    /// one: callers wait for it (and then share its result).
    async fn refresh_now(&self) -> Result<Secret> {
        let ready = self.inner.last_refresh.lock().map(|at| at + self.inner.env.pacing.min_gap);
        if let Some(wait) = ready.and_then(|at| at.checked_duration_since(std::time::Instant::now())) {
            tracing::info!("the last refresh was moments ago; the next waits {wait:?}");
            tokio::time::sleep(wait).await;
        }
        *self.inner.last_refresh.lock() = Some(std::time::Instant::now());
        let epoch = self.epoch();
        let (in_memory, persisted) = match &*self.inner.auth.lock() {
            Auth::OAuth(o) => (o.refresh.clone(), o.persisted),
            _ => return Err(Error::NotSignedIn),
        };
        self.publish_refreshing();
        let current = if persisted || in_memory.is_none() {
            // Another instance may have rotated the token: what the keystore holds is the newest.
            let stored = self.inner.store.get(accounts::REFRESH_TOKEN).await.ok().flatten();
            stored.or(in_memory)
        } else {
            // The keystore missed our last write, so it holds a token the server has already rotated:
            // sending that one would look like reuse and end the grant. Save the newest again; use it.
            self.save_unsaved().await;
            in_memory
        };
        let Some(current) = current else {
            // The server issued no refresh token, and the access token has run out.
            return Err(self.needs_reauth(&Error::SessionExpired));
        };
        match self.inner.tokens.refresh(&current).await {
            Ok(tokens) => self.commit_tokens(tokens, Some(current), Some(epoch)).await,
            // The session ended while the refresh was out: its failure is no one's concern now.
            Err(_) if self.epoch() != epoch => Err(Error::NotSignedIn),
            Err(e) if matches!(e.code(), ErrorCode::InvalidGrant | ErrorCode::InvalidClient) => {
                // Re-read once: a token rotated elsewhere after our read is still good.
                if e.code() == ErrorCode::InvalidGrant && persisted {
                    if let Ok(Some(newer)) = self.inner.store.get(accounts::REFRESH_TOKEN).await {
                        if newer != current {
                            if let Ok(tokens) = self.inner.tokens.refresh(&newer).await {
                                return self.commit_tokens(tokens, Some(newer), Some(epoch)).await;
                            }
                        }
                    }
                }
                // The grant is over. Forget the dead token, unless another instance has stored a new one.
                let _commit = self.inner.commit.lock().await;
                if self.epoch() != epoch {
                    return Err(Error::NotSignedIn);
                }
                if let Ok(Some(stored)) = self.inner.store.get(accounts::REFRESH_TOKEN).await {
                    if stored == current || !persisted {
                        let _ = self.inner.store.delete(accounts::REFRESH_TOKEN).await;
                    }
                }
                Err(self.needs_reauth(&e))
            }
            Err(e) => {
                // Offline or a server hiccup: still signed in; the caller (or the task) tries again.
                self.publish();
                Err(e)
            }
        }
    }

    fn stop_refresher(&self) {
        if let Some(task) = self.inner.refresher.lock().take() {
            task.abort();
        }
    }

    /// The background refresh: wakes at the due time (checking the wall clock at least every 30 s,
    /// which also catches a wake from sleep) and refreshes; retries with backoff when offline.
    fn start_refresher(&self) {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let task = tokio::spawn(async move {
            let mut backoff = limits::REFRESH_RETRY_MIN;
            loop {
                let Some(inner) = weak.upgrade() else { return };
                let session = Session { inner };
                let (due, unsaved) = match &*session.inner.auth.lock() {
                    Auth::OAuth(o) if o.access.is_some() => {
                        (o.refresh_at, !o.persisted && o.refresh.is_some() && !session.keystore_refused())
                    }
                    Auth::OAuth(_) => (SystemTime::now(), false),
                    _ => return,
                };
                let unsaved = unsaved && !session.save_unsaved().await;
                let now = SystemTime::now();
                if now < due {
                    let check =
                        if unsaved { limits::STORE_RETRY_INTERVAL } else { limits::REFRESH_CHECK_INTERVAL };
                    let wait = due.duration_since(now).unwrap_or_default().min(check);
                    // Only the waker is held while asleep, so that a dropped session ends this task.
                    let wake = session.inner.wake.clone();
                    drop(session);
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = wake.notified() => {}
                    }
                    continue;
                }
                match session.access_token(false).await {
                    Ok(_) => backoff = limits::REFRESH_RETRY_MIN,
                    Err(Error::NeedsReauth(_) | Error::NotSignedIn) => return,
                    Err(e) => {
                        tracing::info!("background refresh failed, retrying in {backoff:?}: {e}");
                        drop(session);
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(limits::REFRESH_RETRY_MAX);
                    }
                }
            }
        });
        if let Some(old) = self.inner.refresher.lock().replace(task) {
            old.abort();
        }
    }

    /// Signs in with an API key. The format is checked before anything is sent; the key is then
    /// verified with one cheap request, and kept in the keystore.
    pub async fn sign_in_with_api_key(&self, key: &str, scope: ApiKeyScope) -> Result<AuthState> {
        let key = Secret::new(key.trim());
        if !is_api_key_format(key.expose()) {
            return Err(Error::InvalidApiKeyFormat);
        }
        let _: Categories =
            self.inner.api.get_from_server(paths::CATEGORIES, &[], &Credential::ApiKey(key.clone())).await?;
        let commit = self.inner.commit.lock().await;
        self.new_epoch();
        let store = &self.inner.store;
        let persisted = self
            .note_write(store.set_while(accounts::API_KEY, &key, self.while_this_epoch()).await)
            && self.note_write(
                store
                    .set_while(accounts::API_KEY_SCOPE, &Secret::new(scope.as_str()), self.while_this_epoch())
                    .await,
            );
        // One method at a time: an API key replaces a browser sign-in.
        let previous =
            std::mem::replace(&mut *self.inner.auth.lock(), Auth::ApiKey { key, scope, persisted });
        self.stop_refresher();
        let stale =
            if let Auth::OAuth(o) = previous { self.forget_refresh_tokens(o.refresh).await } else { vec![] };
        drop(commit);
        self.inner.api.invalidate_cache();
        let state = self.publish();
        for rt in stale {
            let _ = self.inner.tokens.revoke(&rt, "refresh_token").await;
        }
        Ok(state)
    }

    /// Deletes the stored refresh token; returns every distinct refresh token of the session (memory's
    /// and the keystore's), to be revoked. Called with the commit lock held.
    async fn forget_refresh_tokens(&self, in_memory: Option<Secret>) -> Vec<Secret> {
        let stored = self.inner.store.take_and_clear(accounts::REFRESH_TOKEN, &[]).await.ok().flatten();
        distinct(in_memory, stored)
    }

    /// Signs out: forgets locally at once (a refresh in flight is dropped when it lands), then revokes
    /// at the server. An error means the local sign-out happened but something else failed, and says what.
    pub async fn sign_out(&self) -> Result<()> {
        let commit = self.inner.commit.lock().await;
        self.new_epoch();
        self.stop_refresher();
        *self.inner.pending.lock() = None;
        let previous = std::mem::replace(&mut *self.inner.auth.lock(), Auth::None);
        self.publish();
        // The refresh tokens stand for the grant; with none, the access token is all there is to end.
        // Every entry of the environment goes in one turn of the keystore's queue, after any write
        // still waiting there (one wait, however locked the keystore is).
        const OTHERS: &[&str] = &[accounts::API_KEY, accounts::API_KEY_SCOPE];
        let cleared = self.inner.store.take_and_clear(accounts::REFRESH_TOKEN, OTHERS).await;
        let mut outcome = Ok(());
        let stored = match cleared {
            Ok(stored) => stored,
            Err(e) => {
                outcome = Err(e.into());
                None
            }
        };
        let to_revoke: Vec<(Secret, &str)> = match previous {
            Auth::OAuth(o) => {
                let refresh = distinct(o.refresh, stored);
                if refresh.is_empty() {
                    o.access.into_iter().map(|a| (a, "access_token")).collect()
                } else {
                    refresh.into_iter().map(|r| (r, "refresh_token")).collect()
                }
            }
            _ => Vec::new(),
        };
        drop(commit);
        self.inner.api.invalidate_cache();
        for (token, hint) in &to_revoke {
            if let Err(e) = self.inner.tokens.revoke(token, hint).await {
                outcome = outcome.and(Err(e));
            }
        }
        outcome
    }

    /// The catalogue is public: until the first access token of a browser sign-in arrives (the silent
    /// sign-in at start-up is refreshing it), reads go out anonymously instead of waiting for it, so
    /// that the first page does not wait for the keystore or the token endpoint.
    async fn read_credential(&self) -> Result<Credential> {
        if matches!(&*self.inner.auth.lock(), Auth::OAuth(o) if o.access.is_none()) {
            return Ok(Credential::Anonymous);
        }
        self.credential().await
    }

    async fn credential(&self) -> Result<Credential> {
        let api_key = match &*self.inner.auth.lock() {
            Auth::None => return Ok(Credential::Anonymous),
            Auth::ApiKey { key, .. } => Some(key.clone()),
            Auth::OAuth(_) => None,
        };
        match api_key {
            Some(key) => Ok(Credential::ApiKey(key)),
            None => Ok(Credential::Bearer(self.access_token(false).await?)),
        }
    }

    /// Runs a call with the current credential. A 401 saying the token expired or is unknown triggers
    /// one refresh and one replay (the server did nothing on a 401). A 403 on an API key declared
    /// read_write corrects the declared scope.
    async fn call<T, F, Fut>(&self, write: bool, op: F) -> Result<T>
    where
        F: Fn(Credential) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let credential = if write { self.credential().await? } else { self.read_credential().await? };
        if write && matches!(credential, Credential::Anonymous) {
            return Err(match self.inner.ended.lock().clone() {
                Some(cause) => Error::NeedsReauth(Box::new(cause)),
                None => Error::NotSignedIn,
            });
        }
        let result = op(credential.clone()).await;
        match (&credential, result) {
            (Credential::Bearer(refused), Err(e))
                if matches!(e.code(), ErrorCode::TokenExpired | ErrorCode::TokenInvalid) =>
            {
                let fresh = self.token_instead_of(refused).await?;
                op(Credential::Bearer(fresh)).await
            }
            (Credential::ApiKey(_), Err(e)) if write && e.code() == ErrorCode::InsufficientScope => {
                self.correct_key_scope().await;
                Err(e)
            }
            (_, result) => result,
        }
    }

    async fn correct_key_scope(&self) {
        let changed = match &mut *self.inner.auth.lock() {
            Auth::ApiKey { scope, .. } if *scope == ApiKeyScope::ReadWrite => {
                *scope = ApiKeyScope::Read;
                true
            }
            _ => false,
        };
        if changed {
            let read = Secret::new(ApiKeyScope::Read.as_str());
            let _ = self.inner.store.set_while(accounts::API_KEY_SCOPE, &read, self.while_this_epoch()).await;
            self.publish();
        }
    }
}

/// `atom_pub_` followed by a UUID in its 8-4-4-4-12 hex form. The sandbox has its own copy of this
/// check, on purpose: the core and the sandbox are two independent implementations of one contract,
/// so that neither can quietly agree with the other's mistake.
pub fn is_api_key_format(key: &str) -> bool {
    let Some(uuid) = key.strip_prefix("atom_pub_") else { return false };
    let groups: Vec<&str> = uuid.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    mod pacing {
        use super::*;
        use proptest::prelude::*;

        /// `expires_in` as servers have sent it, and as they should not.
        fn expires_in() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("0".to_string()),
                Just("-5".to_string()),
                Just("1e-9".to_string()),
                Just("0.5".to_string()),
                Just("1".to_string()),
                Just("1e400".to_string()),
                Just("\"NaN\"".to_string()),
                Just("\"inf\"".to_string()),
                Just("\"-inf\"".to_string()),
                Just("\"\"".to_string()),
                Just("null".to_string()),
                Just("\"soon\"".to_string()),
                Just("18446744073709551616".to_string()),
                any::<f64>().prop_map(|f| if f.is_finite() { f.to_string() } else { "0".into() }),
                any::<i64>().prop_map(|n| n.to_string()),
                any::<i64>().prop_map(|n| format!("\"{n}\"")),
                (0u32..1000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Whatever the lifetime, the reply is read without panic, and the refresh is planned no
            /// sooner than half the floor (30 s) and no later than a year.
            #[test]
            fn any_stated_lifetime_plans_a_sane_refresh(value in expires_in()) {
                let body = format!(r#"{{"access_token":"a","token_type":"Bearer","expires_in":{value}}}"#);
                if let Ok(tokens) = crate::token::parse_token_set(body.as_bytes()) {
                    let at = UNIX_EPOCH + Duration::from_secs(1_000_000);
                    let due = planned_refresh(at, tokens.expires_in, crate::RefreshPacing::default());
                    let after = due.duration_since(at).unwrap();
                    prop_assert!(after >= Duration::from_secs(30), "{value}: {after:?}");
                    prop_assert!(after <= Duration::from_secs(366 * 86_400), "{value}: {after:?}");
                }
            }
        }
    }

    #[test]
    fn refresh_timing_follows_the_rule() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at =
            |ttl: u64| refresh_due(t0, Duration::from_secs(ttl)).duration_since(t0).unwrap().as_secs_f64();
        assert_eq!(at(3600), 2880.0, "80 % of an hour comes before 5 minutes to go");
        assert_eq!(at(1200), 900.0, "5 minutes before expiry comes before 80 % of 20 minutes");
        assert_eq!(at(2), 1.0, "short tokens refresh at half their life, never in a loop");
    }

    #[test]
    fn api_key_format() {
        assert!(is_api_key_format("atom_pub_00000000-0000-4000-8000-000000000002"));
        assert!(!is_api_key_format("atom_pub_00000000-0000-4000-8000-00000000000"));
        assert!(!is_api_key_format("sk_live_00000000-0000-4000-8000-000000000002"));
        assert!(!is_api_key_format("atom_pub_00000000-0000-4000-8000-000000000002 "));
    }
}
