//! The marketplace HTTP client: credentials on the wire, limits, retries, the catalogue cache
//! ([`crate::cache`]) with revalidation, connectivity, and error parsing. It knows nothing of sign-in;
//! the account hands it a [`Credential`] per call.

mod client;
mod credential;
pub mod download;
pub mod reply;
mod topic;
mod transport;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::watch;
use url::Url;

use crate::cache::{Cache, Hit};
use crate::contract::limits;
use crate::env::Environment;
use crate::error::{Error, Result};
use crate::models::SkillPage;
use crate::ratelimit::{unix_now, CredentialKind, Limiter, Owner, RateLimitStatus};
pub use client::{
    client_built, configure_for_downloads, prewarm, stays_secure, use_desktop_proxy, user_agent, ProxyLookup,
    PROXY_VARIABLES,
};
pub(crate) use client::{client_for, desktop_proxy, inspecting_client};
pub use credential::Credential;
use reply::{parse_api_error, with_bearer_challenge};
pub use topic::Topic;

/// Whether a GET's reply goes to the catalogue cache.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Public data: kept, for painting at once and browsing offline.
    Cached,
    /// An account's own: never written anywhere.
    Never,
}

/// Reads a reply body, refusing one larger than the cap.
pub(crate) async fn read_body(mut resp: reqwest::Response) -> Result<Vec<u8>> {
    if resp.content_length().is_some_and(|n| n > limits::MAX_BODY_BYTES as u64) {
        return Err(Error::BadResponse("the reply is too large".into()));
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(Error::from_reqwest)? {
        if buf.len() + chunk.len() > limits::MAX_BODY_BYTES {
            return Err(Error::BadResponse("the reply is too large".into()));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Every marketplace reply is a JSON object; serde alone would also read a struct from an array.
fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let bad = || Error::BadResponse("the reply is not the expected JSON".into());
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(bad());
    }
    serde_json::from_slice(body).map_err(|_| bad())
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// What a reply's `X-RateLimit-*` headers say. Servers are not trusted with the client's clock: every
/// wait they impose is clamped to [`limits::MAX_SERVER_WAIT`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerLimits {
    pub limit: Option<u32>,
    pub remaining: Option<u32>,
    /// Unix seconds, at most [`limits::MAX_SERVER_WAIT`] from `now`.
    pub reset_at: Option<u64>,
    /// Set when the quota is spent: how long to hold further requests back.
    pub block: Option<Duration>,
}

/// Reads the rate-limit headers of a reply received at `now` (Unix seconds). `X-RateLimit-Reset` is
/// Unix seconds as the contract says; a small value is read as seconds from now, as some servers send.
pub fn read_limit_headers(headers: &HeaderMap, now: u64) -> ServerLimits {
    let max_wait = limits::MAX_SERVER_WAIT.as_secs();
    let count = |name| header_u64(headers, name).map(|v| u32::try_from(v).unwrap_or(u32::MAX));
    let (limit, remaining) = (count("x-ratelimit-limit"), count("x-ratelimit-remaining"));
    let reset_at = header_u64(headers, "x-ratelimit-reset").map(|reset| {
        let at = if reset < limits::RESET_IS_UNIX_AFTER { now.saturating_add(reset) } else { reset };
        at.clamp(now, now.saturating_add(max_wait))
    });
    let block = match (remaining, reset_at) {
        (Some(0), Some(at)) => Some(Duration::from_secs(at - now)),
        _ => None,
    };
    ServerLimits { limit, remaining, reset_at, block }
}

/// A marketplace error reply, with what its `WWW-Authenticate` challenge adds (RFC 6750).
fn api_error(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    let challenge = headers.get(reqwest::header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok());
    with_bearer_challenge(parse_api_error(status, body, retry_after(headers)), challenge)
}

/// `Retry-After`, in seconds or as an HTTP date, clamped.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, std::time::SystemTime::now())
}

/// `Retry-After` at `now`: seconds, or an HTTP date (RFC 9110 §10.2.3: the wait until then; a date past
/// is no wait), clamped to [`limits::MAX_SERVER_WAIT`]; anything else is ignored.
pub fn retry_after_at(headers: &HeaderMap, now: std::time::SystemTime) -> Option<Duration> {
    if let Some(secs) = header_u64(headers, RETRY_AFTER.as_str()) {
        return Some(Duration::from_secs(secs).min(limits::MAX_SERVER_WAIT));
    }
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?;
    let at = httpdate::parse_http_date(text.trim()).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO).min(limits::MAX_SERVER_WAIT))
}

/// `base` doubled per attempt, times a random factor in [0.5, 1.5) so that clients that failed together
/// do not retry together. The randomness is the standard library's: each `RandomState` is seeded from
/// the OS's generator (the jitter needs no more than that, and no random-number crate).
fn jittered(base: Duration, attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let factor = 0.5 + (bits >> 11) as f64 / (1u64 << 53) as f64;
    base.mul_f64(f64::from(1u32 << attempt.min(6)) * factor)
}

/// How a read may use the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// The server's current reply (a fresh cache entry, a 304, or a new reply); a cached one only when
    /// the server cannot be reached.
    #[default]
    Live,
    /// A cached reply at once, however old, when there is one (the caller revalidates it with `Live`
    /// when it is `stale`); the server's otherwise. For painting before the network answers.
    CacheFirst,
}

/// A read's data, and where it came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Fetched<T> {
    pub data: T,
    /// Not confirmed by the server just now: saved `age_secs` ago.
    pub stale: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub age_secs: u64,
    /// Served from the cache because the server could not be reached.
    pub offline: bool,
    /// Worked out from the saved pages (a search or filter while offline), not a reply to this query.
    pub from_saved_pages: bool,
}

impl<T> Fetched<T> {
    pub fn live(data: T) -> Fetched<T> {
        Fetched { data, stale: false, age_secs: 0, offline: false, from_saved_pages: false }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fetched<U> {
        Fetched {
            data: f(self.data),
            stale: self.stale,
            age_secs: self.age_secs,
            offline: self.offline,
            from_saved_pages: self.from_saved_pages,
        }
    }
}

/// The marketplace API of one environment.
pub struct ApiClient {
    base: Url,
    limiter: Limiter,
    /// The figures each account is shown (its credential's, as the last reply to it left them).
    status: Mutex<HashMap<Owner, Arc<watch::Sender<RateLimitStatus>>>>,
    cache: Arc<Cache>,
    online: watch::Sender<bool>,
    /// One fetch per URL at a time: a caller that asks for a reply already on its way waits for it
    /// (the start-up prefetch and the window's first request, say) instead of sending it again.
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A caller's turn to fetch one URL; the last one out removes the URL's entry.
struct Turn<'a> {
    map: &'a Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    key: String,
    gate: Arc<tokio::sync::Mutex<()>>,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut map = self.map.lock();
        // The map's handle and this one: nobody else is waiting.
        if Arc::strong_count(&self.gate) == 2 {
            map.remove(&self.key);
        }
    }
}

impl ApiClient {
    pub fn new(env: &Environment, cache: Cache) -> Result<ApiClient> {
        Ok(ApiClient {
            base: env.marketplace_base(),
            limiter: Limiter::new(env.quotas),
            status: Mutex::default(),
            cache: Arc::new(cache),
            online: watch::channel(true).0,
            in_flight: Mutex::new(HashMap::new()),
        })
    }

    async fn turn(&self, key: &str) -> Turn<'_> {
        let gate = self.in_flight.lock().entry(key.to_string()).or_default().clone();
        let guard = gate.clone().lock_owned().await;
        Turn { map: &self.in_flight, key: key.to_string(), gate, _guard: guard }
    }

    /// Runs a cache call that may read or write its folder on the runtime's blocking pool, not on the
    /// thread that drives the requests (a slow disk must not hold up the others). `None` only when the
    /// runtime is shutting down.
    async fn on_disk<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Cache, &str) -> T + Send + 'static,
        key: &str,
    ) -> Option<T> {
        if !self.cache.has_folder() {
            return Some(call(&self.cache, key));
        }
        let (cache, key) = (self.cache.clone(), key.to_string());
        match tokio::task::spawn_blocking(move || call(&cache, &key)).await {
            Ok(value) => Some(value),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => None,
        }
    }

    /// The cached reply for `key`: from memory on this thread, else from the folder off it.
    async fn lookup(&self, key: &str) -> Option<Hit> {
        match self.cache.lookup_in_memory(key) {
            Some(hit) => Some(hit),
            None => self.on_disk(|cache, key| cache.lookup(key), key).await.flatten(),
        }
    }

    /// What the cache holds for a GET, without the network (nor the HTTP client): the reply as
    /// [`Freshness::CacheFirst`] would give it, or `None`. For painting before anything else is ready.
    pub fn saved<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Option<Fetched<T>> {
        let key = self.cache_key(&self.url(path, query).ok()?);
        let hit = self.cache.lookup(&key)?;
        self.fetched_from(&key, &hit).ok()
    }

    /// A cached reply as a read's result (an unreadable one is dropped from the cache).
    fn fetched_from<T: DeserializeOwned>(&self, key: &str, hit: &Hit) -> Result<Fetched<T>> {
        match parse_json(hit.entry.body.as_bytes()) {
            Ok(data) => {
                let stale = !hit.fresh;
                let offline = stale && !self.is_online();
                let age_secs = if stale { hit.entry.age_secs() } else { 0 };
                Ok(Fetched { data, stale, offline, age_secs, from_saved_pages: false })
            }
            Err(e) => {
                self.cache.remove(key);
                Err(e)
            }
        }
    }

    /// The figures `owner`'s requests were last answered with, and any wait of theirs.
    pub fn rate_limits(&self, owner: Owner) -> watch::Receiver<RateLimitStatus> {
        self.status_of(owner).subscribe()
    }

    fn status_of(&self, owner: Owner) -> Arc<watch::Sender<RateLimitStatus>> {
        self.status
            .lock()
            .entry(owner)
            .or_insert_with(|| Arc::new(watch::channel(Default::default()).0))
            .clone()
    }

    /// Whether the server could be reached at the last attempt.
    pub fn connectivity(&self) -> watch::Receiver<bool> {
        self.online.subscribe()
    }

    pub fn is_online(&self) -> bool {
        *self.online.borrow()
    }

    fn set_online(&self, online: bool) {
        self.online.send_if_modified(|now| std::mem::replace(now, online) != online);
    }

    /// A reply's key in the cache: its URL relative to the API's base (the cache belongs to one
    /// environment; the embedded sandbox's port changes from run to run).
    fn cache_key(&self, url: &Url) -> String {
        url.as_str().strip_prefix(self.base.as_str()).unwrap_or(url.as_str()).to_string()
    }

    /// The cached replies a write changed must be revalidated before they are served as current; the
    /// others stay as they were (another skill's page, the categories after a rating). A skill is
    /// cached under the id or the slug it was asked by, and written to by either: both are found from
    /// the cached details in memory.
    pub fn invalidate(&self, changed: &[Topic]) {
        let asked: Vec<&str> = changed.iter().filter_map(Topic::skill).collect();
        let mut names: Vec<String> = asked.iter().map(|s| s.to_string()).collect();
        if !asked.is_empty() {
            self.cache.each_in_memory(|key, body| {
                if topic::detail_name(key).is_none() {
                    return;
                }
                if let Ok(d) = serde_json::from_str::<crate::models::SkillDetail>(body) {
                    if asked.iter().any(|a| *a == d.skill.id || *a == d.skill.slug) {
                        names.extend([d.skill.id, d.skill.slug].into_iter().filter(|n| !n.is_empty()));
                    }
                }
            });
        }
        self.cache.invalidate_where(|key| changed.iter().any(|topic| topic.covers(key, &names)));
    }

    /// The cached list pages (`GET /skills`), newest first, for searching while offline.
    pub fn cached_skill_pages(&self) -> Vec<(SkillPage, u64)> {
        let Ok(list) = self.url(crate::contract::paths::SKILLS, &[]) else { return Vec::new() };
        let list = self.cache_key(&list);
        self.cache
            .entries_under(&list)
            .into_iter()
            // The list itself, with or without a query; not `/skills/{id}`.
            .filter(|e| e.url.len() == list.len() || e.url[list.len()..].starts_with('?'))
            .filter_map(|e| Some((serde_json::from_str::<SkillPage>(&e.body).ok()?, e.age_secs())))
            .collect()
    }

    /// One request to the server, past the cache: whether it answers at all. Used to notice that the
    /// network is back.
    pub async fn probe(&self) -> bool {
        let Ok(url) = self.url(crate::contract::paths::CATEGORIES, &[]) else { return false };
        // A probe never waits for the rate limiter: with no request left, it tries again later.
        if self.limiter.acquire(CredentialKind::Anonymous, Duration::ZERO, |_| {}).await.is_err() {
            return false;
        }
        self.send_once(Method::GET, &url, &Credential::Anonymous(Owner::NOBODY), None, None).await.is_ok()
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url> {
        let mut url = self.base.join(path).map_err(|_| Error::Config(format!("bad path {path}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    fn set_waiting(&self, owner: Owner, wait: Option<Duration>) {
        self.status_of(owner).send_modify(|s| s.waiting_secs = wait.map(|w| w.as_secs().max(1)));
    }

    /// Records the server's figures; a spent quota holds further requests back until its reset.
    fn observe(&self, credential: &Credential, headers: &HeaderMap) {
        let ServerLimits { limit, remaining, reset_at, block } = read_limit_headers(headers, unix_now());
        if let Some(wait) = block {
            self.limiter.block_for(credential.quota(), wait);
        }
        if limit.is_some() || remaining.is_some() {
            self.status_of(credential.owner()).send_replace(RateLimitStatus {
                credential: Some(credential.kind()),
                limit,
                remaining,
                reset_at,
                waiting_secs: None,
            });
        }
    }

    async fn send_once(
        &self,
        method: Method,
        url: &Url,
        credential: &Credential,
        body: Option<&serde_json::Value>,
        etag: Option<&str>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>)> {
        let mut req = credential.apply(client_for(url).await?.request(method, url.clone()));
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(tag) = etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, tag);
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => {
                // Never connected: no server counted it, so neither does the limiter (every request
                // here took a slot first).
                if e.is_connect() {
                    self.limiter.refund(credential.quota());
                }
                let error = Error::from_reqwest(e);
                if matches!(error, Error::Network(_)) {
                    self.set_online(false);
                }
                return Err(error);
            }
        };
        // Any reply at all, even an error, means the server can be reached.
        self.set_online(true);
        let status = resp.status();
        let headers = resp.headers().clone();
        self.observe(credential, &headers);
        let body = read_body(resp).await?;
        Ok((status, headers, body))
    }

    /// GET through the cache (see [`Freshness`]), retried on transient failures, waiting out a 429
    /// within bounds; served from the cache when the server cannot be reached.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        credential: &Credential,
        freshness: Freshness,
    ) -> Result<Fetched<T>> {
        let url = self.url(path, query)?;
        let key = self.cache_key(&url);
        let usable = |hit: &Hit| hit.fresh || freshness == Freshness::CacheFirst || !self.is_online();
        if let Some(hit) = self.lookup(&key).await.filter(usable) {
            if let Ok(fetched) = self.fetched_from(&key, &hit) {
                return Ok(fetched);
            }
        }
        let _turn = self.turn(&key).await;
        // The caller before this one may have just fetched it.
        let hit = self.lookup(&key).await;
        if let Some(hit) = hit.as_ref().filter(|h| h.fresh) {
            if let Ok(fetched) = self.fetched_from(&key, hit) {
                return Ok(fetched);
            }
        }
        match self
            .fetch(&url, credential, hit.as_ref().and_then(|h| h.entry.etag.as_deref()), Keep::Cached)
            .await
        {
            Ok(Some(data)) => Ok(Fetched::live(data)),
            // 304: the cached reply is current.
            Ok(None) => {
                let hit = hit.ok_or_else(|| Error::BadResponse("304 for a reply never received".into()))?;
                self.on_disk(|cache, key| cache.confirm(key), &key).await;
                parse_json(hit.entry.body.as_bytes()).map(Fetched::live)
            }
            Err(Error::Network(reason)) => {
                match hit.map(|h| parse_json(h.entry.body.as_bytes()).map(|d| (d, h))) {
                    Some(Ok((data, hit))) => Ok(Fetched {
                        data,
                        stale: true,
                        age_secs: hit.entry.age_secs(),
                        offline: true,
                        from_saved_pages: false,
                    }),
                    _ => Err(Error::Network(reason)),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The server's own reply, never the cache's (to check a credential, for example).
    pub async fn get_from_server<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        credential: &Credential,
    ) -> Result<T> {
        self.fetch_untagged(path, query, credential, Keep::Cached).await
    }

    /// GET from the server, never cached: an account's own data (who it is), which the shared cache
    /// (public replies, kept on disk after a sign-out) must not hold.
    pub async fn get_private<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        credential: &Credential,
    ) -> Result<T> {
        self.fetch_untagged(path, query, credential, Keep::Never).await
    }

    /// The server's reply to a GET that names no version (so never a 304).
    async fn fetch_untagged<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        credential: &Credential,
        keep: Keep,
    ) -> Result<T> {
        let url = self.url(path, query)?;
        self.fetch(&url, credential, None, keep)
            .await?
            .ok_or_else(|| Error::BadResponse("304 to a request that named no version".into()))
    }

    /// The server's reply to a GET (`None`: 304, the tagged reply is current), cached on success
    /// unless `keep` says never.
    async fn fetch<T: DeserializeOwned>(
        &self,
        url: &Url,
        credential: &Credential,
        etag: Option<&str>,
        keep: Keep,
    ) -> Result<Option<T>> {
        let (quota, owner) = (credential.quota(), credential.owner());
        let started = Instant::now();
        let mut transient = 0;
        // Known to be offline: one attempt (the catalogue's probe notices when the network is back).
        let attempts = if self.is_online() { limits::GET_ATTEMPTS } else { 1 };
        loop {
            let budget = limits::MAX_RATE_LIMIT_WAIT.saturating_sub(started.elapsed());
            self.limiter
                .acquire(quota, budget, |w| self.set_waiting(owner, w))
                .await
                .map_err(|wait| Error::RateLimited { retry_after: wait })?;
            let outcome = self.send_once(Method::GET, url, credential, None, etag).await;
            let retryable = match &outcome {
                Err(Error::Network(_) | Error::Timeout) => true,
                Ok((status, _, _)) => matches!(status.as_u16(), 502..=504),
                Err(_) => false,
            };
            if retryable && transient + 1 < attempts {
                tokio::time::sleep(jittered(limits::RETRY_BACKOFF, transient)).await;
                transient += 1;
                continue;
            }
            let (status, headers, body) = outcome?;
            if status == StatusCode::NOT_MODIFIED && etag.is_some() {
                return Ok(None);
            }
            if status.is_success() {
                let value = parse_json(&body)?;
                if keep == Keep::Cached {
                    let tag =
                        headers.get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_string);
                    let key = self.cache_key(url);
                    self.on_disk(move |cache, key| cache.store(key, tag, &body), &key).await;
                }
                return Ok(Some(value));
            }
            let error = api_error(status.as_u16(), &headers, &body);
            if let Error::RateLimited { retry_after } = error {
                // A GET is safe to repeat: wait for the window, within the budget.
                if started.elapsed() + retry_after <= limits::MAX_RATE_LIMIT_WAIT {
                    self.limiter.block_for(quota, retry_after);
                    continue;
                }
            }
            return Err(error);
        }
    }

    /// POST, sent at most once: a write is never repeated automatically. On success the cached replies
    /// of what it `changes` are stale (only those).
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        credential: &Credential,
        changes: &[Topic],
    ) -> Result<T> {
        let url = self.url(path, &[])?;
        let body = serde_json::to_value(body)
            .map_err(|e| Error::Config(format!("cannot encode the request: {e}")))?;
        self.limiter
            .acquire(credential.quota(), limits::MAX_WRITE_WAIT, |w| self.set_waiting(credential.owner(), w))
            .await
            .map_err(|wait| Error::RateLimited { retry_after: wait })?;
        let (status, headers, reply) =
            self.send_once(Method::POST, &url, credential, Some(&body), None).await?;
        if status.is_success() {
            self.invalidate(changes);
            return parse_json(&reply);
        }
        let error = api_error(status.as_u16(), &headers, &reply);
        if let Error::RateLimited { retry_after } = &error {
            self.limiter.block_for(credential.quota(), *retry_after);
        }
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_spreads_retries_within_half_and_one_and_a_half_times_the_backoff() {
        let base = Duration::from_millis(100);
        let waits: Vec<Duration> = (0..200).map(|_| jittered(base, 2)).collect();
        assert!(waits.iter().all(|w| *w >= base * 2 && *w < base * 6), "{waits:?}");
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 150, "only {} distinct waits", distinct.len());
        let (low, high): (Vec<&Duration>, Vec<&Duration>) = waits.iter().partition(|w| **w < base * 4);
        assert!(low.len() > 40 && high.len() > 40, "{} below the middle, {} above", low.len(), high.len());
    }
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(*name, v);
            }
        }
        h
    }

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn this_computer_is_known_in_every_spelling() {
        for own in [
            "http://127.0.0.1:8080/",
            "http://127.8.9.10/",
            "https://localhost/",
            "http://LOCALHOST.:3000/x",
            "http://[::1]:9/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(crate::env::is_loopback(&Url::parse(own).unwrap()), "{own}");
        }
        for other in [
            "https://atomagentos.com/",
            "http://10.0.0.1/",
            "http://128.0.0.1/",
            "http://localhost.example.com/",
            "http://[::2]/",
            "http://0.0.0.0/",
        ] {
            assert!(!crate::env::is_loopback(&Url::parse(other).unwrap()), "{other}");
        }
    }

    #[test]
    fn reads_the_contracts_headers() {
        let h = headers(&[
            ("x-ratelimit-limit", "600"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &(NOW + 42).to_string()),
        ]);
        let l = read_limit_headers(&h, NOW);
        assert_eq!((l.limit, l.remaining, l.reset_at), (Some(600), Some(0), Some(NOW + 42)));
        assert_eq!(l.block, Some(Duration::from_secs(42)));
        let l = read_limit_headers(&headers(&[("x-ratelimit-remaining", "5")]), NOW);
        assert_eq!(l.block, None, "a quota with requests left blocks nothing");
    }

    /// `Retry-After` as an HTTP date (RFC 9110 §10.2.3): the wait until then, clamped; a date past is no
    /// wait; a value that is neither is ignored.
    #[test]
    fn retry_after_as_an_http_date_is_honoured() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        let h = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT")]);
        assert_eq!(retry_after_at(&h, now), Some(Duration::from_secs(30)));
        let h = headers(&[("retry-after", "Wed, 21 Oct 2015 07:27:00 GMT")]);
        assert_eq!(retry_after_at(&h, now), Some(Duration::ZERO));
        let h = headers(&[("retry-after", "Fri, 01 Jan 2100 00:00:00 GMT")]);
        assert_eq!(retry_after_at(&h, now), Some(limits::MAX_SERVER_WAIT));
        let h = headers(&[("retry-after", "soon")]);
        assert_eq!(retry_after_at(&h, now), None);
        let h = headers(&[("retry-after", "12")]);
        assert_eq!(retry_after_at(&h, now), Some(Duration::from_secs(12)));
    }

    #[test]
    fn a_reset_in_seconds_from_now_is_understood() {
        let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "30")]);
        assert_eq!(read_limit_headers(&h, NOW).block, Some(Duration::from_secs(30)));
    }

    #[test]
    fn huge_or_past_values_are_clamped() {
        let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &u64::MAX.to_string())]);
        let l = read_limit_headers(&h, NOW);
        assert_eq!(l.block, Some(limits::MAX_SERVER_WAIT));
        assert_eq!(l.reset_at, Some(NOW + limits::MAX_SERVER_WAIT.as_secs()));
        let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &(NOW - 100).to_string())]);
        assert_eq!(read_limit_headers(&h, NOW).block, Some(Duration::ZERO));
        let h = headers(&[("retry-after", "18446744073709551615")]);
        assert_eq!(retry_after(&h), Some(limits::MAX_SERVER_WAIT));
        let h = headers(&[("x-ratelimit-limit", "99999999999")]);
        assert_eq!(read_limit_headers(&h, NOW).limit, Some(u32::MAX));
    }

    fn header_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            (0u64..100_000).prop_map(|n| n.to_string()),
            Just("-1".to_string()),
            Just(" 12 ".to_string()),
            Just("Wed, 21 Oct 2015 07:28:00 GMT".to_string()),
            "[ -~]{0,30}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_rate_limit_headers_give_bounded_waits(
            limit in header_text(), remaining in header_text(), reset in header_text(), retry in header_text(),
            now in 0u64..u64::MAX / 2,
        ) {
            let h = headers(&[
                ("x-ratelimit-limit", &limit), ("x-ratelimit-remaining", &remaining),
                ("x-ratelimit-reset", &reset), ("retry-after", &retry),
            ]);
            let l = read_limit_headers(&h, now);
            if let Some(wait) = l.block {
                prop_assert!(wait <= limits::MAX_SERVER_WAIT);
            }
            if let Some(at) = l.reset_at {
                prop_assert!(at >= now && at - now <= limits::MAX_SERVER_WAIT.as_secs());
            }
            prop_assert!(retry_after(&h).is_none_or(|w| w <= limits::MAX_SERVER_WAIT));
            // Whatever the server says, the limiter takes it without overflowing.
            let limiter = Limiter::new(crate::ratelimit::Quotas::default());
            limiter.block_for(CredentialKind::OAuth, l.block.unwrap_or(Duration::MAX));
        }
    }
}
