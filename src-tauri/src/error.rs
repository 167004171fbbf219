//! The shell's errors: what only the desktop app can fail at (the browser, the loopback listener, an
//! account it no longer has, the embedded sandbox, a session that ended), beside the core's. The
//! shell's functions return [`ShellError`]; a command turns it into the window's `ErrorInfo` at its
//! boundary (`?`), with its code's hint like every other error.

use atom_core::{ErrorCode, ErrorInfo};

#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    #[error(transparent)]
    Core(#[from] atom_core::Error),
    #[error("the browser could not be started: {0}")]
    BrowserNotStarted(String),
    #[error("only web addresses (http or https) open in the browser")]
    UnsupportedLink,
    /// An account the app no longer has (signed out of, or removed, meanwhile).
    #[error("this account is no longer in the app")]
    NoSuchAccount,
    #[error("cannot listen on 127.0.0.1: {0}")]
    Loopback(String),
    /// The embedded sandbox could not start, or this build has none.
    #[error("{0}")]
    SandboxUnavailable(String),
    /// The account's session ended at its server, for this reason (its own message and fix).
    #[error("your session has ended ({})", .0.message)]
    SessionEnded(ErrorInfo),
}

impl ShellError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ShellError::Core(e) => e.code(),
            ShellError::BrowserNotStarted(_) => ErrorCode::BrowserNotStarted,
            ShellError::UnsupportedLink => ErrorCode::UnsupportedLink,
            ShellError::NoSuchAccount => ErrorCode::NoSuchAccount,
            ShellError::Loopback(_) => ErrorCode::LoopbackUnavailable,
            ShellError::SandboxUnavailable(_) => ErrorCode::SandboxUnavailable,
            ShellError::SessionEnded(_) => ErrorCode::NeedsReauth,
        }
    }
}

impl From<ShellError> for ErrorInfo {
    fn from(error: ShellError) -> ErrorInfo {
        match error {
            ShellError::Core(e) => e.info(),
            ShellError::SessionEnded(ref reason) => {
                ErrorInfo::new(error.code(), error.to_string()).with_hint(reason.hint.clone())
            }
            other => ErrorInfo::new(other.code(), other.to_string()),
        }
    }
}

impl From<atom_core::StoreError> for ShellError {
    fn from(error: atom_core::StoreError) -> ShellError {
        ShellError::Core(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shell_error_reaches_the_window_with_its_code_and_hint() {
        let info = ErrorInfo::from(ShellError::NoSuchAccount);
        assert_eq!(info.code, ErrorCode::NoSuchAccount);
        assert_eq!(info.hint, atom_core::error::hint_for(ErrorCode::NoSuchAccount));
        let info = ErrorInfo::from(ShellError::Loopback("address in use".into()));
        assert_eq!(
            (info.code, info.message.as_str()),
            (ErrorCode::LoopbackUnavailable, "cannot listen on 127.0.0.1: address in use")
        );
        // The core's errors pass as the core describes them.
        let core = atom_core::Error::NotSignedIn;
        assert_eq!(ErrorInfo::from(ShellError::from(core.clone())), core.info());
        // A session that ended keeps its own fix.
        let reason = ErrorInfo::new(ErrorCode::InvalidGrant, "grant revoked").with_hint("Sign in again.");
        let info = ErrorInfo::from(ShellError::SessionEnded(reason));
        assert_eq!(info.code, ErrorCode::NeedsReauth);
        assert_eq!(info.message, "your session has ended (grant revoked)");
        assert_eq!(info.hint, "Sign in again.");
    }
}
