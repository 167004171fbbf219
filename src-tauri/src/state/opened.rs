//! Links that open something in the app (`com.atomagentos.marketplace://skill/<id>`): the last one that
//! arrived, kept until the window takes it. A window that was not listening yet (a cold start with a
//! link) takes it when it starts; one that was is told, and takes it then: either way once.

use atom_core::ErrorInfo;
use serde::Serialize;
use ts_rs::TS;

use atom_desktop::outbox::Held;

/// What a link asked the window to do.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OpenedLink {
    /// Show this skill (an id or a slug, already checked).
    Skill { id: String },
    /// The link was refused, and nothing changed: say why.
    Refused { error: ErrorInfo },
}

/// The link not yet taken by the window (its event, `link`, announces it: `state/events.rs`).
pub type Opened = Held<OpenedLink>;
