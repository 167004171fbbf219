//! Links that open something in the app (`com.atomagentos.marketplace://skill/<id>`): the last one that
//! arrived, kept until the window takes it. A window that was not listening yet (a cold start with a
//! link) takes it when it starts; one that was is told, and takes it then: either way once.

use std::sync::Arc;

use atom_core::ErrorInfo;
use parking_lot::Mutex;
use serde::Serialize;
use ts_rs::TS;

use super::events;
use crate::outbox::Outbox;

/// What a link asked the window to do.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OpenedLink {
    /// Show this skill (an id or a slug, already checked).
    Skill { id: String },
    /// The link was refused, and nothing changed: say why.
    Refused { error: ErrorInfo },
}

pub struct Opened {
    waiting: Mutex<Option<OpenedLink>>,
    outbox: Arc<Outbox>,
}

impl Opened {
    pub fn new(outbox: Arc<Outbox>) -> Opened {
        Opened { waiting: Mutex::new(None), outbox }
    }

    /// Keeps `link` for the window, replacing one it has not taken (the newest link wins), and tells it.
    pub fn offer(&self, link: OpenedLink) {
        *self.waiting.lock() = Some(link.clone());
        self.outbox.push(events::LINK, link);
    }

    /// The link not yet taken, once.
    pub fn take(&self) -> Option<OpenedLink> {
        self.waiting.lock().take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_taken_once_and_the_newest_wins() {
        let opened = Opened::new(Arc::default());
        assert_eq!(opened.take(), None);
        opened.offer(OpenedLink::Skill { id: "a".into() });
        opened.offer(OpenedLink::Skill { id: "b".into() });
        assert_eq!(opened.take(), Some(OpenedLink::Skill { id: "b".into() }));
        assert_eq!(opened.take(), None);
    }
}
