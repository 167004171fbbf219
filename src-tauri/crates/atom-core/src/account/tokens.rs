//! An account's tokens: storing a new pair (the refresh token first), the single-flight refresh, and
//! the background task that refreshes ahead of expiry and retries a keystore write that failed.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::SystemTime;

use super::{planned_refresh, Account, Auth, AuthState, Inner, OAuth};
use crate::contract::{limits, paths};
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;
use crate::store::accounts;
use crate::token::TokenSet;

impl Account {
    /// Stores the new refresh token first, then makes the new access token current.
    ///
    /// `started_in` is the epoch a refresh started in: if the session ended or was replaced since, the
    /// tokens are dropped and the new refresh token revoked, never stored. `None` starts a new session
    /// (a browser sign-in), which replaces whatever was signed in.
    pub(super) async fn commit_tokens(
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
            planned_refresh(tokens.received_at, tokens.expires_in, self.environment().pacing)
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
    pub(super) fn note_write(&self, result: std::result::Result<(), crate::store::StoreError>) -> bool {
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
    pub(super) async fn save_unsaved(&self) -> bool {
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
    pub(super) async fn access_token(&self, force: bool) -> Result<Secret> {
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
    pub(super) async fn token_instead_of(&self, refused: &Secret) -> Result<Secret> {
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
    pub(super) async fn refresh_now(&self) -> Result<Secret> {
        let ready = self.inner.last_refresh.lock().map(|at| at + self.environment().pacing.min_gap);
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

    pub(super) fn stop_refresher(&self) {
        if let Some(task) = self.inner.refresher.lock().take() {
            task.abort();
        }
    }

    /// The background refresh: wakes at the due time (checking the wall clock at least every 30 s,
    /// which also catches a wake from sleep) and refreshes; retries with backoff when offline.
    pub(super) fn start_refresher(&self) {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let task = tokio::spawn(async move {
            let mut backoff = limits::REFRESH_RETRY_MIN;
            loop {
                let Some(inner) = weak.upgrade() else { return };
                let session = Account { inner };
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
}
