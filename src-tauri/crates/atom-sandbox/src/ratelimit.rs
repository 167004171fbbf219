//! Fixed-window rate limiting: per credential, per clock minute and per UTC day.

use std::collections::HashMap;

use crate::config::Quota;

/// Who a request is charged to.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Bucket {
    Anonymous(std::net::IpAddr),
    ApiKey(String),
    Grant(String),
}

#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    minute: u64,
    minute_used: u32,
    day: u64,
    day_used: u32,
}

/// What the response headers say after a request was counted (or refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds at which the binding window resets.
    pub reset: u64,
    /// `Some(seconds)` when the request is refused.
    pub retry_after: Option<u64>,
}

#[derive(Default)]
pub struct RateLimiter {
    buckets: HashMap<Bucket, Counts>,
}

impl RateLimiter {
    /// Counts one request at `now` (Unix seconds) against `quota`, unless a window is already full.
    pub fn charge(&mut self, bucket: Bucket, quota: Quota, now: u64) -> Decision {
        let minute = now / 60;
        let day = now / 86_400;
        if self.buckets.len() > 100_000 {
            // Forget idle buckets rather than grow without bound.
            self.buckets.retain(|_, c| c.day == day);
        }
        let c = self.buckets.entry(bucket).or_default();
        if c.minute != minute {
            c.minute = minute;
            c.minute_used = 0;
        }
        if c.day != day {
            c.day = day;
            c.day_used = 0;
        }
        let minute_reset = (minute + 1) * 60;
        let day_reset = (day + 1) * 86_400;
        let refused_by = if c.day_used >= quota.per_day {
            Some(day_reset)
        } else if c.minute_used >= quota.per_minute {
            Some(minute_reset)
        } else {
            None
        };
        if let Some(reset) = refused_by {
            return Decision { limit: quota.per_minute, remaining: 0, reset, retry_after: Some(reset - now) };
        }
        c.minute_used += 1;
        c.day_used += 1;
        let minute_left = quota.per_minute - c.minute_used;
        let day_left = quota.per_day - c.day_used;
        let (remaining, reset) =
            if day_left < minute_left { (day_left, day_reset) } else { (minute_left, minute_reset) };
        Decision { limit: quota.per_minute, remaining, reset, retry_after: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Bucket {
        Bucket::ApiKey("k".into())
    }

    #[test]
    fn refuses_past_the_minute_quota_until_the_next_minute() {
        let mut rl = RateLimiter::default();
        let q = Quota { per_minute: 2, per_day: 100 };
        let t = 6_000_030; // 30 s into a minute
        assert_eq!(rl.charge(key(), q, t).remaining, 1);
        assert_eq!(rl.charge(key(), q, t).remaining, 0);
        let refused = rl.charge(key(), q, t + 5);
        assert_eq!(refused.retry_after, Some(25));
        assert_eq!(refused.reset, 6_000_060);
        assert_eq!(rl.charge(key(), q, t + 30).retry_after, None);
    }

    #[test]
    fn day_quota_binds_across_minutes() {
        let mut rl = RateLimiter::default();
        let q = Quota { per_minute: 10, per_day: 3 };
        let t = 86_400 * 100 + 10;
        for i in 0..3 {
            assert_eq!(rl.charge(key(), q, t + i * 60).retry_after, None);
        }
        let refused = rl.charge(key(), q, t + 300);
        assert_eq!(refused.retry_after, Some(86_400 * 101 - (t + 300)));
        assert_eq!(rl.charge(key(), q, 86_400 * 101).retry_after, None);
    }

    #[test]
    fn buckets_are_independent() {
        let mut rl = RateLimiter::default();
        let q = Quota { per_minute: 1, per_day: 10 };
        assert!(rl.charge(key(), q, 0).retry_after.is_none());
        assert!(rl.charge(Bucket::Grant("g".into()), q, 0).retry_after.is_none());
        assert!(rl.charge(key(), q, 1).retry_after.is_some());
    }
}
