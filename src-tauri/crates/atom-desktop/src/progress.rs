//! One shape for how far a long operation has come, for the window: an update's download today, and
//! whatever later runs long enough to need a bar (a skill's install). Its outcome is the operation's
//! own last state, and a failure an `ErrorInfo` like every other error.

use serde::Serialize;
use ts_rs::TS;

/// `done` of `total` units (bytes for a download); `total` is unknown until the other side says it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, TS)]
pub struct Progress {
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number | null")]
    pub total: Option<u64>,
}

/// Steps told to the window for a known total: one per 2 %.
const STEPS: u64 = 50;
/// Bytes between two steps told to the window while the total is unknown.
const UNKNOWN_STEP: u64 = 256 * 1024;

impl Progress {
    pub fn new(done: u64, total: Option<u64>) -> Progress {
        Progress { done, total }
    }

    /// The whole percent done (at most 100), when the total is known.
    pub fn percent(&self) -> Option<u8> {
        let total = self.total.filter(|t| *t > 0)?;
        Some((u128::from(self.done) * 100 / u128::from(total)).min(100) as u8)
    }

    /// Whether `next` has come far enough past this (the last one told) to tell the window again: a
    /// fast operation sends it about fifty updates, not one per chunk.
    pub fn worth_telling(&self, next: &Progress) -> bool {
        let step = next.total.map_or(UNKNOWN_STEP, |t| (t / STEPS).max(1));
        let finished = next.total == Some(next.done) && next.done != self.done;
        next.done.saturating_sub(self.done) >= step || finished
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_whole_bounded_and_unknown_without_a_total() {
        assert_eq!(Progress::new(512, Some(1024)).percent(), Some(50));
        assert_eq!(Progress::new(1023, Some(1024)).percent(), Some(99));
        assert_eq!(Progress::new(5000, Some(1024)).percent(), Some(100));
        assert_eq!(Progress::new(5, None).percent(), None);
        assert_eq!(Progress::new(5, Some(0)).percent(), None);
        assert_eq!(Progress::new(u64::MAX, Some(u64::MAX)).percent(), Some(100));
    }

    #[test]
    fn the_window_is_told_about_fifty_times_and_always_the_end() {
        let total = 10 * 1024 * 1024;
        let mut told = Progress::new(0, Some(total));
        let mut tellings = 0;
        for done in (0..=total).step_by(4096) {
            let next = Progress::new(done, Some(total));
            if told.worth_telling(&next) {
                told = next;
                tellings += 1;
            }
        }
        assert_eq!(told.done, total, "the last step is told");
        assert!((49..=51).contains(&tellings), "{tellings}");
        // Unknown total: a step per 256 KiB.
        let start = Progress::new(0, None);
        assert!(!start.worth_telling(&Progress::new(UNKNOWN_STEP - 1, None)));
        assert!(start.worth_telling(&Progress::new(UNKNOWN_STEP, None)));
    }
}
