//! An account: who the user is signed in as in one environment, and every marketplace call made on
//! their behalf, through the environment's [`Catalogue`] (which several accounts can share). This file
//! is the sign-in lifecycle; [`tokens`] the tokens and their refresh; [`calls`] the marketplace's reads
//! and writes. Its secrets are kept in the keystore under the environment's and the account's name
//! ([`store_namespace`]).
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

mod calls;
mod id_token;
mod identity;
pub mod pacing;
mod reads;
mod sign_in;
mod tokens;

pub use identity::Identity;
pub use sign_in::restore_all;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cache::Cache;
use crate::catalogue::Catalogue;
use crate::contract::paths;
use crate::env::Environment;
use crate::error::{Error, ErrorCode, ErrorInfo, Result};
use crate::http::Credential;
use crate::login::PendingLogin;
use crate::ratelimit::{Owner, RateLimitStatus};
use crate::secret::Secret;
use crate::store::{accounts, SecretStore, StoreHandle};
use crate::token::TokenClient;

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

/// Whether the keystore holds what the next start needs to sign an account in by itself
/// ([`Account::kept_sign_in`]). Only whether the entry is there: never its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeptSignIn {
    /// Not signed in: nothing to keep.
    NotSignedIn,
    /// A browser sign-in the server gave no refresh token: it ends with its access token.
    NothingToKeep,
    /// The keystore gave the entry back (its value dropped at once).
    Kept { entry: &'static str },
    /// The keystore answered without it: the next start will ask for a sign-in.
    Missing { entry: &'static str },
    /// The keystore could not be read.
    Unreadable(crate::store::StoreError),
}

/// An access token's times, in Unix seconds ([`Account::token_times`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenTimes {
    pub issued_at: u64,
    /// `None` without a refresh token: the sign-in ends with the token.
    pub refresh_at: Option<u64>,
    pub expires_at: u64,
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
    /// When `access` expires, is refreshed, and may be sent until (`pacing.rs`).
    plan: pacing::TokenPlan,
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
    catalogue: Catalogue,
    /// Its keystore entry, which no other account on the catalogue may open.
    _entry: crate::catalogue::EntryClaim,
    /// This account's number: its credential's quota, and the rate-limit figures it is shown.
    owner: Owner,
    tokens: TokenClient,
    store: StoreHandle,
    auth: Mutex<Auth>,
    pending: Mutex<Option<PendingLogin>>,
    /// Who the last browser sign-in's verified ID token named (`id_token.rs`), until a sign-out.
    verified: Mutex<Option<Identity>>,
    /// One refresh at a time.
    refresh_gate: tokio::sync::Mutex<()>,
    /// How many token requests the server may draw, whatever lifetimes it states (`pacing.rs`).
    pacer: Mutex<pacing::Pacer>,
    state: watch::Sender<AuthState>,
    refresher: Mutex<Option<JoinHandle<()>>>,
    generation: AtomicU64,
    /// Which sign-in the in-memory credentials belong to (see the module's docs). Shared with the
    /// keystore's queue, which drops a write whose sign-in has ended before its turn came.
    epoch: Arc<AtomicU64>,
    /// Held while the keystore and the in-memory credentials change together, so that a sign-out and
    /// a refresh that lands at the same moment cannot interleave.
    commit: tokio::sync::Mutex<()>,
    /// Wakes the background task early (a keystore write failed and is to be retried soon).
    wake: Arc<tokio::sync::Notify>,
    /// Why the last sign-in ended at the server, until a new one starts: a write is told that, not
    /// just "not signed in".
    ended: Mutex<Option<Error>>,
    /// The last keystore write's failure, until a write succeeds.
    keystore_error: Mutex<Option<crate::store::StoreError>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.refresher.lock().take() {
            task.abort();
        }
    }
}

/// Which account of an environment: its first (the one every earlier version signed in), or another,
/// by a name the app gives it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(Option<String>);

impl AccountId {
    /// The environment's first account: its secrets stay where earlier versions kept them.
    pub const FIRST: AccountId = AccountId(None);

    /// Another account, named `name` (letters, digits, `-` and `_`; anything else becomes `_`).
    pub fn named(name: &str) -> AccountId {
        let clean = name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_".contains(c) { c } else { '_' });
        AccountId(Some(clean.collect()))
    }
}

/// The keystore namespace of `account` in `env`: the environment's own for its first account,
/// `<environment>/account/<name>` for the others, so that no account reads another's secrets.
pub fn store_namespace(env: &Environment, account: &AccountId) -> String {
    account_namespace(&env.server_key(), account)
}

/// As [`store_namespace`], from the server's key alone (an account whose environment cannot be
/// opened can still have its entries found and deleted).
pub fn account_namespace(server: &crate::ServerKey, account: &AccountId) -> String {
    match &account.0 {
        None => server.as_str().to_string(),
        Some(name) => format!("{server}/account/{name}"),
    }
}

/// A signed-in (or anonymous) user of one environment. Cheap to clone.
#[derive(Clone)]
pub struct Account {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("environment", &self.environment().name)
            .field("state", &*self.inner.state.borrow())
            .finish_non_exhaustive()
    }
}

impl Account {
    /// The first account of `env`, on a catalogue of its own kept in memory (tests and tools).
    pub fn new(env: Environment, store: Arc<dyn SecretStore>) -> Result<Account> {
        let store = StoreHandle::new(store, store_namespace(&env, &AccountId::FIRST));
        Account::with_store(env, store)
    }

    /// An account of `env` whose secrets go to `store`, on a catalogue of its own kept in memory.
    pub fn with_store(env: Environment, store: StoreHandle) -> Result<Account> {
        Account::on(Catalogue::new(env, Cache::in_memory())?, store)
    }

    /// An account on `catalogue`, its secrets in `store` (a handle on the namespace
    /// [`store_namespace`] gives it). Refused (`account_in_use`) while another account on the
    /// catalogue has that keystore entry open.
    pub fn on(catalogue: Catalogue, store: StoreHandle) -> Result<Account> {
        let entry = catalogue.claim(store.namespace())?;
        Ok(Account {
            inner: Arc::new(Inner {
                _entry: entry,
                tokens: TokenClient::new(catalogue.environment())?,
                catalogue,
                owner: Owner::new(),
                store,
                auth: Mutex::new(Auth::None),
                pending: Mutex::new(None),
                verified: Mutex::new(None),
                refresh_gate: tokio::sync::Mutex::new(()),
                state: watch::channel(AuthState::SignedOut).0,
                refresher: Mutex::new(None),
                pacer: Mutex::new(pacing::Pacer::new(std::time::Instant::now())),
                generation: AtomicU64::new(0),
                epoch: Arc::new(AtomicU64::new(0)),
                commit: tokio::sync::Mutex::new(()),
                wake: Arc::new(tokio::sync::Notify::new()),
                ended: Mutex::new(None),
                keystore_error: Mutex::new(None),
            }),
        })
    }

    /// The marketplace this account calls.
    pub fn catalogue(&self) -> &Catalogue {
        &self.inner.catalogue
    }

    pub fn environment(&self) -> &Environment {
        self.inner.catalogue.environment()
    }

    /// The rate-limit figures of this account's credential (the last reply to it), and any wait of
    /// its requests: two accounts have two quotas.
    pub fn rate_limits(&self) -> watch::Receiver<RateLimitStatus> {
        self.inner.catalogue.api().rate_limits(self.inner.owner)
    }

    pub(crate) fn owner(&self) -> Owner {
        self.inner.owner
    }

    pub fn state(&self) -> watch::Receiver<AuthState> {
        self.inner.state.subscribe()
    }

    pub fn current_state(&self) -> AuthState {
        self.inner.state.borrow().clone()
    }

    /// The browser sign-in's access token: when it was asked for, when its refresh is planned, and when
    /// it expires, in Unix seconds (the sign-in doctor shows them); `None` without one.
    pub fn token_times(&self) -> Option<TokenTimes> {
        match &*self.inner.auth.lock() {
            Auth::OAuth(o) if o.access.is_some() => Some(TokenTimes {
                issued_at: unix(o.plan.issued_at),
                refresh_at: o.refresh.as_ref().map(|_| unix(o.plan.refresh_at)),
                expires_at: unix(o.plan.expires_at),
            }),
            _ => None,
        }
    }

    /// Reads this account's sign-in back from the keystore as the next start would (the refresh token,
    /// or the API key), and says only whether it is there: the sign-in doctor's "signed out after every
    /// restart" check.
    pub async fn kept_sign_in(&self) -> KeptSignIn {
        let entry = match &*self.inner.auth.lock() {
            Auth::None => return KeptSignIn::NotSignedIn,
            Auth::OAuth(o) if o.refresh.is_none() => return KeptSignIn::NothingToKeep,
            Auth::OAuth(_) => accounts::REFRESH_TOKEN,
            Auth::ApiKey { .. } => accounts::API_KEY,
        };
        match self.inner.store.get(entry).await {
            Ok(Some(_)) => KeptSignIn::Kept { entry },
            Ok(None) => KeptSignIn::Missing { entry },
            Err(e) => KeptSignIn::Unreadable(e),
        }
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
                expires_at: o.access.as_ref().map(|_| unix(o.plan.expires_at)),
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
        *self.inner.ended.lock() = Some(error.clone());
        Error::NeedsReauth(Box::new(error.clone()))
    }

    /// The catalogue is public: until the first access token of a browser sign-in arrives (the silent
    /// sign-in at start-up is refreshing it), reads go out anonymously instead of waiting for it, so
    /// that the first page does not wait for the keystore or the token endpoint.
    async fn read_credential(&self) -> Result<Credential> {
        if matches!(&*self.inner.auth.lock(), Auth::OAuth(o) if o.access.is_none()) {
            return Ok(Credential::Anonymous(self.owner()));
        }
        self.credential().await
    }

    async fn credential(&self) -> Result<Credential> {
        let api_key = match &*self.inner.auth.lock() {
            Auth::None => return Ok(Credential::Anonymous(self.owner())),
            Auth::ApiKey { key, .. } => Some(key.clone()),
            Auth::OAuth(_) => None,
        };
        match api_key {
            Some(key) => Ok(Credential::ApiKey(key, self.owner())),
            None => Ok(Credential::Bearer(self.access_token(false).await?, self.owner())),
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
        if write && matches!(credential, Credential::Anonymous(_)) {
            return Err(match self.inner.ended.lock().clone() {
                Some(cause) => Error::NeedsReauth(Box::new(cause)),
                None => Error::NotSignedIn,
            });
        }
        let result = op(credential.clone()).await;
        match (&credential, result) {
            (Credential::Bearer(refused, _), Err(e))
                if matches!(e.code(), ErrorCode::TokenExpired | ErrorCode::TokenInvalid) =>
            {
                let fresh = self.token_instead_of(refused).await?;
                let replay = op(Credential::Bearer(fresh.clone(), self.owner())).await;
                self.note_use(&fresh, &replay, true);
                replay
            }
            (Credential::Bearer(token, _), result) => {
                self.note_use(token, &result, false);
                result
            }
            (Credential::ApiKey(..), Err(e)) if write && e.code() == ErrorCode::InsufficientScope => {
                self.correct_key_scope().await;
                Err(e)
            }
            (_, result) => result,
        }
    }

    /// Tells the pacer what the marketplace made of `token`: a usable current token it accepted ends a
    /// run of wasted grants; a token just refreshed that it refused (`after_refresh`) adds to one.
    fn note_use<T>(&self, token: &Secret, result: &Result<T>, after_refresh: bool) {
        let refused = match result {
            Ok(_) => false,
            Err(e) if matches!(e.code(), ErrorCode::TokenExpired | ErrorCode::TokenInvalid) => true,
            Err(Error::Api { status, .. }) if *status != 401 => false,
            Err(_) => return,
        };
        let usable = match &*self.inner.auth.lock() {
            Auth::OAuth(o) if o.access.as_ref() == Some(token) => o.plan.usable(),
            _ => return,
        };
        let mut pacer = self.inner.pacer.lock();
        match (refused, after_refresh) {
            (true, true) => pacer.refused(),
            (false, _) if usable => pacer.used(),
            _ => {}
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
    use std::time::Duration;

    #[test]
    fn the_first_account_keeps_the_environments_place_in_the_keystore_and_others_their_own() {
        let env = Environment::production();
        assert_eq!(store_namespace(&env, &AccountId::FIRST), "production");
        assert_eq!(store_namespace(&env, &AccountId::named("work")), "production/account/work");
        assert_eq!(store_namespace(&env, &AccountId::named("../a b")), "production/account/___a_b");
    }

    mod lifetimes {
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
            /// later than the expiry (before it for a usable token) and no later than a year.
            #[test]
            fn any_stated_lifetime_plans_a_refresh_no_later_than_expiry(value in expires_in()) {
                let body = format!(r#"{{"access_token":"a","token_type":"Bearer","expires_in":{value}}}"#);
                if let Ok(tokens) = crate::token::parse_token_set(body.as_bytes()) {
                    let at = UNIX_EPOCH + Duration::from_secs(1_000_000);
                    let plan = pacing::plan(at, tokens.expires_in, Duration::from_millis(20), true);
                    prop_assert!(plan.refresh_at <= plan.expires_at, "{value}");
                    prop_assert!(plan.send_until <= plan.expires_at, "{value}");
                    if plan.usable() {
                        prop_assert!(plan.refresh_at < plan.expires_at, "{value}");
                    }
                    let after = plan.refresh_at.duration_since(at).unwrap();
                    prop_assert!(after <= Duration::from_secs(366 * 86_400), "{value}: {after:?}");
                }
            }
        }
    }

    #[test]
    fn api_key_format() {
        assert!(is_api_key_format("atom_pub_00000000-0000-4000-8000-000000000002"));
        assert!(!is_api_key_format("atom_pub_00000000-0000-4000-8000-00000000000"));
        assert!(!is_api_key_format("sk_live_00000000-0000-4000-8000-000000000002"));
        assert!(!is_api_key_format("atom_pub_00000000-0000-4000-8000-000000000002 "));
    }
}
