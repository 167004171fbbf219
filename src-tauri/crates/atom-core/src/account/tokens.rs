//! An account's tokens: storing a new pair (the refresh token first), the single-flight refresh, and
//! the background task that refreshes ahead of expiry and retries a keystore write that failed.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Instant, SystemTime};

use super::pacing;
use super::{Account, Auth, AuthState, Inner, OAuth};
use crate::contract::{limits, paths};
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;
use crate::store::accounts;
use crate::token::TokenSet;

/// What brought the tokens, and the account's epoch when it was asked for.
pub(super) enum Grant {
    /// A refresh; `early`: asked before the token it replaces was due.
    Refresh { epoch: u64, early: bool },
    /// A browser sign-in's code exchange.
    SignIn { epoch: u64 },
}

impl Account {
    /// Stores the new refresh token first, then makes the new access token current, and tells the
    /// pacer of the grant.
    ///
    /// Whatever the grant, if the account's epoch moved since it was asked for (a sign-out, a Remove,
    /// an API-key sign-in, another sign-in), the tokens are dropped and revoked, never stored: the later
    /// action wins. A browser sign-in then starts a new session, replacing whatever was signed in.
    ///
    /// A token over before it could be sent (the server said it lives less than the grant took to
    /// land) is the `tokens_unusable` error, its refresh token kept all the same; a caller that asked
    /// for the refresh then takes the pacer's next turn, which says whether to wait for another grant
    /// or to tell the user.
    pub(super) async fn commit_tokens(
        &self,
        tokens: TokenSet,
        previous_refresh: Option<Secret>,
        grant: Grant,
    ) -> Result<Secret> {
        let commit = self.inner.commit.lock().await;
        let (asked_in, early) = match grant {
            Grant::Refresh { epoch, early } => (epoch, early),
            Grant::SignIn { epoch } => (epoch, false),
        };
        if asked_in != self.epoch() {
            drop(commit);
            tracing::info!("tokens landed after the session they were for had ended; dropping them");
            // The refresh token stands for the grant; without one the access token is all there is.
            let (stale, hint) = match &tokens.refresh_token {
                Some(rt) => (rt, "refresh_token"),
                None => (&tokens.access_token, "access_token"),
            };
            if let Err(e) = self.inner.tokens.revoke(stale, hint).await {
                tracing::warn!("could not revoke the dropped tokens: {e}");
            }
            return Err(match grant {
                Grant::SignIn { .. } => Error::Overtaken,
                Grant::Refresh { .. } => Error::NotSignedIn,
            });
        }
        let started_in = match grant {
            Grant::Refresh { epoch, .. } => Some(epoch),
            Grant::SignIn { .. } => None,
        };
        if started_in.is_none() {
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
        // What the grant took to land: its request, and the keystore's write of its refresh token.
        let landed = SystemTime::now();
        let took = landed.duration_since(tokens.sent_at).unwrap_or_default().max(tokens.round_trip);
        // Without a refresh token there is nothing to renew early with: the token is used to its end.
        let plan = pacing::plan(tokens.sent_at, tokens.expires_in, took, refresh.is_some());
        // Over before it could be sent; an unusable token's reason, else (a moment's lateness) a slow grant.
        let late = (landed >= plan.send_until)
            .then(|| plan.waste.unwrap_or(pacing::Waste::Slow { took, ttl: tokens.expires_in }));
        {
            let mut pacer = self.inner.pacer.lock();
            if started_in.is_none() {
                pacer.reset(Instant::now());
            }
            pacer.granted(Instant::now(), early, plan.waste.or(late));
        }
        let generation = self.inner.generation.fetch_add(1, Ordering::SeqCst) + 1;
        *self.inner.auth.lock() = Auth::OAuth(OAuth {
            access: Some(tokens.access_token.clone()),
            refresh,
            scopes,
            plan,
            persisted,
            generation,
        });
        drop(commit);
        if !persisted {
            self.inner.wake.notify_one();
        }
        self.publish();
        if let Some(why) = late {
            // Over before it could be sent: the refresh token is kept, the access token never used.
            return Err(Error::TokensUnusable(why.describe()));
        }
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

    /// The current access token, refreshed first if it is due (or if `force`). Single-flight: one
    /// refresh at a time, and a caller that finds one on its way uses the token it has while that may
    /// still be sent (`pacing.rs`), or waits for the new one. No token past its `send_until` is given.
    pub(super) async fn access_token(&self, force: bool) -> Result<Secret> {
        loop {
            let now = SystemTime::now();
            let (seen, held) = {
                let auth = self.inner.auth.lock();
                let Auth::OAuth(o) = &*auth else { return Err(Error::NotSignedIn) };
                if let (false, Some(access)) = (force, &o.access) {
                    if now < o.plan.refresh_at {
                        return Ok(access.clone());
                    }
                }
                (o.generation, o.access.clone().filter(|_| !force && now < o.plan.send_until))
            };
            let gate = match &held {
                Some(access) => match self.inner.refresh_gate.try_lock() {
                    Ok(gate) => gate,
                    // A refresh is on its way and this token is still alive: no need to wait for it.
                    Err(_) => return Ok(access.clone()),
                },
                None => self.inner.refresh_gate.lock().await,
            };
            if let Some(fresh) = self.refreshed_since(seen) {
                return Ok(fresh);
            }
            let early = self.is_early();
            let turn = self.inner.pacer.lock().turn(Instant::now(), early);
            match (turn.for_caller(), held) {
                (None, _) => match self.refresh_now(early).await {
                    // Over before it could be sent: the next turn says whether to wait or tell.
                    Err(Error::TokensUnusable(_)) => continue,
                    result => return result,
                },
                // Held back by the pacer: the token the caller has, while it may still be sent.
                (Some(_), Some(access)) => return Ok(access),
                (Some(Err(why)), None) => return Err(Error::TokensUnusable(why.describe())),
                (Some(Ok(at)), None) => {
                    drop(gate);
                    tracing::info!("the server's last token was refused; the next refresh waits a moment");
                    tokio::time::sleep_until(at.into()).await;
                }
            }
        }
    }

    /// The current access token if a refresh has happened since generation `seen`, while it may be sent.
    fn refreshed_since(&self, seen: u64) -> Option<Secret> {
        match &*self.inner.auth.lock() {
            Auth::OAuth(OAuth { access: Some(access), generation, plan, .. })
                if *generation != seen && SystemTime::now() < plan.send_until =>
            {
                Some(access.clone())
            }
            _ => None,
        }
    }

    /// Whether a refresh now would come before the current token is due (a 401, a forced refresh).
    fn is_early(&self) -> bool {
        matches!(&*self.inner.auth.lock(), Auth::OAuth(o) if o.access.is_some() && SystemTime::now() < o.plan.refresh_at)
    }

    /// A token to replace `refused`, which the server turned down: the current one if a refresh has
    /// brought it since `refused` was sent (a slow request can come back after the refresh that its
    /// 401 would start), else a new one. One refresh for any number of such calls.
    pub(super) async fn token_instead_of(&self, refused: &Secret) -> Result<Secret> {
        let newer = || match &*self.inner.auth.lock() {
            Auth::OAuth(OAuth { access: Some(access), plan, .. })
                if access != refused && SystemTime::now() < plan.send_until =>
            {
                Some(access.clone())
            }
            _ => None,
        };
        loop {
            if let Some(access) = newer() {
                return Ok(access);
            }
            let gate = self.inner.refresh_gate.lock().await;
            if let Some(access) = newer() {
                return Ok(access);
            }
            let early = self.is_early();
            let turn = self.inner.pacer.lock().turn(Instant::now(), early);
            match turn.for_caller() {
                None => match self.refresh_now(early).await {
                    Err(Error::TokensUnusable(_)) => continue,
                    result => return result,
                },
                Some(Err(why)) => return Err(Error::TokensUnusable(why.describe())),
                Some(Ok(at)) => {
                    drop(gate);
                    tokio::time::sleep_until(at.into()).await;
                }
            }
        }
    }

    /// Refreshes now, whatever the token's age: for a wake from sleep, or a user's "reconnect".
    pub async fn refresh(&self) -> Result<AuthState> {
        self.access_token(true).await?;
        Ok(self.current_state())
    }

    /// Runs one refresh. Called with the gate held, once the pacer has given its turn.
    pub(super) async fn refresh_now(&self, early: bool) -> Result<Secret> {
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
            Ok(tokens) => self.commit_tokens(tokens, Some(current), Grant::Refresh { epoch, early }).await,
            // The session ended while the refresh was out: its failure is no one's concern now.
            Err(_) if self.epoch() != epoch => Err(Error::NotSignedIn),
            Err(e) if matches!(e.code(), ErrorCode::InvalidGrant | ErrorCode::InvalidClient) => {
                // Re-read once: a token rotated elsewhere after our read is still good.
                if e.code() == ErrorCode::InvalidGrant && persisted {
                    if let Ok(Some(newer)) = self.inner.store.get(accounts::REFRESH_TOKEN).await {
                        if newer != current {
                            if let Ok(tokens) = self.inner.tokens.refresh(&newer).await {
                                return self
                                    .commit_tokens(tokens, Some(newer), Grant::Refresh { epoch, early })
                                    .await;
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
                let account = Account { inner };
                let (due, unsaved) = match &*account.inner.auth.lock() {
                    Auth::OAuth(o) if o.access.is_some() => (
                        o.plan.refresh_at,
                        !o.persisted && o.refresh.is_some() && !account.keystore_refused(),
                    ),
                    Auth::OAuth(_) => (SystemTime::now(), false),
                    _ => return,
                };
                // Not before the pacer allows (after wasted grants; a server whose tokens are unusable).
                let held_back = account
                    .inner
                    .pacer
                    .lock()
                    .ready_at()
                    .map(|at| SystemTime::now() + at.saturating_duration_since(Instant::now()));
                let due = held_back.map_or(due, |at| at.max(due));
                let unsaved = unsaved && !account.save_unsaved().await;
                let now = SystemTime::now();
                if now < due {
                    let check =
                        if unsaved { limits::STORE_RETRY_INTERVAL } else { limits::REFRESH_CHECK_INTERVAL };
                    let wait = due.duration_since(now).unwrap_or_default().min(check);
                    // Only the waker is held while asleep, so that a dropped account ends this task.
                    let wake = account.inner.wake.clone();
                    drop(account);
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = wake.notified() => {}
                    }
                    continue;
                }
                match account.access_token(false).await {
                    // A token over before it could be sent: the pacer says when to ask again.
                    Ok(_) | Err(Error::TokensUnusable(_)) => backoff = limits::REFRESH_RETRY_MIN,
                    Err(Error::NeedsReauth(_) | Error::NotSignedIn) => return,
                    Err(e) => {
                        tracing::info!("background refresh failed, retrying in {backoff:?}: {e}");
                        drop(account);
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
