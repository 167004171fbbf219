//! The app's events for the window, taken by the window (the `next_events` command) rather than
//! pushed into it.
//!
//! Tauri pushes an event by running a script in the page. On Linux, WebKitGTK hands every such
//! script's result back to the app's process as a JavaScript value, so the first event starts a
//! JavaScriptCore engine in the app's own process: 3 MiB of it (about 1 MiB of the whole app, as the web
//! process runs those pages anyway), for values nobody reads (docs/benchmarks.md). A command's answer does not: it travels through Tauri's `ipc:` protocol. So
//! events wait here, numbered, and the window asks for those after the last one it saw; the question
//! is answered as soon as there is one (or empty after [`WAIT`], and the window asks again).
//!
//! The window asks `after: null` first, which answers at once with the latest number: from then on
//! it misses nothing, so it asks for its snapshot (`app_info`) only after that (`ui/src/lib/pump.ts`,
//! `ui/src/lib/subscribe.ts`).

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;
use ts_rs::TS;

/// How long a question waits for an event before it is answered empty.
pub const WAIT: Duration = Duration::from_secs(25);
/// Events kept for a window that is slow to ask; one that falls further behind is told so (`missed`).
const KEEP: usize = 256;

/// What the window is told about: each payload type is one event, named by [`Event::NAME`]. The app
/// declares its events where their payloads are declared (`impl Event for …`), and the window's
/// TypeScript map of names to payloads is generated from them (the app's `bindings.rs`).
pub trait Event: Serialize {
    const NAME: &'static str;
}

/// One event as the window receives it: its number, its name and its payload.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct PushedEvent {
    #[ts(type = "number")]
    pub seq: u64,
    pub name: &'static str,
    #[ts(type = "unknown")]
    pub payload: serde_json::Value,
}

/// The answer to `next_events`.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct EventBatch {
    /// The events after the one asked about, oldest first.
    pub events: Vec<PushedEvent>,
    /// The number to ask after next time.
    #[ts(type = "number")]
    pub latest: u64,
    /// Some events after the one asked about are no longer kept: the window asks for a new snapshot.
    pub missed: bool,
}

#[derive(Default)]
struct Queue {
    latest: u64,
    kept: VecDeque<PushedEvent>,
}

#[derive(Default)]
pub struct Outbox {
    queue: parking_lot::Mutex<Queue>,
    arrived: Notify,
}

impl Outbox {
    /// Queues an event and answers the waiting question, if any.
    pub fn push<E: Event>(&self, event: E) {
        let name = E::NAME;
        let Ok(payload) = serde_json::to_value(event) else {
            tracing::error!("the {name} event could not be written");
            return;
        };
        {
            let mut queue = self.queue.lock();
            queue.latest += 1;
            let seq = queue.latest;
            queue.kept.push_back(PushedEvent { seq, name, payload });
            if queue.kept.len() > KEEP {
                queue.kept.pop_front();
            }
        }
        self.arrived.notify_waiters();
    }

    /// The events after `after`, once there is at least one, or none after `wait`. `None`: none, at
    /// once, with the latest number.
    pub async fn after(&self, after: Option<u64>, wait: Duration) -> EventBatch {
        let Some(after) = after else {
            return EventBatch { events: Vec::new(), latest: self.queue.lock().latest, missed: false };
        };
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Registered before looking, so that an event pushed in between still wakes it.
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if let Some(batch) = self.take_after(after) {
                return batch;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return EventBatch { events: Vec::new(), latest: after, missed: false };
            }
        }
    }

    fn take_after(&self, after: u64) -> Option<EventBatch> {
        let queue = self.queue.lock();
        if queue.latest == after {
            return None;
        }
        // A number from the future (a window that outlived an earlier run of the app) is a gap too: all
        // that is kept, and a new snapshot.
        let future = after > queue.latest;
        let after = if future { 0 } else { after };
        let oldest = queue.kept.front().map_or(queue.latest + 1, |e| e.seq);
        let missed = future || oldest > after + 1;
        let events = queue.kept.iter().filter(|e| e.seq > after).cloned().collect();
        Some(EventBatch { events, latest: queue.latest, missed })
    }
}

/// Something the window must see once, even if it was not listening when it happened (a cold start's
/// link, or a sign-in refused before the page was up): kept until the window takes it (the newest
/// replaces one not taken), and announced as its event when it arrives.
pub struct Held<T> {
    waiting: parking_lot::Mutex<Option<T>>,
    outbox: std::sync::Arc<Outbox>,
}

impl<T: Clone + Event> Held<T> {
    pub fn new(outbox: std::sync::Arc<Outbox>) -> Held<T> {
        Held { waiting: parking_lot::Mutex::new(None), outbox }
    }

    /// Keeps `value` for the window, and tells it.
    pub fn offer(&self, value: T) {
        *self.waiting.lock() = Some(value.clone());
        self.outbox.push(value);
    }

    /// The value not yet taken, once.
    pub fn take(&self) -> Option<T> {
        self.waiting.lock().take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Events named as the tests need them: one type per name, as in the app.
    macro_rules! test_events {
        ($($ty:ident = $name:literal),*) => {$(
            #[derive(Clone, Debug, PartialEq, Serialize)]
            #[serde(transparent)]
            struct $ty(serde_json::Value);
            impl Event for $ty {
                const NAME: &'static str = $name;
            }
            impl $ty {
                fn new(payload: impl Serialize) -> $ty {
                    $ty(serde_json::to_value(payload).unwrap())
                }
            }
        )*};
    }
    test_events!(A = "a", B = "b", C = "c", Link = "link", AuthState = "auth-state", N = "n");

    #[tokio::test]
    async fn a_held_value_is_announced_and_taken_once_and_the_newest_wins() {
        let outbox = Arc::<Outbox>::default();
        let held = Held::new(outbox.clone());
        assert_eq!(held.take(), None);
        held.offer(Link::new("a"));
        held.offer(Link::new("b"));
        assert_eq!(held.take(), Some(Link::new("b")));
        assert_eq!(held.take(), None);
        let batch = outbox.after(Some(0), Duration::from_millis(10)).await;
        assert_eq!(batch.events.len(), 2);
        assert_eq!(batch.events[1].payload, "b");
    }

    const LONG: Duration = Duration::from_secs(10);

    fn names(batch: &EventBatch) -> Vec<&str> {
        batch.events.iter().map(|e| e.name).collect()
    }

    #[tokio::test]
    async fn the_first_question_is_answered_at_once_with_the_latest_number() {
        let outbox = Outbox::default();
        outbox.push(A::new(1));
        outbox.push(B::new(2));
        let batch = outbox.after(None, LONG).await;
        assert_eq!(batch, EventBatch { events: vec![], latest: 2, missed: false });
    }

    #[tokio::test]
    async fn events_after_the_number_asked_come_in_order_with_their_payloads() {
        let outbox = Outbox::default();
        outbox.push(A::new(1));
        outbox.push(B::new("two"));
        outbox.push(C::new(serde_json::json!({"x": 3})));
        let batch = outbox.after(Some(1), LONG).await;
        assert_eq!(names(&batch), ["b", "c"]);
        assert_eq!(batch.events[0].payload, serde_json::json!("two"));
        assert_eq!(batch.events[1].payload, serde_json::json!({"x": 3}));
        assert_eq!((batch.latest, batch.missed), (3, false));
    }

    #[tokio::test]
    async fn a_waiting_question_is_answered_by_the_next_event() {
        let outbox = Arc::new(Outbox::default());
        let asking = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.after(Some(0), LONG).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!asking.is_finished(), "nothing to answer yet");
        let pushed_at = std::time::Instant::now();
        outbox.push(AuthState::new("signed_in"));
        let batch = asking.await.unwrap();
        assert!(pushed_at.elapsed() < Duration::from_secs(2), "answered when the event came");
        assert_eq!(names(&batch), ["auth-state"]);
        assert_eq!(batch.latest, 1);
    }

    #[tokio::test]
    async fn with_no_event_the_question_is_answered_empty_after_the_wait() {
        let outbox = Outbox::default();
        outbox.push(A::new(1));
        let asked_at = std::time::Instant::now();
        let batch = outbox.after(Some(1), Duration::from_millis(200)).await;
        assert!(asked_at.elapsed() >= Duration::from_millis(200), "it waited");
        assert_eq!(batch, EventBatch { events: vec![], latest: 1, missed: false });
    }

    #[tokio::test]
    async fn a_window_that_fell_behind_is_told_it_missed_some() {
        let outbox = Outbox::default();
        for i in 0..KEEP + 10 {
            outbox.push(N::new(i));
        }
        let batch = outbox.after(Some(3), LONG).await;
        assert!(batch.missed);
        assert_eq!(batch.events.len(), KEEP);
        assert_eq!(batch.events[0].seq, 11);
        // Exactly at the edge: nothing lost.
        let batch = outbox.after(Some(10), LONG).await;
        assert!(!batch.missed);
    }

    #[tokio::test]
    async fn a_number_from_the_future_is_a_gap_not_a_hang() {
        let outbox = Outbox::default();
        outbox.push(A::new(1));
        let batch = outbox.after(Some(40), LONG).await;
        assert!(batch.missed);
        assert_eq!((names(&batch), batch.latest), (vec!["a"], 1));
    }

    #[tokio::test]
    async fn events_pushed_from_many_threads_are_all_delivered_once() {
        let outbox = Arc::new(Outbox::default());
        let pushers: Vec<_> = (0..4)
            .map(|t| {
                let outbox = outbox.clone();
                std::thread::spawn(move || (0..50).for_each(|i| outbox.push(N::new(t * 100 + i))))
            })
            .collect();
        let mut seen = Vec::new();
        let mut after = 0;
        while seen.len() < 200 {
            let batch = outbox.after(Some(after), LONG).await;
            assert!(!batch.missed);
            seen.extend(batch.events.iter().map(|e| e.seq));
            after = batch.latest;
        }
        pushers.into_iter().for_each(|p| p.join().unwrap());
        assert_eq!(seen, (1..=200).collect::<Vec<u64>>());
    }
}
