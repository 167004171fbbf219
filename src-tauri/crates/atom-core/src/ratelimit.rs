//! Client-side rate limiting: stay under the guide's limits per credential, and show the server's
//! `X-RateLimit-*` figures to the user. The guide counts anonymous requests per client address (one
//! quota for every account of this computer), an API key's per key and an OAuth token's per grant: so
//! each account's credential has a quota of its own ([`QuotaKey`]).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde::Serialize;

use crate::contract::limits;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub per_minute: u32,
    pub per_day: u32,
}

/// The client-side rate limits, per credential kind; the guide's by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    pub anonymous: Quota,
    pub api_key: Quota,
    pub oauth: Quota,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            anonymous: Quota { per_minute: limits::ANON_PER_MINUTE, per_day: limits::ANON_PER_DAY },
            api_key: Quota { per_minute: limits::API_KEY_PER_MINUTE, per_day: limits::API_KEY_PER_DAY },
            oauth: Quota { per_minute: limits::OAUTH_PER_MINUTE, per_day: limits::OAUTH_PER_DAY },
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CredentialKind {
    Anonymous,
    ApiKey,
    OAuth,
}

/// Which account a request is made for, for its quota and its figures: a number the process gives each
/// account; [`Owner::NOBODY`] for requests made for none (a probe of the network).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Owner(u64);

impl Owner {
    pub const NOBODY: Owner = Owner(0);

    /// A number no other account of this process has.
    pub fn new() -> Owner {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Owner(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// Whose quota a request counts against: the client address's for anonymous requests (whoever makes
/// them), else its account's credential's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QuotaKey {
    kind: CredentialKind,
    owner: Owner,
}

impl QuotaKey {
    pub fn new(kind: CredentialKind, owner: Owner) -> QuotaKey {
        let owner = if kind == CredentialKind::Anonymous { Owner::NOBODY } else { owner };
        QuotaKey { kind, owner }
    }
}

impl From<CredentialKind> for QuotaKey {
    fn from(kind: CredentialKind) -> QuotaKey {
        QuotaKey::new(kind, Owner::NOBODY)
    }
}

/// What the UI shows: the server's figures from the last reply (all optional: servers may omit
/// them), and whether a request is waiting for the limit to reset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RateLimitStatus {
    pub credential: Option<CredentialKind>,
    pub limit: Option<u32>,
    pub remaining: Option<u32>,
    /// Unix seconds.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub reset_at: Option<u64>,
    /// Set while a request waits for the limit (after a 429 or on the local limiter).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub waiting_secs: Option<u64>,
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[derive(Default)]
struct Window {
    /// When the requests of the last minute went out.
    recent: VecDeque<Instant>,
    day: u64,
    day_count: u32,
    /// The server said the quota is spent until then.
    blocked_until: Option<Instant>,
}

/// A limiter per quota ([`QuotaKey`]): a sliding minute, a UTC-day count, and what the server told us.
pub struct Limiter {
    quotas: Quotas,
    windows: Mutex<HashMap<QuotaKey, Window>>,
}

impl Limiter {
    pub fn new(quotas: Quotas) -> Limiter {
        Limiter { quotas, windows: Mutex::default() }
    }

    fn quota(&self, kind: CredentialKind) -> Quota {
        match kind {
            CredentialKind::Anonymous => self.quotas.anonymous,
            CredentialKind::ApiKey => self.quotas.api_key,
            CredentialKind::OAuth => self.quotas.oauth,
        }
    }

    /// Takes a slot now, or says how long until one frees up.
    pub fn try_acquire(&self, key: impl Into<QuotaKey>, now: Instant, unix: u64) -> Result<(), Duration> {
        let key = key.into();
        let quota = self.quota(key.kind);
        let mut windows = self.windows.lock();
        let w = windows.entry(key).or_default();
        if let Some(until) = w.blocked_until {
            if until > now {
                return Err(until - now);
            }
            w.blocked_until = None;
        }
        while w.recent.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60)) {
            w.recent.pop_front();
        }
        let day = unix / 86_400;
        if w.day != day {
            w.day = day;
            w.day_count = 0;
        }
        if w.day_count >= quota.per_day {
            return Err(Duration::from_secs((day + 1) * 86_400 - unix));
        }
        if w.recent.len() >= quota.per_minute as usize {
            let oldest = *w.recent.front().expect("non-empty");
            return Err((oldest + Duration::from_secs(60))
                .saturating_duration_since(now)
                .max(Duration::from_millis(1)));
        }
        w.recent.push_back(now);
        w.day_count += 1;
        Ok(())
    }

    /// Gives back the latest slot taken for `key`: its request never reached a server (the connection
    /// failed), so no server counted it. Hours offline do not spend the day's quota.
    pub fn refund(&self, key: impl Into<QuotaKey>) {
        let mut windows = self.windows.lock();
        if let Some(w) = windows.get_mut(&key.into()) {
            w.recent.pop_back();
            w.day_count = w.day_count.saturating_sub(1);
        }
    }

    /// Waits for a slot, at most `max_wait`; past that, says how long it would have taken.
    pub async fn acquire(
        &self,
        key: impl Into<QuotaKey>,
        max_wait: Duration,
        on_wait: impl Fn(Option<Duration>),
    ) -> Result<(), Duration> {
        let (key, started) = (key.into(), Instant::now());
        loop {
            match self.try_acquire(key, Instant::now(), unix_now()) {
                Ok(()) => {
                    if started.elapsed() > Duration::from_millis(5) {
                        on_wait(None);
                    }
                    return Ok(());
                }
                Err(wait) if started.elapsed() + wait > max_wait => return Err(wait),
                Err(wait) => {
                    on_wait(Some(wait));
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// The server says nothing more until `duration` from now (a 429, or `Remaining: 0`), for at most
    /// [`limits::MAX_SERVER_WAIT`].
    pub fn block_for(&self, key: impl Into<QuotaKey>, duration: Duration) {
        let now = Instant::now();
        let Some(until) = now.checked_add(duration.min(limits::MAX_SERVER_WAIT)) else { return };
        let mut windows = self.windows.lock();
        let w = windows.entry(key.into()).or_default();
        if w.blocked_until.is_none_or(|b| b < until) {
            w.blocked_until = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: u32, per_day: u32) -> Limiter {
        let q = Quota { per_minute, per_day };
        Limiter::new(Quotas { anonymous: q, api_key: q, oauth: q })
    }

    #[test]
    fn sliding_minute_frees_the_oldest_slot_first() {
        let l = limiter(2, 100);
        let t0 = Instant::now();
        let unix = 1_000_000;
        assert!(l.try_acquire(CredentialKind::ApiKey, t0, unix).is_ok());
        assert!(l.try_acquire(CredentialKind::ApiKey, t0 + Duration::from_secs(10), unix).is_ok());
        let wait = l.try_acquire(CredentialKind::ApiKey, t0 + Duration::from_secs(20), unix).unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
        assert!(l.try_acquire(CredentialKind::ApiKey, t0 + Duration::from_secs(60), unix).is_ok());
        assert!(l.try_acquire(CredentialKind::OAuth, t0, unix).is_ok(), "kinds are separate");
    }

    #[test]
    fn each_accounts_credential_has_its_own_quota_and_anonymous_requests_share_one() {
        let l = limiter(1, 100);
        let (t0, unix) = (Instant::now(), 1_000_000);
        let (a, b) = (Owner::new(), Owner::new());
        assert!(l.try_acquire(QuotaKey::new(CredentialKind::OAuth, a), t0, unix).is_ok());
        assert!(l.try_acquire(QuotaKey::new(CredentialKind::OAuth, a), t0, unix).is_err());
        assert!(
            l.try_acquire(QuotaKey::new(CredentialKind::OAuth, b), t0, unix).is_ok(),
            "b's grant is apart"
        );
        assert!(
            l.try_acquire(QuotaKey::new(CredentialKind::ApiKey, a), t0, unix).is_ok(),
            "a's key is apart"
        );
        assert!(l.try_acquire(QuotaKey::new(CredentialKind::Anonymous, a), t0, unix).is_ok());
        assert!(
            l.try_acquire(QuotaKey::new(CredentialKind::Anonymous, b), t0, unix).is_err(),
            "one client address: one anonymous quota"
        );
    }

    #[test]
    fn a_refunded_slot_is_taken_again() {
        let l = limiter(2, 2);
        let (now, unix) = (Instant::now(), 1_000_000);
        l.try_acquire(CredentialKind::Anonymous, now, unix).unwrap();
        l.try_acquire(CredentialKind::Anonymous, now, unix).unwrap();
        assert!(l.try_acquire(CredentialKind::Anonymous, now, unix).is_err());
        l.refund(CredentialKind::Anonymous);
        l.try_acquire(CredentialKind::Anonymous, now, unix).expect("the refunded slot");
        assert!(l.try_acquire(CredentialKind::Anonymous, now, unix).is_err());
        l.refund(CredentialKind::ApiKey);
    }

    #[test]
    fn day_quota_waits_for_utc_midnight() {
        let l = limiter(100, 1);
        let t0 = Instant::now();
        let unix = 86_400 * 10 + 3600;
        assert!(l.try_acquire(CredentialKind::Anonymous, t0, unix).is_ok());
        let wait = l.try_acquire(CredentialKind::Anonymous, t0, unix).unwrap_err();
        assert_eq!(wait, Duration::from_secs(86_400 - 3600));
        assert!(l.try_acquire(CredentialKind::Anonymous, t0, 86_400 * 11).is_ok());
    }

    #[test]
    fn a_huge_server_wait_is_clamped_to_an_hour() {
        let l = limiter(100, 100);
        l.block_for(CredentialKind::OAuth, Duration::MAX);
        let wait = l.try_acquire(CredentialKind::OAuth, Instant::now(), unix_now()).unwrap_err();
        assert!(wait <= limits::MAX_SERVER_WAIT && wait > limits::MAX_SERVER_WAIT - Duration::from_secs(5));
    }

    #[test]
    fn server_block_holds_requests_back() {
        let l = limiter(100, 100);
        l.block_for(CredentialKind::Anonymous, Duration::from_secs(5));
        let wait = l.try_acquire(CredentialKind::Anonymous, Instant::now(), unix_now()).unwrap_err();
        assert!(wait > Duration::from_secs(4) && wait <= Duration::from_secs(5));
    }
}
