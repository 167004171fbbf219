//! The link round trip: the app sends itself a link of its scheme (`…://doctor/ping/<nonce>`) through
//! the desktop's opener, the way a browser hands a sign-in back, and times its arrival. A link that does
//! not come back is the complaint users file most ("the browser never returns to the app"), seen before
//! any sign-in is tried.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::network::spoken;
use super::{Finding, Verdict};

pub const ROUND_TRIP: &str = "Link round trip";

/// How long a link is given to come back.
pub const WAIT: Duration = Duration::from_secs(10);

/// The pings the app waits for, by nonce.
#[derive(Default)]
pub struct Pings {
    waiting: Mutex<HashMap<String, oneshot::Sender<Instant>>>,
}

impl Pings {
    /// Waits for the link with `nonce`: the receiver gets when it arrived.
    pub fn expect(&self, nonce: &str) -> oneshot::Receiver<Instant> {
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().insert(nonce.to_string(), tx);
        rx
    }

    /// A ping link arrived: true when a check waited for it (any other nonce is ignored).
    pub fn arrived(&self, nonce: &str) -> bool {
        match self.waiting.lock().remove(nonce) {
            Some(tx) => tx.send(Instant::now()).is_ok(),
            None => false,
        }
    }

    /// Stops waiting for `nonce` (the check gave up).
    pub fn forget(&self, nonce: &str) {
        self.waiting.lock().remove(nonce);
    }
}

/// A nonce for one ping: 32 hex digits from the OS's randomness (through the standard library's
/// per-map seeds). Guessing it gains nothing but a check that says a link came back.
pub fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let half = || std::collections::hash_map::RandomState::new().build_hasher().finish();
    format!("{:016x}{:016x}", half(), half())
}

/// How the round trip went: the opener's refusal, no arrival within [`WAIT`], or the time it took.
pub enum Trip {
    OpenerFailed(String),
    NotBack,
    Back(Duration),
}

pub fn finding(trip: Trip, can_register: bool) -> Finding {
    let register = if can_register { "Choose \"Register again\", then check again. " } else { "" };
    match trip {
        Trip::Back(took) => Finding::new(
            ROUND_TRIP,
            Verdict::Ok,
            format!("a link sent through the desktop came back to this app in {}", spoken(took)),
        ),
        Trip::NotBack => Finding::new(
            ROUND_TRIP,
            Verdict::Problem,
            format!(
                "a link sent through the desktop did not come back to this app within {} s: a sign-in in the \
                 browser would not return either",
                WAIT.as_secs()
            ),
        )
        .with_fix(format!(
            "{register}Until it works, choose \"Sign in through 127.0.0.1 instead\", or sign in with an API \
             key."
        )),
        Trip::OpenerFailed(why) => Finding::new(
            ROUND_TRIP,
            Verdict::Problem,
            format!("the desktop could not open the app's link ({why})"),
        )
        .with_fix(format!(
            "{register}The desktop needs a way to open links (xdg-open, from the xdg-utils package, on Linux)."
        )),
    }
}

/// Not tried, because the link handler check found a problem already.
pub fn skipped() -> Finding {
    Finding::new(
        ROUND_TRIP,
        Verdict::NotChecked,
        "not tried, as the app's links do not open this app: see Link handler",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_awaited_nonce_answers_and_only_once() {
        let pings = Pings::default();
        let nonce = nonce();
        assert_eq!(nonce.len(), 32);
        assert_ne!(nonce, super::nonce(), "each ping has its own");
        let mut rx = pings.expect(&nonce);
        assert!(!pings.arrived("someone-elses-nonce"));
        assert!(rx.try_recv().is_err(), "another nonce answers nothing");
        assert!(pings.arrived(&nonce));
        assert!(rx.try_recv().is_ok());
        assert!(!pings.arrived(&nonce), "a replayed ping answers nothing");
        let _rx = pings.expect("given-up-on-nonce-1");
        pings.forget("given-up-on-nonce-1");
        assert!(!pings.arrived("given-up-on-nonce-1"));
    }

    #[test]
    fn the_trip_is_told_with_its_time_or_what_to_do() {
        let back = finding(Trip::Back(Duration::from_millis(420)), true);
        assert_eq!(back.verdict, Verdict::Ok);
        assert!(back.detail.contains("420 ms"), "{}", back.detail);
        let lost = finding(Trip::NotBack, true);
        assert_eq!(lost.verdict, Verdict::Problem);
        assert!(lost.fix.unwrap().starts_with("Choose \"Register again\""));
        let lost = finding(Trip::NotBack, false);
        assert!(lost.fix.unwrap().starts_with("Until it works"));
        let failed = finding(Trip::OpenerFailed("xdg-open is missing".into()), false);
        assert!(failed.detail.contains("xdg-open is missing"), "{}", failed.detail);
    }
}
