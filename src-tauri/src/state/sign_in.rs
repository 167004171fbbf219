//! The shell's side of signing in: the loopback listener of a browser sign-in in progress, the
//! keystore's status (for the notice that stays while the problem does), and the last refusal, kept
//! for a window that was not listening yet (a cold start with a link).

use std::sync::Arc;

use atom_core::ErrorInfo;
use parking_lot::Mutex;

use super::events::SignInProblem;
use super::KeystoreStatus;
use atom_desktop::loopback::Loopback;
use atom_desktop::outbox::{Held, Outbox};

pub struct SignIn {
    loopback: Mutex<Option<Loopback>>,
    last_error: Held<SignInProblem>,
    keystore: Mutex<KeystoreStatus>,
    outbox: Arc<Outbox>,
}

impl SignIn {
    pub fn new(outbox: Arc<Outbox>) -> SignIn {
        SignIn {
            loopback: Mutex::new(None),
            last_error: Held::new(outbox.clone()),
            keystore: Mutex::new(KeystoreStatus { available: true, detail: None }),
            outbox,
        }
    }

    /// Keeps `listener` for the sign-in in progress (`None`: closes the one there was).
    pub fn set_loopback(&self, listener: Option<Loopback>) {
        *self.loopback.lock() = listener;
    }

    /// The keystore's state, as the notice shows it.
    pub fn keystore_status(&self) -> KeystoreStatus {
        self.keystore.lock().clone()
    }

    pub fn set_keystore_status(&self, status: KeystoreStatus) {
        *self.keystore.lock() = status.clone();
        self.outbox.push(status);
    }

    /// Shows a sign-in problem now, and keeps it for a window that opens later.
    pub fn report(&self, error: ErrorInfo) {
        self.last_error.offer(SignInProblem(error));
    }

    /// The problem not yet shown, once.
    pub fn take_last_error(&self) -> Option<ErrorInfo> {
        self.last_error.take().map(|p| p.0)
    }
}
