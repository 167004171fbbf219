//! When an access token is refreshed, until when it may be sent, and how many grants a server can
//! draw from the app whatever lifetimes it states. The account (`tokens.rs`) follows these rules; they
//! are pure (the clock is an argument), so that a property test can drive them through an hour of any
//! server's replies.
//!
//! - **A token's life** counts from when its request was sent, so the app's expiry is never later than
//!   the server's, and a lifetime shorter than the round trip is over when it arrives.
//! - **The refresh** is due at 80 % of the life or 5 minutes before expiry, whichever is earlier, never
//!   before half of it: a 10-second token at 5 s, a 20-minute one at 15 minutes, an hour's at 48.
//!   Nothing moves it later.
//! - **Sent only while alive**: before its refresh is due a token is sent; after that only while a
//!   refresh is already on its way (or held back by the rules below), and only in the first half of
//!   what is left of its life. A call that finds it later waits for the refresh.
//! - **Usable**: a token that lives at least [`MIN_USABLE_LIFETIME`] and four times what its grant took
//!   to land (the request, and the keystore's write of the refresh token that came with it), so that
//!   its refresh at half its life has two such times to spare.
//! - **Wasted grants**: a token that is not usable, or a new token the marketplace refused at its first
//!   use. After one the next grant waits until 2 s after it, after two 4 s; after three in a row the
//!   server's tokens are unusable: calls are told so at once, and the app asks the server again once
//!   [`UNUSABLE_PAUSE`] has passed. A call made with a usable token that the marketplace accepts ends
//!   the count. Meanwhile a call with no token it may send is told at once when the tokens live too
//!   short (the next will too), and waits for the next grant when the grant was slow or its token
//!   refused (either may pass: a slow network, a token not yet known to every server).
//! - **Early grants**, asked before the token is due (the marketplace refused it, a wake from sleep, a
//!   "reconnect"), draw on a budget of [`EARLY_BURST`] that refills by one every [`EARLY_REFILL`]: an
//!   occasional one goes at once, a stream of them gets six a minute.
//!
//! So a server gets at most one scheduled grant a second (a usable token lives 2 s or more and is
//! refreshed at half its life) and [`EARLY_BURST`] plus six early ones a minute: never more than
//! [`MAX_GRANTS_PER_MINUTE`]; one whose tokens are unusable gets three, then one a minute.

use std::time::{Duration, Instant, SystemTime};

use crate::contract::limits::{
    self, EARLY_REFRESH_BURST as EARLY_BURST, EARLY_REFRESH_REFILL as EARLY_REFILL,
    MAX_WASTED_GRANTS as MAX_WASTED, MIN_USABLE_LIFETIME, ROUND_TRIPS_PER_LIFETIME, UNUSABLE_PAUSE,
};

/// What the rules allow a server at most, in any minute (see the module's docs).
pub const MAX_GRANTS_PER_MINUTE: u32 = 60 + EARLY_BURST as u32 + 6;

/// What the app plans for one access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenPlan {
    /// When it was asked for (its request was sent).
    pub issued_at: SystemTime,
    /// When the server ends it, at the latest.
    pub expires_at: SystemTime,
    /// When it is refreshed.
    pub refresh_at: SystemTime,
    /// The last moment it is sent, while a refresh is on its way or held back.
    pub send_until: SystemTime,
    /// Why it is not usable: it lives too short to be used and refreshed in time. `None`: usable.
    pub waste: Option<Waste>,
}

impl TokenPlan {
    /// Whether it lives long enough to be used and refreshed in time.
    pub fn usable(&self) -> bool {
        self.waste.is_none()
    }
}

/// When to refresh a token of lifetime `ttl` whose request was sent at `at`: at 80 % of the lifetime or
/// 5 minutes before expiry, whichever is earlier, but not before half of it.
pub fn refresh_due(at: SystemTime, ttl: Duration) -> SystemTime {
    let by_fraction = ttl.mul_f64(limits::REFRESH_AT_FRACTION);
    let by_margin = ttl.saturating_sub(limits::REFRESH_MARGIN);
    let floor = ttl.mul_f64(limits::REFRESH_NOT_BEFORE_FRACTION);
    at + by_fraction.min(by_margin.max(floor))
}

/// The plan for a token of lifetime `ttl` asked for at `sent_at`, whose grant took `took` to land.
/// `renewable`: a refresh token came with it; without one the token is used to its end.
pub fn plan(sent_at: SystemTime, ttl: Duration, took: Duration, renewable: bool) -> TokenPlan {
    let expires_at = sent_at + ttl;
    let refresh_at = if renewable { refresh_due(sent_at, ttl) } else { expires_at };
    let left_after_due = expires_at.duration_since(refresh_at).unwrap_or_default();
    TokenPlan {
        issued_at: sent_at,
        expires_at,
        refresh_at,
        send_until: refresh_at + left_after_due / 2,
        waste: if ttl < MIN_USABLE_LIFETIME {
            Some(Waste::ShortLived(ttl))
        } else if ttl < took * ROUND_TRIPS_PER_LIFETIME {
            Some(Waste::Slow { took, ttl })
        } else {
            None
        },
    }
}

/// Why a grant brought nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waste {
    /// The token lived this long (counted from its request), too little to use.
    ShortLived(Duration),
    /// The grant took `took` to land, more than a quarter of the token's life `ttl`.
    Slow { took: Duration, ttl: Duration },
    /// The marketplace refused the token at its first use.
    Refused,
}

impl Waste {
    /// The reason, in the user's words, that the server's tokens cannot be used.
    pub fn describe(self) -> String {
        match self {
            Waste::ShortLived(ttl) => format!(
                "this server's access tokens cannot be used: they expire {:.1} s after they are asked \
                 for, too soon to be used and renewed",
                ttl.as_secs_f64()
            ),
            Waste::Slow { took, ttl } => format!(
                "this server's access tokens cannot be used: its token endpoint took {:.1} s to answer, \
                 too long for tokens that live {:.1} s (a quarter of their life at most)",
                took.as_secs_f64(),
                ttl.as_secs_f64()
            ),
            Waste::Refused => {
                "this server's access tokens cannot be used: its marketplace refuses the tokens its \
                 token endpoint has just issued"
                    .to_string()
            }
        }
    }
}

/// Whether a grant may be asked for now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    Now,
    /// Not before then: the early grants' budget is spent.
    After(Instant),
    /// Not before `until`: the last grant was wasted, for `why`.
    Wasted {
        why: Waste,
        until: Instant,
    },
    /// The server's tokens are unusable; it is asked again from `until`.
    Unusable {
        why: Waste,
        until: Instant,
    },
}

impl Turn {
    /// What a caller with no token it may send does: waits until the instant given, or is told the
    /// server's tokens are unusable. A token that lived too short will do so again: that is said at
    /// once; a refusal or a slow grant may pass (a token not yet known to every server of the
    /// marketplace, a slow network).
    pub fn for_caller(self) -> Option<Result<Instant, Waste>> {
        match self {
            Turn::Now => None,
            Turn::After(until) | Turn::Wasted { why: Waste::Refused | Waste::Slow { .. }, until } => {
                Some(Ok(until))
            }
            Turn::Wasted { why, .. } | Turn::Unusable { why, .. } => Some(Err(why)),
        }
    }

    /// When the background refresh may ask, if not now.
    pub fn until(self) -> Option<Instant> {
        match self {
            Turn::Now => None,
            Turn::After(until) | Turn::Wasted { until, .. } | Turn::Unusable { until, .. } => Some(until),
        }
    }
}

/// The grants of one account (see the module's docs).
#[derive(Clone, Debug)]
pub struct Pacer {
    wasted: u32,
    why: Waste,
    last_grant: Option<Instant>,
    budget: f64,
    budget_at: Instant,
}

impl Pacer {
    pub fn new(now: Instant) -> Pacer {
        Pacer { wasted: 0, why: Waste::Refused, last_grant: None, budget: EARLY_BURST, budget_at: now }
    }

    fn refill(&mut self, now: Instant) {
        let gained = now.saturating_duration_since(self.budget_at).as_secs_f64() / EARLY_REFILL.as_secs_f64();
        self.budget = (self.budget + gained).min(EARLY_BURST);
        self.budget_at = now;
    }

    /// Whether a grant may be asked for at `now`; `early`: the current token is not due yet.
    pub fn turn(&mut self, now: Instant, early: bool) -> Turn {
        if let Some(last) = self.last_grant {
            if self.wasted >= MAX_WASTED {
                let until = last + UNUSABLE_PAUSE;
                if now < until {
                    return Turn::Unusable { why: self.why, until };
                }
            } else if self.wasted > 0 {
                let until = last + Duration::from_secs(1 << self.wasted);
                if now < until {
                    return Turn::Wasted { why: self.why, until };
                }
            }
        }
        if early {
            self.refill(now);
            if self.budget < 1.0 {
                return Turn::After(now + EARLY_REFILL.mul_f64(1.0 - self.budget));
            }
        }
        Turn::Now
    }

    /// When a scheduled (not early) grant may be asked for, if not now.
    pub fn ready_at(&self) -> Option<Instant> {
        let last = self.last_grant?;
        match self.wasted {
            0 => None,
            n if n >= MAX_WASTED => Some(last + UNUSABLE_PAUSE),
            n => Some(last + Duration::from_secs(1 << n)),
        }
    }

    /// A grant was asked for and landed at `now`; `waste`: why its token is not usable, if it is not.
    pub fn granted(&mut self, now: Instant, early: bool, waste: Option<Waste>) {
        self.last_grant = Some(now);
        if early {
            self.refill(now);
            self.budget = (self.budget - 1.0).max(0.0);
        }
        if let Some(why) = waste {
            self.wasted += 1;
            self.why = why;
        }
    }

    /// The marketplace refused the token the last grant brought, at its first use.
    pub fn refused(&mut self) {
        self.wasted += 1;
        self.why = Waste::Refused;
    }

    /// The marketplace accepted a usable token: the server's tokens work.
    pub fn used(&mut self) {
        self.wasted = 0;
    }

    /// A new sign-in: what the server did before is forgotten.
    pub fn reset(&mut self, now: Instant) {
        *self = Pacer::new(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn refresh_timing_follows_the_rule() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at =
            |ttl: u64| refresh_due(t0, Duration::from_secs(ttl)).duration_since(t0).unwrap().as_secs_f64();
        assert_eq!(at(3600), 2880.0, "80 % of an hour comes before 5 minutes to go");
        assert_eq!(at(1200), 900.0, "5 minutes before expiry comes before 80 % of 20 minutes");
        assert_eq!(at(10), 5.0, "a 10-second token at half its life");
        assert_eq!(at(2), 1.0, "short tokens refresh at half their life, never in a loop");
    }

    #[test]
    fn a_token_is_usable_from_two_seconds_and_four_round_trips() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let ms = Duration::from_millis;
        assert!(plan(t0, ms(2000), ms(5), true).usable());
        assert_eq!(plan(t0, ms(1999), ms(5), true).waste, Some(Waste::ShortLived(ms(1999))), "under 2 s");
        assert_eq!(
            plan(t0, ms(10_000), ms(2600), true).waste,
            Some(Waste::Slow { took: ms(2600), ttl: ms(10_000) }),
            "a grant that took more than a quarter of it"
        );
        assert!(!plan(t0, Duration::ZERO, ms(1), true).usable());
        let p = plan(t0, ms(10_000), ms(50), true);
        assert_eq!(p.refresh_at, t0 + ms(5000));
        assert_eq!(p.send_until, t0 + ms(7500), "half of what is left after the refresh is due");
        assert_eq!(p.expires_at, t0 + ms(10_000));
        let p = plan(t0, ms(10_000), ms(50), false);
        assert_eq!(p.refresh_at, p.expires_at, "without a refresh token, used to its end");
    }

    #[test]
    fn wasted_grants_space_the_next_then_stop_and_a_used_token_ends_the_count() {
        let t0 = Instant::now();
        let s = |secs: u64| t0 + Duration::from_secs(secs);
        let short = Duration::from_millis(500);
        let mut p = Pacer::new(t0);
        assert_eq!(p.turn(t0, false), Turn::Now);
        p.granted(t0, false, Some(Waste::ShortLived(short)));
        let wasted = |until| Turn::Wasted { why: Waste::ShortLived(short), until };
        assert_eq!(p.turn(s(1), false), wasted(s(2)));
        assert_eq!(p.turn(s(1), false).for_caller(), Some(Err(Waste::ShortLived(short))), "said at once");
        assert_eq!(p.turn(s(2), false), Turn::Now);
        p.granted(s(2), false, Some(Waste::ShortLived(short)));
        assert_eq!(p.turn(s(3), false), wasted(s(6)));
        p.granted(s(6), false, Some(Waste::ShortLived(short)));
        let Turn::Unusable { why, until } = p.turn(s(7), false) else { panic!("unusable") };
        assert_eq!((why, until), (Waste::ShortLived(short), s(66)));
        assert!(why.describe().contains("0.5 s"), "{}", why.describe());
        assert_eq!(p.ready_at(), Some(s(66)));
        assert_eq!(p.turn(s(66), false), Turn::Now, "asked again after the pause");
        p.granted(s(66), false, None);
        p.used();
        assert_eq!(p.turn(s(67), false), Turn::Now);
        assert_eq!(p.ready_at(), None);
        // A refusal may pass: a caller waits for the next grant rather than being told at once.
        p.granted(s(70), false, None);
        p.refused();
        assert_eq!(p.turn(s(71), false).for_caller(), Some(Ok(s(72))));
        // So may a slow grant (a busy network): waited for, counted, and told with its numbers.
        let slow = Waste::Slow { took: Duration::from_millis(2600), ttl: Duration::from_secs(10) };
        p.granted(s(72), false, Some(slow));
        assert_eq!(p.turn(s(73), false).for_caller(), Some(Ok(s(76))), "two wasted: 4 s");
        p.granted(s(76), false, Some(slow));
        assert_eq!(p.turn(s(77), false).for_caller(), Some(Err(slow)), "three in a row: told");
        assert!(slow.describe().contains("took 2.6 s to answer"), "{}", slow.describe());
        assert!(slow.describe().contains("live 10.0 s"), "{}", slow.describe());
    }

    #[test]
    fn early_grants_go_at_once_three_times_then_six_a_minute() {
        let t0 = Instant::now();
        let mut p = Pacer::new(t0);
        for _ in 0..3 {
            assert_eq!(p.turn(t0, true), Turn::Now);
            p.granted(t0, true, None);
        }
        assert_eq!(p.turn(t0, true), Turn::After(t0 + EARLY_REFILL));
        assert_eq!(p.turn(t0, false), Turn::Now, "a token that is due is never held back by the budget");
        let later = t0 + EARLY_REFILL;
        assert_eq!(p.turn(later, true), Turn::Now);
    }

    /// A server, as the property test plays it: what lifetime it states, how long its token endpoint
    /// takes, and whether its marketplace takes its tokens.
    #[derive(Clone, Debug)]
    struct Server {
        /// Milliseconds; negative and zero included (read as zero, as `token.rs` does).
        lifetime_ms: i64,
        round_trip_ms: u64,
        refuses_tokens: bool,
    }

    fn servers() -> impl Strategy<Value = Server> {
        (
            prop_oneof![
                Just(0i64),
                Just(-5_000),
                Just(1),
                (1i64..2_000),
                (2_000i64..20_000),
                (20_000i64..3_600_000),
                Just(3_600_000),
            ],
            prop_oneof![Just(1u64), 1u64..200, 200u64..5_000],
            prop::bool::weighted(0.2),
        )
            .prop_map(|(lifetime_ms, round_trip_ms, refuses_tokens)| Server {
                lifetime_ms,
                round_trip_ms,
                refuses_tokens,
            })
    }

    /// An hour of an account on `server`, played by the rules `tokens.rs` follows: the background
    /// refresh at the plan's time (or when the pacer allows), and a call after each of `calls`'
    /// gaps (ms), each sending the current token before its refresh is due, otherwise refreshing first
    /// (or, held back, sending it while it may still be sent, or waiting), and replaying once with a
    /// refreshed token after a 401. The model is sequential: a grant takes its round trip, and a call
    /// that waits holds back the next. Returns the grants' times and every send as (time, expiry), in ms.
    fn simulate(server: &Server, calls: &[u64]) -> (Vec<u64>, Vec<(u64, u64)>) {
        let base = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let ms = |t: Instant| t.duration_since(base).as_millis() as u64;
        let wall_ms = |t: SystemTime| t.duration_since(wall).unwrap().as_millis() as u64;
        let ttl = Duration::from_millis(server.lifetime_ms.max(0) as u64);
        let rtt = Duration::from_millis(server.round_trip_ms);

        struct World {
            now: u64,
            token: TokenPlan,
            pacer: Pacer,
            grants: Vec<u64>,
        }
        impl World {
            fn instant(&self, base: Instant) -> Instant {
                base + Duration::from_millis(self.now)
            }
            fn wall(&self, wall: SystemTime) -> SystemTime {
                wall + Duration::from_millis(self.now)
            }
        }
        let grant = |w: &mut World, early: bool| {
            let asked = w.wall(wall);
            w.grants.push(w.now);
            w.now += server.round_trip_ms;
            w.token = plan(asked, ttl, rtt, true);
            let now = w.instant(base);
            w.pacer.granted(now, early, w.token.waste);
        };
        // Signed in at 0.
        let mut w =
            World { now: 0, token: plan(wall, ttl, rtt, true), pacer: Pacer::new(base), grants: vec![] };
        grant(&mut w, false);
        let mut sends = Vec::new();
        let mut call_times = calls.iter().scan(0u64, |t, gap| {
            *t += gap;
            Some(*t)
        });
        let mut next_call = call_times.next();
        // Until a call gives up (`None`) or has a token to send.
        let token_for_call = |w: &mut World, refused: bool| -> Option<()> {
            loop {
                let (now, system) = (w.instant(base), w.wall(wall));
                if !refused && system < w.token.refresh_at {
                    return Some(());
                }
                let held = !refused && system < w.token.send_until;
                let early = system < w.token.refresh_at;
                match w.pacer.turn(now, early).for_caller() {
                    // A token over before it could be sent: the next turn says whether to wait.
                    None => {
                        grant(w, early);
                        if w.wall(wall) < w.token.send_until {
                            return Some(());
                        }
                    }
                    Some(_) if held => return Some(()),
                    Some(Ok(t)) => w.now = w.now.max(ms(t)),
                    Some(Err(_)) => return None,
                }
            }
        };
        while w.now < 3_600_000 {
            let background = w.pacer.ready_at().map_or(0, ms).max(wall_ms(w.token.refresh_at));
            match next_call {
                Some(call) if call < background => {
                    next_call = call_times.next();
                    w.now = w.now.max(call);
                    if token_for_call(&mut w, false).is_none() {
                        continue;
                    }
                    sends.push((w.now, wall_ms(w.token.expires_at)));
                    if !server.refuses_tokens {
                        if w.token.usable() {
                            w.pacer.used();
                        }
                        continue;
                    }
                    // A 401: a token instead of the refused one, and one replay.
                    if token_for_call(&mut w, true).is_some() {
                        sends.push((w.now, wall_ms(w.token.expires_at)));
                        w.pacer.refused();
                    }
                }
                _ => {
                    w.now = w.now.max(background);
                    match w.pacer.turn(w.instant(base), false).until() {
                        None => grant(&mut w, false),
                        Some(t) => w.now = w.now.max(ms(t)),
                    }
                }
            }
        }
        (w.grants, sends)
    }

    fn gaps() -> impl Strategy<Value = Vec<u64>> {
        prop::collection::vec(prop_oneof![1u64..50, 50u64..2_000, 2_000u64..120_000], 1..400)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Over lifetimes from 0 to an hour: a usable token's refresh is planned before it expires, no
        /// call is sent with a token past its expiry, and the server never gets more grants in a
        /// minute than the rules allow; one whose tokens are unusable gets a handful.
        #[test]
        fn refresh_before_expiry_no_expired_send_and_bounded_grants(server in servers(), calls in gaps()) {
            let ttl = Duration::from_millis(server.lifetime_ms.max(0) as u64);
            let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
            let p = plan(t0, ttl, Duration::from_millis(server.round_trip_ms), true);
            if p.usable() {
                prop_assert!(p.refresh_at < p.expires_at, "{server:?}");
                let margin = p.expires_at.duration_since(p.refresh_at).unwrap();
                prop_assert!(margin >= Duration::from_millis(server.round_trip_ms) * 2, "{server:?}");
            }
            let (grants, sends) = simulate(&server, &calls);
            for (sent, expires) in &sends {
                prop_assert!(sent < expires, "{server:?}: sent at {sent} ms, expired at {expires}");
            }
            let mut start = 0;
            for (i, g) in grants.iter().enumerate() {
                while grants[start] + 60_000 <= *g {
                    start += 1;
                }
                let in_minute = (i - start + 1) as u32;
                prop_assert!(in_minute <= MAX_GRANTS_PER_MINUTE, "{server:?}: {in_minute} grants in a minute");
            }
            if !p.usable() {
                prop_assert!(grants.len() <= 3 + 60, "{server:?}: {} grants in an hour", grants.len());
            }
        }
    }
}
