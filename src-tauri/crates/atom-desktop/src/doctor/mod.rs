//! The sign-in doctor's parts that need no window (issue 42): what a check found ([`Finding`]), the
//! report a user pastes into a support request with every secret taken out (`report.rs`), and the checks:
//! the keystore, kept in and read back (`keystore.rs`); which program the desktop opens the app's links
//! with (on Linux `link_handler.rs`, on Windows `registry.rs`, on macOS `launch_services.rs`); the way to
//! the server, from the proxy to the clock
//! (`network.rs`, on `atom_core::probe`); the account in the window (`account.rs`); and a link the app
//! sends itself through the desktop's opener, and a callback to the loopback fallback's listener
//! (`round_trip.rs`).

pub mod account;
pub mod certificate;
pub mod keystore;
pub mod launch_services;
#[cfg(target_os = "linux")]
pub mod link_handler;
pub mod network;
pub mod registry;
pub mod report;
pub mod round_trip;

use serde::Serialize;
use ts_rs::TS;

/// The link handler's check, by the name it is shown with (the window offers "Register again" beside
/// it).
pub const LINK_HANDLER: &str = "Link handler";

/// What to do when the app's links open another program or none (Linux and Windows).
pub(crate) const REGISTER_FIX: &str =
    "Choose \"Register again\": the app makes itself the handler of its links. \
                                       A package install registers it for every user; reinstalling the \
                                       package does too.";

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    /// Works, but something is worth knowing (a slow answer, a setting that may bite later).
    Warning,
    /// This stops a sign-in: `fix` says what to do.
    Problem,
    /// Could not be checked here (a tool the desktop lacks); says why.
    NotChecked,
}

/// One check's result, in the user's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct Finding {
    /// What was checked ("Link handler").
    pub check: String,
    pub verdict: Verdict,
    /// What was found.
    pub detail: String,
    /// What to do, when there is something to do.
    pub fix: Option<String>,
}

impl Finding {
    pub fn new(check: &str, verdict: Verdict, detail: impl Into<String>) -> Finding {
        Finding { check: check.into(), verdict, detail: detail.into(), fix: None }
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = Some(fix.into());
        self
    }
}
