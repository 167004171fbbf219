//! One error type for the whole client, with a stable `code` the UI can branch on and a `hint` a user
//! can act on (`hints.rs`). Reading a server's error replies and sorting transport failures are the HTTP
//! layer's (`http/reply.rs`, `http/transport.rs`). This module depends on no other module of the core
//! but the keystore's error.

mod callback;
mod hints;

pub use callback::CallbackError;
pub use hints::hint_for;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::store::StoreError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which OAuth request failed: the same error means different things, and needs different advice,
/// at each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OAuthStep {
    /// Exchanging the authorization code after the browser came back.
    SignIn,
    /// Renewing the access token with the refresh token.
    Refresh,
    /// Telling the server at sign-out (RFC 7009).
    Revoke,
}

/// Declares [`ErrorCode`] once: each variant with the stable string the UI and the tests see. The
/// desktop shell's codes (its `ShellError`, the updater's) are here too, marked so, so that every code
/// the window meets and its hint are in one table.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal,)*) => {
        /// A stable, lower-case error code: what the UI branches on (a union of strings in TypeScript).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum ErrorCode {
            $($(#[doc = $doc])* #[serde(rename = $code)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, for tests that pin the strings.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    InvalidApiKey = "invalid_api_key",
    TokenInvalid = "token_invalid",
    TokenExpired = "token_expired",
    InsufficientScope = "insufficient_scope",
    NotFound = "not_found",
    Conflict = "conflict",
    Validation = "validation",
    RateLimited = "rate_limited",
    TooLarge = "too_large",
    ServerError = "server_error",
    ApiError = "api_error",
    AuthRequired = "auth_required",
    TokenEncoding = "token_encoding",
    InvalidGrant = "invalid_grant",
    InvalidClient = "invalid_client",
    InvalidScope = "invalid_scope",
    OAuthError = "oauth_error",
    Network = "network",
    Certificate = "certificate",
    /// The network's proxy would not open a way to the server: it wants a user name and password
    /// (407), or it refused (a wrong password, a server it does not allow).
    Proxy = "proxy",
    Timeout = "timeout",
    BadResponse = "bad_response",
    CallbackRejected = "callback_rejected",
    SignInCancelled = "sign_in_cancelled",
    KeystoreUnavailable = "keystore_unavailable",
    NeedsReauth = "needs_reauth",
    SessionExpired = "session_expired",
    /// The server's access tokens cannot be used: they expire before they can be, or its
    /// marketplace refuses them (`account/pacing.rs`).
    TokensUnusable = "tokens_unusable",
    NotRevoked = "not_revoked",
    DiscoveryFailed = "discovery_failed",
    Config = "config",
    /// The system browser (or the desktop's opener) could not be started (the shell's).
    BrowserNotStarted = "browser_not_started",
    /// Only http and https addresses open in the browser (the shell's).
    UnsupportedLink = "unsupported_link",
    /// A link in the app's scheme that opens nothing: not a skill's, not a sign-in's.
    BadLink = "bad_link",
    /// An account the app no longer has (it was signed out of meanwhile; the shell's).
    NoSuchAccount = "no_such_account",
    /// Another account of the app already has this account's keystore entry open.
    AccountInUse = "account_in_use",
    /// The loopback listener for the sign-in could not be started (the shell's).
    LoopbackUnavailable = "loopback_unavailable",
    /// The embedded sandbox could not start, or this build has none (the shell's).
    SandboxUnavailable = "sandbox_unavailable",
    /// The app's settings (or one saved account) could not be read; nothing was deleted.
    SettingsUnreadable = "settings_unreadable",
    /// The update server could not be reached.
    UpdateOffline = "update_offline",
    /// The update feed could not be read, or was not a feed.
    UpdateFeed = "update_feed",
    /// The latest release has no package for this kind of install.
    UpdateNoPackage = "update_no_package",
    /// An update was refused: its signature, its version, its size or where it came from.
    UpdateRefused = "update_refused",
    /// An update's download broke off or failed.
    UpdateBroken = "update_broken",
    /// An update was verified but could not be installed.
    UpdateInstall = "update_install",
    /// This copy of the app does not install updates itself (a development build).
    UpdateUnavailable = "update_unavailable",
    /// Made by the window for a failure outside the command layer (a bug, a lost IPC call).
    Internal = "internal",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// The marketplace answered with an error.
    #[error("{message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        fields: BTreeMap<String, String>,
        request_id: Option<String>,
    },
    /// The OAuth token or revocation endpoint answered with an error (RFC 6749 §5.2).
    #[error("{description}")]
    OAuth { status: u16, error: String, description: String, step: OAuthStep },
    #[error("too many requests; try again in {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    #[error("cannot reach the server ({0})")]
    Network(String),
    /// The server's TLS certificate is not trusted by this computer's trust store.
    #[error("the server's certificate is not trusted by this computer ({0})")]
    Certificate(String),
    /// The proxy answered CONNECT with 407: it wants a user name and password.
    #[error("the network's proxy asks for a user name and password")]
    ProxyWantsPassword,
    /// The proxy answered CONNECT with another refusal: a wrong password (to some proxies), or a server
    /// it does not allow.
    #[error("the network's proxy refused to connect to the server")]
    ProxyRefused,
    #[error("the server did not answer in time")]
    Timeout,
    #[error("unexpected reply from the server ({0})")]
    BadResponse(String),
    /// Refused before sending: the input breaks the contract's rules.
    #[error("some fields are invalid")]
    Invalid { fields: BTreeMap<String, String> },
    #[error("sign-in link rejected: {0}")]
    Callback(CallbackError),
    #[error("sign-in was cancelled in the browser")]
    Cancelled,
    /// A sign-out (or another sign-in) came while this sign-in's code was exchanged: it stands, and
    /// this sign-in's tokens were revoked.
    #[error("the sign-in was cancelled: the account was signed out while it completed")]
    Overtaken,
    #[error("system keystore: {0}")]
    Keystore(StoreError),
    /// The session ended at the server (a refresh was refused): the user must sign in again.
    #[error("your session has ended ({0})")]
    NeedsReauth(Box<Error>),
    /// The server issued no refresh token, and the access token has expired.
    #[error("your session with this server has ended: it did not let the app stay signed in")]
    SessionExpired,
    /// The server's tokens cannot be used (why, in the user's words): the app stops asking it for a while.
    #[error("{0}")]
    TokensUnusable(String),
    /// Signed out on this computer, but the server was not told (no revocation endpoint, or it failed).
    #[error("signed out on this computer, but the server was not told: {0}")]
    NotRevoked(String),
    /// The server's metadata (RFC 8414 / OpenID Connect discovery) could not be used.
    #[error("{0}")]
    Discovery(String),
    #[error("not signed in")]
    NotSignedIn,
    #[error("this is not an ATOM API key (expected atom_pub_ followed by a UUID)")]
    InvalidApiKeyFormat,
    #[error("{0}")]
    Config(String),
    /// A link in the app's scheme was refused, and changed nothing (`applink.rs`).
    #[error("this link does not open anything in the app: {0}")]
    BadAppLink(String),
    #[error("another account of the app already uses this account's place in the keystore")]
    AccountInUse,
}

/// What the UI receives: `{code, message, hint, fields}`.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorInfo {
    pub code: ErrorCode,
    pub message: String,
    pub hint: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<BTreeMap<String, String>>"))]
    pub fields: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional, type = "number"))]
    pub retry_after_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub request_id: Option<String>,
}

fn code_for_status(status: u16) -> ErrorCode {
    match status {
        401 => ErrorCode::AuthRequired,
        403 => ErrorCode::InsufficientScope,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        400 | 422 => ErrorCode::Validation,
        413 => ErrorCode::TooLarge,
        429 => ErrorCode::RateLimited,
        500..=599 => ErrorCode::ServerError,
        _ => ErrorCode::ApiError,
    }
}

impl Error {
    /// A stable, lower-case code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Api { status, code, .. } => match code.as_str() {
                "INVALID_API_KEY" => ErrorCode::InvalidApiKey,
                "AUTH_REQUIRED" => ErrorCode::AuthRequired,
                "OAUTH_TOKEN_INVALID" => ErrorCode::TokenInvalid,
                "OAUTH_TOKEN_EXPIRED" => ErrorCode::TokenExpired,
                "INSUFFICIENT_SCOPE" => ErrorCode::InsufficientScope,
                "NOT_FOUND" => ErrorCode::NotFound,
                "CONFLICT" => ErrorCode::Conflict,
                "VALIDATION_ERROR" => ErrorCode::Validation,
                "RATE_LIMIT_EXCEEDED" => ErrorCode::RateLimited,
                "PAYLOAD_TOO_LARGE" => ErrorCode::TooLarge,
                "INTERNAL_ERROR" => ErrorCode::ServerError,
                // RFC 6750 §3.1, in a body or a WWW-Authenticate challenge.
                "invalid_token" => ErrorCode::TokenInvalid,
                "insufficient_scope" => ErrorCode::InsufficientScope,
                _ => code_for_status(*status),
            },
            Error::OAuth { .. } if self.is_token_encoding_refusal() => ErrorCode::TokenEncoding,
            Error::OAuth { error, .. } => match error.as_str() {
                "invalid_grant" => ErrorCode::InvalidGrant,
                "invalid_client" => ErrorCode::InvalidClient,
                "invalid_scope" => ErrorCode::InvalidScope,
                _ => ErrorCode::OAuthError,
            },
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::Network(_) => ErrorCode::Network,
            Error::Certificate(_) => ErrorCode::Certificate,
            Error::ProxyWantsPassword | Error::ProxyRefused => ErrorCode::Proxy,
            Error::Timeout => ErrorCode::Timeout,
            Error::BadResponse(_) => ErrorCode::BadResponse,
            Error::Invalid { .. } => ErrorCode::Validation,
            Error::Callback(_) => ErrorCode::CallbackRejected,
            Error::Cancelled | Error::Overtaken => ErrorCode::SignInCancelled,
            Error::Keystore(_) => ErrorCode::KeystoreUnavailable,
            Error::NeedsReauth(_) => ErrorCode::NeedsReauth,
            Error::SessionExpired => ErrorCode::SessionExpired,
            Error::TokensUnusable(_) => ErrorCode::TokensUnusable,
            Error::NotRevoked(_) => ErrorCode::NotRevoked,
            Error::Discovery(_) => ErrorCode::DiscoveryFailed,
            Error::NotSignedIn => ErrorCode::AuthRequired,
            Error::InvalidApiKeyFormat => ErrorCode::InvalidApiKey,
            Error::Config(_) => ErrorCode::Config,
            Error::BadAppLink(_) => ErrorCode::BadLink,
            Error::AccountInUse => ErrorCode::AccountInUse,
        }
    }

    /// A standard server that takes only form-encoded token requests, refusing ATOM's JSON.
    fn is_token_encoding_refusal(&self) -> bool {
        let Error::OAuth { status, description, .. } = self else { return false };
        let d = description.to_ascii_lowercase();
        *status == 415 || d.contains("x-www-form-urlencoded") || d.contains("content-type")
    }

    fn step(&self) -> Option<OAuthStep> {
        match self {
            Error::OAuth { step, .. } => Some(*step),
            _ => None,
        }
    }

    pub fn info(&self) -> ErrorInfo {
        let (fields, request_id) = match self {
            Error::Api { fields, request_id, .. } => (fields.clone(), request_id.clone()),
            Error::Invalid { fields } => (fields.clone(), None),
            _ => (BTreeMap::new(), None),
        };
        ErrorInfo {
            code: self.code(),
            message: self.to_string(),
            hint: self.hint(),
            fields,
            retry_after_secs: match self {
                Error::RateLimited { retry_after } => Some(retry_after.as_secs().max(1)),
                _ => None,
            },
            request_id,
        }
    }
}

impl ErrorInfo {
    /// An error the core did not make (the shell's, the updater's), with its code's hint.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorInfo {
        ErrorInfo {
            code,
            message: message.into(),
            hint: hints::hint_for(code).to_string(),
            fields: BTreeMap::new(),
            retry_after_secs: None,
            request_id: None,
        }
    }

    /// The same error with a hint that says more than its code's.
    pub fn with_hint(mut self, hint: impl Into<String>) -> ErrorInfo {
        self.hint = hint.into();
        self
    }
}

impl From<Error> for ErrorInfo {
    fn from(e: Error) -> ErrorInfo {
        e.info()
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Keystore(e)
    }
}

impl From<CallbackError> for Error {
    fn from(e: CallbackError) -> Self {
        match e {
            CallbackError::Denied => Error::Cancelled,
            other => Error::Callback(other),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_code_is_sent_to_the_ui_as_its_stable_string() {
        for code in super::ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_string()));
            let back: super::ErrorCode = serde_json::from_value(json).unwrap();
            assert_eq!(back, *code);
        }
        let info = super::ErrorInfo::from(super::Error::Network("connection refused".into()));
        assert_eq!(serde_json::to_value(&info).unwrap()["code"], "network");
    }
}
