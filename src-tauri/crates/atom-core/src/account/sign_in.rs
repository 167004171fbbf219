//! Signing an account in and out: silently from the keystore at start-up (or when it answers late,
//! unlocked), with the browser (PKCE, the callback checked before any token request), with an API
//! key, and out again (forgotten here at once, then revoked at the server).

use std::sync::Arc;
use std::time::SystemTime;

use super::{distinct, is_api_key_format, Account, ApiKeyScope, Auth, AuthState, OAuth, Saved};
use crate::contract::{limits, paths};
use crate::error::{Error, Result};
use crate::http::Credential;
use crate::login::{CallbackError, PendingLogin, RedirectTarget};
use crate::models::Categories;
use crate::secret::Secret;
use crate::store::{accounts, SecretStore};

/// Start-up with several accounts: each signs in from its own keystore entry, all at once, so that
/// none waits for another's keystore read or token request; one whose refresh token died ends in
/// `NeedsReauth` without touching the others. The results are in the order of `accounts`.
pub async fn restore_all(accounts: &[Account]) -> Vec<Result<AuthState>> {
    let tasks: Vec<_> =
        accounts.iter().cloned().map(|a| tokio::spawn(async move { a.restore().await })).collect();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(match task.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Error::Network("the app is closing".into())),
        });
    }
    results
}

impl Account {
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
                        let _ = Account { inner }.restore_from(saved, Some(epoch)).await;
                    }
                });
                return Err(crate::store::StoreError::Timeout(self.inner.store.timeout()).into());
            }
        };
        self.restore_from(saved, None).await
    }

    /// Signs in from what the keystore held. With `if_still`, only if nothing happened since that epoch
    /// and no one is signed in (a late answer must not undo a sign-out or replace a newer sign-in).
    pub(super) async fn restore_from(&self, saved: Saved, if_still: Option<u64>) -> Result<AuthState> {
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
            plan: super::pacing::plan(SystemTime::now(), std::time::Duration::ZERO, Default::default(), true),
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
        let scopes: Vec<&str> = self.environment().scopes.iter().map(String::as_str).collect();
        let login = PendingLogin::new(self.environment(), target, &scopes);
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
    ///
    /// A sign-out (or Remove, or another sign-in) while the code is exchanged wins: the tokens are
    /// revoked, nothing is stored, and the sign-in ends as cancelled.
    pub async fn complete_login(&self, callback: &str) -> Result<AuthState> {
        let epoch = self.epoch();
        let (code, verifier, redirect_uri, nonce) = {
            let mut pending = self.inner.pending.lock();
            let login = pending.as_ref().ok_or(Error::Callback(CallbackError::NoPendingLogin))?;
            match login.validate(callback, SystemTime::now()) {
                Ok(code) => {
                    let login = pending.take().expect("checked above");
                    let nonce = login.nonce().map(str::to_string);
                    (code, login.verifier().clone(), login.redirect_uri().to_string(), nonce)
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
        let mut tokens = self.inner.tokens.exchange_code(&code, &verifier, &redirect_uri).await?;
        // Who signed in is known before the account says it is signed in (its watchers ask then).
        *self.inner.verified.lock() = None;
        if let Some(id_token) = tokens.id_token.take().filter(|_| nonce.is_some()) {
            self.read_id_token(&id_token, nonce.as_deref()).await;
        }
        // Signed in even when the server's first token is over before it can be used: the refresh token
        // is kept, and the refresher asks again as the pacer allows.
        let committed = self.commit_tokens(tokens, None, super::tokens::Grant::SignIn { epoch }).await;
        if matches!(committed, Err(Error::Overtaken)) {
            *self.inner.verified.lock() = None;
            return Err(Error::Overtaken);
        }
        self.start_refresher();
        committed?;
        Ok(self.current_state())
    }

    /// Keeps who a sign-in's ID token names, once it verifies against the server's published keys
    /// (`id_token.rs`); a token that does not verify names nobody, and the sign-in stands.
    async fn read_id_token(&self, id_token: &Secret, nonce: Option<&str>) {
        let env = self.environment();
        let verified = match super::id_token::fetch_keys(env).await {
            Ok(keys) => super::id_token::verify(env, id_token.expose(), nonce, &keys),
            Err(e) => Err(e),
        };
        match verified {
            Ok(who) => *self.inner.verified.lock() = Some(who),
            Err(e) => tracing::warn!("the sign-in's ID token names nobody: {e}"),
        }
    }

    /// Signs in with an API key. The format is checked before anything is sent; the key is then
    /// verified with one cheap request, and kept in the keystore.
    pub async fn sign_in_with_api_key(&self, key: &str, scope: ApiKeyScope) -> Result<AuthState> {
        let key = Secret::new(key.trim());
        if !is_api_key_format(key.expose()) {
            return Err(Error::InvalidApiKeyFormat);
        }
        let _: Categories = self
            .inner
            .catalogue
            .api()
            .get_from_server(paths::CATEGORIES, &[], &Credential::ApiKey(key.clone(), self.owner()))
            .await?;
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
        let state = self.publish();
        for rt in stale {
            let _ = self.inner.tokens.revoke(&rt, "refresh_token").await;
        }
        Ok(state)
    }

    /// Deletes the stored refresh token; returns every distinct refresh token of the account (memory's
    /// and the keystore's), to be revoked. Called with the commit lock held.
    pub(super) async fn forget_refresh_tokens(&self, in_memory: Option<Secret>) -> Vec<Secret> {
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
        *self.inner.verified.lock() = None;
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
        for (token, hint) in &to_revoke {
            if let Err(e) = self.inner.tokens.revoke(token, hint).await {
                outcome = outcome.and(Err(e));
            }
        }
        outcome
    }
}
