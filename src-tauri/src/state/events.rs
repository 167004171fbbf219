//! The events the window is told about, each declared once, with its payload (`impl Event`): here for
//! the shell's state, and `updates::UpdateStatus` for the updater. The window takes them from the outbox
//! (`atom_desktop::outbox`); `bindings.rs` generates `ui/src/bindings/events.ts`, the map from each name
//! to its payload, from the same declarations, and its test checks that it names every `impl Event`.

use atom_core::{ErrorInfo, RateLimitStatus};
use atom_desktop::outbox::Event;
use serde::Serialize;
use ts_rs::TS;

use super::{AccountsView, EnvironmentView, KeystoreStatus, OpenedLink};

/// The active account's rate limits, as the last reply's headers gave them.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(transparent)]
pub struct RateLimits(pub RateLimitStatus);

impl Event for RateLimits {
    const NAME: &'static str = "rate-limit";
}

/// A sign-in was refused or failed (kept for a window that was not up yet: `SignIn::report`).
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(transparent)]
pub struct SignInProblem(pub ErrorInfo);

impl Event for SignInProblem {
    const NAME: &'static str = "sign-in-error";
}

/// `true` when the server answers again, `false` when it cannot be reached.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(transparent)]
pub struct Connectivity(pub bool);

impl Event for Connectivity {
    const NAME: &'static str = "connectivity";
}

/// The active environment changed.
impl Event for EnvironmentView {
    const NAME: &'static str = "environment";
}

/// The keystore could be used again, or could not.
impl Event for KeystoreStatus {
    const NAME: &'static str = "keystore";
}

/// A link opened something (or was refused): the window takes it with `take_link`.
impl Event for OpenedLink {
    const NAME: &'static str = "link";
}

/// The accounts, each with its state, and the active one: one account signed in or out, was added,
/// removed, switched to or named. The only event about accounts.
impl Event for AccountsView {
    const NAME: &'static str = "accounts";
}
