//! The link round trip: the app sends itself a link of its scheme (`…://doctor/ping/<nonce>`) through
//! the desktop's opener, the way a browser hands a sign-in back, and times its arrival. A link that does
//! not come back is the complaint users file most ("the browser never returns to the app"), seen before
//! any sign-in is tried.
//!
//! The loopback fallback is checked the same way, without a browser tab each time: the app listens on
//! `127.0.0.1` as a sign-in through it does (`crate::loopback`), sends its listener a callback and times
//! its arrival. A listener refused (a sandbox without network) or a request that never arrives (a
//! security program between the two ends) shows here.

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

pub const LOOPBACK: &str = "Loopback fallback";

/// How long the loopback's callback is given.
pub const LOOPBACK_WAIT: Duration = Duration::from_secs(5);

/// How the loopback's trip went.
pub enum LoopbackTrip {
    CannotListen(String),
    NotBack(String),
    Back(Duration),
}

/// Listens as a sign-in through `127.0.0.1` does, sends the listener a callback with a nonce of its own
/// and waits for the listener to hand it on.
pub async fn loopback_trip() -> LoopbackTrip {
    let state = nonce();
    let (tx, arrived) = oneshot::channel();
    let expected = format!("state={state}");
    let listener = crate::loopback::listen(
        move |url| url.ends_with(&expected),
        move |_| {
            let _ = tx.send(Instant::now());
        },
    )
    .await;
    let listener = match listener {
        Ok(listener) => listener,
        Err(e) => return LoopbackTrip::CannotListen(e.to_string()),
    };
    let sent = Instant::now();
    let trip = async {
        send_callback(listener.port(), &state).await?;
        arrived.await.map_err(|_| std::io::Error::other("the listener stopped"))
    };
    match tokio::time::timeout(LOOPBACK_WAIT, trip).await {
        Ok(Ok(at)) => LoopbackTrip::Back(at.duration_since(sent)),
        Ok(Err(e)) => LoopbackTrip::NotBack(e.to_string()),
        Err(_) => LoopbackTrip::NotBack(format!("no answer within {} s", LOOPBACK_WAIT.as_secs())),
    }
}

/// A browser's request for the loopback's callback page, with `state`, sent to `port`.
pub async fn send_callback(port: u16, state: &str) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let head = format!("GET /oauth/callback?state={state} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    sock.write_all(head.as_bytes()).await?;
    let mut status = [0u8; 12];
    sock.read_exact(&mut status).await?;
    match &status {
        b"HTTP/1.1 200" => Ok(()),
        other => {
            Err(std::io::Error::other(format!("the listener answered {}", String::from_utf8_lossy(other))))
        }
    }
}

pub fn loopback_finding(trip: LoopbackTrip) -> Finding {
    let instead = "Sign in through the app's link (the default), or with an API key.";
    match trip {
        LoopbackTrip::Back(took) => Finding::new(
            LOOPBACK,
            Verdict::Ok,
            format!("the app listened on 127.0.0.1 as a sign-in does, and a callback reached it in {}", spoken(took)),
        ),
        LoopbackTrip::CannotListen(why) => Finding::new(
            LOOPBACK,
            Verdict::Problem,
            format!("the app could not listen on 127.0.0.1 ({why}): \"Sign in through 127.0.0.1 instead\" cannot work"),
        )
        .with_fix(format!(
            "A sandbox or security program forbids the app local connections: allow them for ATOM Marketplace. \
             {instead}"
        )),
        LoopbackTrip::NotBack(why) => Finding::new(
            LOOPBACK,
            Verdict::Problem,
            format!("a callback sent to the app's listener on 127.0.0.1 did not reach it ({why})"),
        )
        .with_fix(format!(
            "A firewall or security program may stand between the browser and the app on this computer: allow \
             local connections for ATOM Marketplace. {instead}"
        )),
    }
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

    /// The real listener, on this machine's loopback.
    #[tokio::test]
    async fn the_loopback_listener_hands_on_a_callback_sent_to_it() {
        let found = loopback_finding(loopback_trip().await);
        assert_eq!(found.verdict, Verdict::Ok, "{found:?}");
        assert!(found.detail.contains("reached it in"), "{}", found.detail);
    }

    /// A port where nothing listens, and a listener waiting for another sign-in: the callback does not
    /// arrive, and the finding says so with what to do.
    #[tokio::test]
    async fn a_callback_that_does_not_arrive_is_a_problem_with_a_way_around() {
        let closed = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let refused = send_callback(port, "abc").await.unwrap_err();
        let other =
            crate::loopback::listen(|url: &str| url.ends_with("state=theirs"), |_| panic!("not ours"))
                .await
                .unwrap();
        let wrong = send_callback(other.port(), "ours").await.unwrap_err();
        assert!(wrong.to_string().contains("400"), "{wrong}");
        let found = loopback_finding(LoopbackTrip::NotBack(refused.to_string()));
        assert_eq!(found.verdict, Verdict::Problem);
        assert!(found.detail.contains("did not reach it"), "{}", found.detail);
        assert!(found.fix.unwrap().contains("API key"));
        let found = loopback_finding(LoopbackTrip::CannotListen("permission denied".into()));
        assert!(found.detail.contains("permission denied"), "{}", found.detail);
    }
}
