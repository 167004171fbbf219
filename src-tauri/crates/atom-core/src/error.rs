//! One error type for the whole client, with a stable `code` the UI can branch on and a `hint` a user
//! can act on (the guide's troubleshooting where it has one).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::login::CallbackError;
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

/// Declares [`ErrorCode`] once: each variant with the stable string the UI and the tests see.
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
    NotRevoked = "not_revoked",
    DiscoveryFailed = "discovery_failed",
    Config = "config",
    /// The system browser (or the desktop's opener) could not be started.
    BrowserNotStarted = "browser_not_started",
    /// Only http and https addresses open in the browser.
    UnsupportedLink = "unsupported_link",
    /// The loopback listener for the sign-in could not be started.
    LoopbackUnavailable = "loopback_unavailable",
    /// The embedded sandbox could not start, or this build has none.
    SandboxUnavailable = "sandbox_unavailable",
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
    #[error("system keystore: {0}")]
    Keystore(StoreError),
    /// The session ended at the server (a refresh was refused): the user must sign in again.
    #[error("your session has ended ({0})")]
    NeedsReauth(Box<Error>),
    /// The server issued no refresh token, and the access token has expired.
    #[error("your session with this server has ended: it did not let the app stay signed in")]
    SessionExpired,
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
    #[error("the browser could not be started: {0}")]
    BrowserNotStarted(String),
    #[error("only web addresses (http or https) open in the browser")]
    UnsupportedLink,
    #[error("cannot listen on 127.0.0.1: {0}")]
    Loopback(String),
    #[error("{0}")]
    SandboxUnavailable(String),
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
            Error::Cancelled => ErrorCode::SignInCancelled,
            Error::Keystore(_) => ErrorCode::KeystoreUnavailable,
            Error::NeedsReauth(_) => ErrorCode::NeedsReauth,
            Error::SessionExpired => ErrorCode::SessionExpired,
            Error::NotRevoked(_) => ErrorCode::NotRevoked,
            Error::Discovery(_) => ErrorCode::DiscoveryFailed,
            Error::NotSignedIn => ErrorCode::AuthRequired,
            Error::InvalidApiKeyFormat => ErrorCode::InvalidApiKey,
            Error::Config(_) => ErrorCode::Config,
            Error::BrowserNotStarted(_) => ErrorCode::BrowserNotStarted,
            Error::UnsupportedLink => ErrorCode::UnsupportedLink,
            Error::Loopback(_) => ErrorCode::LoopbackUnavailable,
            Error::SandboxUnavailable(_) => ErrorCode::SandboxUnavailable,
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

    /// What the user can do about it.
    pub fn hint(&self) -> String {
        if let Error::NeedsReauth(cause) = self {
            return cause.hint();
        }
        let step = self.step();
        let hint = match self.code() {
            ErrorCode::InvalidGrant if step == Some(OAuthStep::Refresh) => {
                "Sign in again: the server ended this sign-in (it expired, was revoked, or you signed out \
                 elsewhere)."
            }
            ErrorCode::OAuthError if step == Some(OAuthStep::Refresh) => {
                "The server would not renew your sign-in. Sign in again; if it keeps happening, check the \
                 environment's settings."
            }
            ErrorCode::OAuthError if step == Some(OAuthStep::Revoke) => {
                "You are signed out on this computer. The server may still hold the sign-in until it expires."
            }
            ErrorCode::InvalidApiKey => {
                "Check that the key is copied exactly, with no extra spaces; that it has not been revoked \
                 (ATOM → Settings → API Keys); and that its scope allows this action."
            }
            ErrorCode::InvalidGrant => {
                "Sign in again. The sign-in code may have expired (codes last 10 minutes) or already been used, \
                 the redirect URI may not match the registered one, or the session was ended elsewhere."
            }
            ErrorCode::InvalidClient => {
                "The app's client ID or secret was not accepted. Check the environment's client settings and \
                 that the application is registered and active."
            }
            ErrorCode::InvalidScope => {
                "The server refused the requested permissions. Check the scopes in the server settings, \
                 then sign in again."
            }
            ErrorCode::TokenEncoding => {
                "This server takes token requests form-encoded, as standard OAuth servers do. In the custom \
                 server settings, set the token request body to \"form\" (servers found by their address \
                 use it already), then sign in again."
            }
            ErrorCode::OAuthError => "Sign-in failed. Start again from the app.",
            ErrorCode::SessionExpired => {
                "Sign in again. To stay signed in longer, ask for offline access in the server settings, if \
                 the server offers it."
            }
            ErrorCode::NotRevoked => {
                "Your sign-in may stay valid at the server until it expires. To end it now, revoke the app's \
                 access on the server's own website."
            }
            ErrorCode::DiscoveryFailed => {
                "Check the server's address (its issuer, such as https://login.example.com), or enter its \
                 endpoints by hand."
            }
            ErrorCode::RateLimited => {
                return match self {
                    Error::RateLimited { retry_after } => format!(
                        "Too many requests. Wait {} s and try again. Signing in raises the limit \
                         (API key 300/min, browser sign-in 600/min).",
                        retry_after.as_secs().max(1)
                    ),
                    _ => "Too many requests. Wait a minute and try again.".into(),
                }
            }
            ErrorCode::InsufficientScope => {
                "Your credential can only browse. To submit, rate or review, sign in with the browser or use an \
                 API key with the read_write scope."
            }
            ErrorCode::AuthRequired => "Sign in to submit, rate or review skills.",
            ErrorCode::TokenExpired | ErrorCode::TokenInvalid | ErrorCode::NeedsReauth => "Your session has ended. Sign in again.",
            ErrorCode::Validation => "Correct the highlighted fields and try again.",
            ErrorCode::NotFound => "It may have been removed. Refresh the list.",
            ErrorCode::Conflict => "A skill with this name and version already exists. Change the version number.",
            ErrorCode::TooLarge => "The text is too long to send. Shorten it and try again.",
            ErrorCode::Network => "Check your internet connection, proxy or firewall, then try again.",
            ErrorCode::Certificate => {
                if cfg!(windows) {
                    "If your network inspects secure connections (as some companies do), its root certificate \
                     must be installed in this computer's trust store (Windows' Trusted Root Certification \
                     Authorities, usually by your IT department). Otherwise do not go on: the connection may be \
                     intercepted."
                } else if cfg!(target_os = "macos") {
                    "If your network inspects secure connections (as some companies do), its root certificate \
                     must be installed in this computer's trust store (the System keychain, marked as trusted). \
                     Otherwise do not go on: the connection may be intercepted."
                } else {
                    "If your network inspects secure connections (as some companies do), its root certificate \
                     must be installed in this computer's trust store (on Debian and Ubuntu: into \
                     /usr/local/share/ca-certificates, then update-ca-certificates). Otherwise do not go on: the \
                     connection may be intercepted."
                }
            }
            ErrorCode::Proxy => {
                return match self {
                    Error::ProxyWantsPassword => "Start the app with them in the proxy's address \
                         (HTTPS_PROXY=http://user:password@proxy:port), or ask whoever runs your network.",
                    _ => "If the proxy needs a user name and password, check them in its address \
                          (HTTPS_PROXY=http://user:password@proxy:port); otherwise ask whoever runs your network \
                          to allow this server.",
                }
                .into()
            }
            ErrorCode::Timeout => "The server is slow to answer. Try again in a moment.",
            ErrorCode::ServerError => {
                "The marketplace had a problem. Try again later; if it persists, see https://atomagentos.com/status."
            }
            ErrorCode::BadResponse => "The server sent something unexpected. Try again, or check the environment settings.",
            ErrorCode::CallbackRejected => {
                "This sign-in link is not the one the app is waiting for. Start the sign-in again from the app."
            }
            ErrorCode::SignInCancelled => "Sign-in was cancelled. Try again when you are ready.",
            ErrorCode::KeystoreUnavailable => {
                "The system keystore is locked or unavailable, so you stay signed in only until the app closes. \
                 Unlock it (or install one) to be remembered."
            }
            ErrorCode::Config => "Check the environment settings.",
            ErrorCode::BrowserNotStarted => {
                "Open the address yourself: copy it into a browser. To fix it for next time, set a default \
                 web browser in the system settings (xdg-settings set default-web-browser …)."
            }
            ErrorCode::UnsupportedLink => "Only web pages open from the app. Copy the address if you trust it.",
            ErrorCode::LoopbackUnavailable => {
                "Use the browser sign-in's own link instead, or paste the address the browser ended on."
            }
            ErrorCode::SandboxUnavailable => {
                "Run the standalone sandbox (atom-sandbox) and connect to it as a custom server, or start the \
                 app with --server URL."
            }
            ErrorCode::ApiError | ErrorCode::Internal => "Try again.",
        };
        hint.to_string()
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

    pub(crate) fn from_reqwest(e: reqwest::Error) -> Error {
        // A certificate the trust store does not accept (OpenSSL, SChannel and Security framework say
        // "certificate" in their messages); the message names the reason, never the URL. A proxy that
        // would not open the tunnel, in hyper-util's words: 407, or any other refusal; or that could
        // not be reached at all (the network, as far as the app can tell, is down).
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            let text = cause.to_string();
            match text.strip_prefix("tunnel error: ") {
                Some("proxy authorization required") => return Error::ProxyWantsPassword,
                Some("unsuccessful") => return Error::ProxyRefused,
                Some("failed to create underlying connection") => {
                    return Error::Network("the proxy did not answer".into())
                }
                _ => {}
            }
            // SChannel says it in Windows' language, and Wine not at all: its code says it everywhere.
            // native-tls keeps the I/O error inside its own (not as its source), so the code is read
            // from the words both print: "… (os error -2146762481)", "OS Error -2146762481 (…)".
            if let Some(reason) = os_error_code(&text).and_then(windows_certificate_reason) {
                return Error::Certificate(reason.into());
            }
            if text.to_ascii_lowercase().contains("certificate") {
                let reason = text.rsplit(':').next().unwrap_or(&text);
                let reason = reason.trim().trim_start_matches('(').trim_end_matches(')');
                return Error::Certificate(reason.chars().take(120).collect());
            }
            source = cause.source();
        }
        // A server that never answered is unreachable (offline, or a network that drops packets); one
        // that connected and then went quiet is slow.
        if e.is_connect() {
            return Error::Network(
                if e.is_timeout() { "connection timed out" } else { "connection failed" }.into(),
            );
        }
        if e.is_timeout() {
            return Error::Timeout;
        }
        // Say what failed without the URL, which may carry a search query.
        let kind = if e.is_body() || e.is_decode() {
            "the reply was cut off"
        } else if e.is_request() {
            "the request could not be sent"
        } else {
            "network error"
        };
        Error::Network(kind.into())
    }
}

/// The number in an operating-system error's text, as Rust's I/O errors print it.
fn os_error_code(text: &str) -> Option<i32> {
    let lower = text.to_ascii_lowercase();
    let rest = &lower[lower.find("os error ")? + "os error ".len()..];
    let end = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].parse().ok()
}

/// The reason in a Windows certificate error (an `HRESULT` SChannel returns through native-tls as the
/// I/O error's code), or `None` for any other code. Unix error numbers are small and positive, so
/// they never match.
pub(crate) fn windows_certificate_reason(code: i32) -> Option<&'static str> {
    let reason = match code as u32 {
        0x800B_0101 | 0x8009_0328 => "the certificate has expired or is not yet valid",
        0x800B_0109 | 0x8009_0325 => "its root certificate is not trusted",
        0x800B_010A => "its chain does not lead to a trusted root",
        0x800B_010C => "the certificate has been revoked",
        0x800B_010E => "whether it was revoked could not be checked",
        0x800B_010F | 0x8009_0322 => "the certificate is for another name",
        0x800B_0106 | 0x800B_0110 => "the certificate is not meant for servers",
        0x8009_6004 => "its signature is not valid",
        0x800B_0100..=0x800B_01FF | 0x8009_0327 => "Windows does not accept it",
        _ => return None,
    };
    Some(reason)
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

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.chars().take(500).collect()),
        _ => None,
    }
}

/// The most field errors one reply brings to the window.
pub const FIELDS_MAX: usize = 50;

/// A field error as the window gets it: the name cut to 64 characters, the message to 300.
fn bounded_field(name: &str, message: &str) -> (String, String) {
    (name.chars().take(64).collect(), message.chars().take(300).collect())
}

fn fields_of(details: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(map) = details.get("fields").and_then(Value::as_object) {
        for (k, v) in map.iter().take(FIELDS_MAX) {
            let message = match v {
                Value::String(s) => s.clone(),
                Value::Array(items) => items.iter().take(10).filter_map(text).collect::<Vec<_>>().join("; "),
                other => other.to_string().chars().take(300).collect(),
            };
            let (k, message) = bounded_field(k, &message);
            out.insert(k, message);
        }
    }
    out
}

/// `{"detail":[{"loc":["body","name"],"msg":"..."}]}`, as FastAPI services answer.
fn fields_of_detail_list(items: &[Value]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for item in items {
        let field = item
            .get("loc")
            .and_then(Value::as_array)
            .and_then(|loc| loc.iter().rev().find_map(|p| p.as_str().map(str::to_string)))
            .unwrap_or_else(|| "body".into());
        if let Some(msg) = item.get("msg").and_then(text) {
            let (field, msg) = bounded_field(&field, &msg);
            out.entry(field).or_insert(msg);
        }
        if out.len() == FIELDS_MAX {
            break;
        }
    }
    out
}

/// Reads a marketplace error reply of any shape ATOM has used, or none; never fails.
pub fn parse_api_error(status: u16, body: &[u8], retry_after: Option<Duration>) -> Error {
    // Only a proxy answers 407: a plain-HTTP request went through one that wants a password.
    if status == 407 {
        return Error::ProxyWantsPassword;
    }
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let mut code = String::new();
    let mut message = None;
    let mut fields = BTreeMap::new();
    let mut request_id = None;
    if let Some(v) = &json {
        match v.get("error") {
            // The documented envelope.
            Some(err @ Value::Object(_)) => {
                code = err.get("code").and_then(Value::as_str).unwrap_or_default().to_string();
                message = err.get("message").and_then(text);
                fields = err.get("details").map(fields_of).unwrap_or_default();
                request_id = v.pointer("/meta/request_id").and_then(Value::as_str).map(str::to_string);
            }
            // `{"error":"...","detail":"..."}` and OAuth-style `{"error","error_description"}`.
            Some(Value::String(e)) => {
                code = e.clone();
                message =
                    v.get("detail").and_then(text).or_else(|| v.get("error_description").and_then(text));
            }
            _ => {}
        }
        if code.is_empty() {
            if let Some(c) = v.get("error_code").and_then(Value::as_str) {
                code = c.to_string();
            }
        }
        if message.is_none() {
            message = v.get("message").and_then(text);
        }
        match v.get("detail") {
            Some(Value::Array(items)) if fields.is_empty() => {
                fields = fields_of_detail_list(items);
                if code.is_empty() && !fields.is_empty() {
                    code = "VALIDATION_ERROR".into();
                }
            }
            Some(d @ Value::String(_)) if message.is_none() => message = text(d),
            Some(d @ Value::Object(_)) if message.is_none() => {
                message = d
                    .get("message")
                    .and_then(text)
                    .or_else(|| Some(d.to_string().chars().take(300).collect()))
            }
            _ => {}
        }
    }
    if status == 429 || code == "RATE_LIMIT_EXCEEDED" {
        let from_body = json
            .as_ref()
            .and_then(|v| v.pointer("/error/details/retry_after"))
            .and_then(Value::as_u64)
            .map(Duration::from_secs);
        let wait = retry_after.or(from_body).unwrap_or(Duration::from_secs(60));
        return Error::RateLimited { retry_after: wait.min(crate::contract::limits::MAX_SERVER_WAIT) };
    }
    let message = message.unwrap_or_else(|| match status {
        401 => "Authentication is required.".into(),
        403 => "This credential is not allowed to do that.".into(),
        404 => "Not found.".into(),
        500..=599 => format!("The server failed (HTTP {status})."),
        _ => format!("The request failed (HTTP {status})."),
    });
    Error::Api { status, code, message, fields, request_id }
}

/// Reads an RFC 6750 `WWW-Authenticate: Bearer error="…", error_description="…"` challenge, among
/// any others the header holds.
pub fn bearer_challenge(header: &str) -> Option<(String, Option<String>)> {
    let (_, params) =
        challenges(header)?.into_iter().find(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))?;
    let param = |name: &str| params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v);
    let error = param("error")?.chars().take(64).collect::<String>();
    let description = param("error_description").map(|d| d.chars().take(300).collect::<String>());
    Some((error, description))
}

/// An authentication scheme and its parameters, as a `WWW-Authenticate` header names them.
type Challenge = (String, Vec<(String, String)>);

/// The challenges of a `WWW-Authenticate` header (RFC 9110 §11.6.1): each scheme with its parameters,
/// values unquoted (`\"` is a quote). A token not followed by `=` starts the next challenge. `None`
/// for a header that does not parse (an unterminated quoted string).
fn challenges(header: &str) -> Option<Vec<Challenge>> {
    let is_token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~/".contains(c);
    let mut out: Vec<Challenge> = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.is_empty() {
            return Some(out);
        }
        let end = rest.find(|c: char| !is_token(c)).unwrap_or(rest.len());
        if end == 0 {
            // Not a token (a stray character): skip it.
            rest = &rest[rest.chars().next().map_or(1, char::len_utf8)..];
            continue;
        }
        let token = &rest[..end];
        let after = rest[end..].trim_start();
        match (after.strip_prefix('='), out.last_mut()) {
            (Some(value), Some((_, params))) if !value.starts_with('=') => {
                let value = value.trim_start();
                let (value, tail) = match value.strip_prefix('"') {
                    Some(quoted) => unquote(quoted)?,
                    None => {
                        let end = value.find(',').unwrap_or(value.len());
                        (value[..end].trim().to_string(), &value[end..])
                    }
                };
                params.push((token.to_string(), value));
                rest = tail;
            }
            // A token68 (`Negotiate abc==`): the credentials' form, no parameters to read.
            (Some(_), Some(_)) => {
                let end = after.find(',').unwrap_or(after.len());
                rest = &after[end..];
            }
            _ => {
                out.push((token.to_string(), Vec::new()));
                rest = after;
            }
        }
    }
}

/// A quoted string's value, from just after its opening quote, and what follows its closing one.
fn unquote(s: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &s[i + 1..])),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    None
}

/// Adds what a `WWW-Authenticate` challenge says to an API error whose body did not say it.
pub fn with_bearer_challenge(error: Error, header: Option<&str>) -> Error {
    let Some((challenge, description)) = header.and_then(bearer_challenge) else { return error };
    match error {
        Error::Api { status, code, message, fields, request_id } if code.is_empty() || code == challenge => {
            let message = match description {
                Some(d) if code.is_empty() => d,
                _ => message,
            };
            Error::Api { status, code: challenge, message, fields, request_id }
        }
        other => other,
    }
}

/// Reads an OAuth endpoint error reply (RFC 6749 §5.2), or whatever else came back, for `step`.
pub fn parse_oauth_error(status: u16, body: &[u8], step: OAuthStep) -> Error {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if let Some(error) = json.as_ref().and_then(|v| v.get("error")).and_then(Value::as_str) {
        let error: String = error.chars().take(64).collect();
        let description = json
            .as_ref()
            .and_then(|v| v.get("error_description"))
            .and_then(text)
            .unwrap_or_else(|| error.replace('_', " "));
        return Error::OAuth { status, error, description, step };
    }
    match status {
        500..=599 => Error::Api {
            status,
            code: String::new(),
            message: format!("The sign-in server failed (HTTP {status})."),
            fields: BTreeMap::new(),
            request_id: None,
        },
        _ => Error::BadResponse(format!("HTTP {status} from the sign-in server")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn windows_certificate_errors_are_known_by_their_code_not_their_words() {
        use super::windows_certificate_reason as reason;
        // CERT_E_UNTRUSTEDROOT, SEC_E_UNTRUSTED_ROOT, CERT_E_CN_NO_MATCH as native-tls returns them.
        assert_eq!(reason(0x800B_0109_u32 as i32), Some("its root certificate is not trusted"));
        assert_eq!(reason(0x8009_0325_u32 as i32), Some("its root certificate is not trusted"));
        assert_eq!(reason(-2146762481), Some("the certificate is for another name"));
        assert_eq!(reason(0x800B_0150_u32 as i32), Some("Windows does not accept it"));
        // Connection refused on Linux and on Windows, and SEC_E_INTERNAL_ERROR: not certificates.
        for other in [111, 10061, 0x8009_0304_u32 as i32, 0] {
            assert_eq!(reason(other), None, "{other:#x}");
        }
        // The code as Windows prints it, as Wine does (it has no text for it), and as Linux prints errno.
        let windows = "The certificate's CN name does not match the passed value. (os error -2146762481)";
        let wine = "OS Error -2146762481 (FormatMessageW() returned error 317)";
        assert_eq!(super::os_error_code(windows), Some(-2146762481));
        assert_eq!(super::os_error_code(wine), Some(-2146762481));
        assert_eq!(super::os_error_code("Connection refused (os error 111)"), Some(111));
        assert_eq!(super::os_error_code("certificate verify failed"), None);
    }

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

    use super::*;

    #[test]
    fn reads_the_documented_envelope() {
        let body =
            br#"{"success":false,"error":{"code":"VALIDATION_ERROR","message":"Some fields are invalid.",
            "details":{"fields":{"name":"too short"}}},"meta":{"timestamp":"t","request_id":"r-1"}}"#;
        let e = parse_api_error(422, body, None);
        assert_eq!(e.code(), "validation");
        assert_eq!(e.to_string(), "Some fields are invalid.");
        let info = e.info();
        assert_eq!(info.fields["name"], "too short");
        assert_eq!(info.request_id.as_deref(), Some("r-1"));
    }

    #[test]
    fn reads_every_other_shape_atom_has_used() {
        let e = parse_api_error(401, br#"{"error_code":"INVALID_API_KEY","message":"bad key"}"#, None);
        assert_eq!((e.code().as_str(), e.to_string()), ("invalid_api_key", "bad key".to_string()));
        let e = parse_api_error(404, br#"{"error":"NOT_FOUND","detail":"no such skill"}"#, None);
        assert_eq!((e.code().as_str(), e.to_string()), ("not_found", "no such skill".to_string()));
        let e = parse_api_error(400, br#"{"detail":"Bad filter"}"#, None);
        assert_eq!((e.code().as_str(), e.to_string()), ("validation", "Bad filter".to_string()));
        let e = parse_api_error(422, br#"{"detail":[{"loc":["body","version"],"msg":"not semver"}]}"#, None);
        assert_eq!(e.code(), "validation");
        assert_eq!(e.info().fields["version"], "not semver");
        let e = parse_api_error(500, br#"{"detail":{"reason":"db down"}}"#, None);
        assert_eq!(e.code(), "server_error");
    }

    #[test]
    fn unknown_and_garbage_bodies_fall_back_on_the_status() {
        for (status, body, code) in [
            (503, &b"<html>Bad gateway</html>"[..], "server_error"),
            (403, &b""[..], "insufficient_scope"),
            (418, &b"{\"weird\": true}"[..], "api_error"),
            (404, &b"\xff\xfe\x00"[..], "not_found"),
            (409, &b"[1,2,3]"[..], "conflict"),
            (407, &b"<html>Proxy Authentication Required</html>"[..], "proxy"),
        ] {
            let e = parse_api_error(status, body, None);
            assert_eq!(e.code(), code, "{status}");
            assert!(!e.to_string().contains("<html>"));
        }
    }

    #[test]
    fn rate_limit_prefers_retry_after_header() {
        let body =
            br#"{"error":{"code":"RATE_LIMIT_EXCEEDED","message":"slow","details":{"retry_after":9}}}"#;
        let e = parse_api_error(429, body, Some(Duration::from_secs(3)));
        assert!(matches!(e, Error::RateLimited { retry_after } if retry_after == Duration::from_secs(3)));
        let e = parse_api_error(429, body, None);
        assert_eq!(e.info().retry_after_secs, Some(9));
        assert!(e.hint().contains("9 s"));
    }

    #[test]
    fn oauth_errors_carry_the_guides_fixes() {
        let e = parse_oauth_error(
            400,
            br#"{"error":"invalid_grant","error_description":"code expired"}"#,
            OAuthStep::SignIn,
        );
        assert_eq!(e.code(), "invalid_grant");
        assert!(e.hint().contains("10 minutes"));
        let e = parse_oauth_error(401, br#"{"error":"invalid_client"}"#, OAuthStep::SignIn);
        assert_eq!(e.code(), "invalid_client");
        assert!(e.hint().contains("client ID or secret"));
        assert_eq!(parse_oauth_error(502, b"<html>", OAuthStep::SignIn).code(), "server_error");
        assert_eq!(parse_oauth_error(200, b"nonsense", OAuthStep::SignIn).code(), "bad_response");
    }

    #[test]
    fn hints_fit_the_step_that_failed() {
        let body = br#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#;
        let at_sign_in = parse_oauth_error(400, body, OAuthStep::SignIn);
        let at_refresh = parse_oauth_error(400, body, OAuthStep::Refresh);
        assert!(at_sign_in.hint().contains("10 minutes"), "a sign-in code's troubles");
        assert!(!at_refresh.hint().contains("code"), "a refresh is not about codes: {}", at_refresh.hint());
        assert!(at_refresh.hint().starts_with("Sign in again"));
        // Re-authentication keeps the server's words and the advice apart.
        let e = Error::NeedsReauth(Box::new(at_refresh));
        assert_eq!(e.to_string(), "your session has ended (grant request is invalid)");
        assert!(e.hint().starts_with("Sign in again"));
        assert!(!e.info().message.contains("Sign in again"));
    }

    #[test]
    fn a_form_only_server_refusing_json_points_at_the_setting() {
        let body = br#"{"error":"invalid_request","error_description":"only application/x-www-form-urlencoded content-type bodies are supported"}"#;
        let e = parse_oauth_error(400, body, OAuthStep::SignIn);
        assert_eq!(e.code(), "token_encoding");
        assert!(e.hint().contains("form"), "{}", e.hint());
    }

    /// Quoted strings with escapes (RFC 9110 §5.6.4), and several challenges in one header (§11.6.1),
    /// the Bearer one anywhere among them.
    #[test]
    fn bearer_challenges_with_escapes_or_among_others_are_read() {
        assert_eq!(
            bearer_challenge(
                r#"Bearer realm="say \"hi\", please", error="invalid_token", error_description="The token \"x\" expired""#
            ),
            Some(("invalid_token".into(), Some(r#"The token "x" expired"#.into())))
        );
        assert_eq!(
            bearer_challenge(
                r#"Basic realm="api, v1", charset="UTF-8", Bearer error="insufficient_scope", scope="write""#
            ),
            Some(("insufficient_scope".into(), None))
        );
        assert_eq!(
            bearer_challenge(r#"Bearer error="invalid_token", Basic realm="x""#),
            Some(("invalid_token".into(), None))
        );
        assert_eq!(
            bearer_challenge(
                r#"Newauth realm="apps", type=1, title="Login to \"apps\"", bearer error=invalid_token"#
            ),
            Some(("invalid_token".into(), None))
        );
        assert_eq!(bearer_challenge(r#"Basic realm="x", Negotiate abc=="#), None);
    }

    /// A server's field errors reach the window bounded: at most [`FIELDS_MAX`] fields, names and messages
    /// cut to length, whatever the reply holds.
    #[test]
    fn field_errors_are_bounded() {
        let fields: serde_json::Map<String, Value> =
            (0..1000).map(|i| (format!("{i}{}", "n".repeat(500)), Value::String("m".repeat(5000)))).collect();
        let body = serde_json::json!({"error": {"code": "VALIDATION_ERROR", "message": "x", "details": {"fields": fields}}});
        let info = parse_api_error(422, body.to_string().as_bytes(), None).info();
        assert_eq!(info.fields.len(), FIELDS_MAX);
        assert!(info.fields.iter().all(|(k, v)| k.chars().count() <= 64 && v.chars().count() <= 300));
        let detail: Vec<Value> = (0..1000)
            .map(|i| serde_json::json!({"loc": ["body", format!("f{i}")], "msg": "m".repeat(5000)}))
            .collect();
        let info =
            parse_api_error(422, serde_json::json!({"detail": detail}).to_string().as_bytes(), None).info();
        assert_eq!(info.fields.len(), FIELDS_MAX);
        assert!(info.fields.values().all(|v| v.chars().count() <= 300));
    }

    #[test]
    fn bearer_challenges_are_read() {
        assert_eq!(
            bearer_challenge(
                r#"Bearer realm="api", error="invalid_token", error_description="The access token expired""#
            ),
            Some(("invalid_token".into(), Some("The access token expired".into())))
        );
        assert_eq!(
            bearer_challenge("Bearer error=insufficient_scope"),
            Some(("insufficient_scope".into(), None))
        );
        assert_eq!(bearer_challenge(r#"Basic realm="x""#), None);
        assert_eq!(bearer_challenge("Bearer"), None);
        assert_eq!(bearer_challenge(r#"Bearer error="unterminated"#), None);
        let plain = parse_api_error(401, br#""#, None);
        let e = with_bearer_challenge(plain, Some(r#"Bearer error="invalid_token""#));
        assert_eq!(e.code(), "token_invalid");
        let e = parse_api_error(401, br#"{"error":"invalid_token"}"#, None);
        assert_eq!(e.code(), "token_invalid", "RFC 6750's code in a body");
        let e = with_bearer_challenge(
            parse_api_error(403, b"", None),
            Some(r#"Bearer error="insufficient_scope""#),
        );
        assert_eq!(e.code(), "insufficient_scope");
        assert!(e.hint().contains("can only browse"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const CODES: &[&str] = &[
            "invalid_api_key",
            "auth_required",
            "token_invalid",
            "token_expired",
            "insufficient_scope",
            "not_found",
            "conflict",
            "validation",
            "rate_limited",
            "too_large",
            "server_error",
            "api_error",
            "invalid_grant",
            "invalid_client",
            "invalid_scope",
            "oauth_error",
            "bad_response",
            "token_encoding",
            // 407, whatever the body: a proxy on the way wants a password.
            "proxy",
        ];

        /// JSON of any shape, with the names error replies use so that the interesting branches run.
        fn json() -> impl Strategy<Value = Value> {
            let name = prop_oneof![
                Just("error".to_string()),
                Just("code".to_string()),
                Just("message".to_string()),
                Just("details".to_string()),
                Just("fields".to_string()),
                Just("detail".to_string()),
                Just("error_code".to_string()),
                Just("error_description".to_string()),
                Just("loc".to_string()),
                Just("msg".to_string()),
                Just("retry_after".to_string()),
                Just("meta".to_string()),
                Just("request_id".to_string()),
                "\\PC{0,8}",
            ];
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<f64>()
                    .prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
                "\\PC{0,600}".prop_map(Value::String),
                Just(Value::String("RATE_LIMIT_EXCEEDED".into())),
                Just(Value::String("INVALID_API_KEY".into())),
            ];
            leaf.prop_recursive(4, 64, 6, move |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    proptest::collection::btree_map(name.clone(), inner, 0..6)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        /// The shapes ATOM has used, with arbitrary contents.
        fn shaped() -> impl Strategy<Value = Value> {
            (json(), json(), json(), "\\PC{0,700}").prop_flat_map(|(a, b, c, text)| {
                prop_oneof![
                    Just(serde_json::json!({"success": false, "error": {"code": text, "message": a, "details": b}, "meta": c})),
                    Just(serde_json::json!({"error": text, "detail": a})),
                    Just(serde_json::json!({"error": text, "error_description": a})),
                    Just(serde_json::json!({"error_code": text, "message": a})),
                    Just(serde_json::json!({"detail": a})),
                    Just(serde_json::json!({"detail": [{"loc": a, "msg": b}, c]})),
                ]
            })
        }

        fn body() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
                shaped().prop_map(|v| serde_json::to_vec(&v).unwrap()),
                proptest::collection::vec(any::<u8>(), 0..300),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1000))]

            #[test]
            fn any_api_error_reply_is_read_without_panic_and_within_bounds(
                status in 100u16..600, body in body(), retry in proptest::option::of(any::<u64>()),
            ) {
                let e = parse_api_error(status, &body, retry.map(Duration::from_secs));
                let info = e.info();
                prop_assert!(CODES.contains(&info.code.as_str()), "unknown code {}", info.code);
                prop_assert!(info.message.chars().count() <= 600, "message of {} chars", info.message.chars().count());
                prop_assert!(!info.hint.is_empty());
                prop_assert!(info.fields.len() <= FIELDS_MAX);
                prop_assert!(info.fields.iter().all(|(k, v)| k.chars().count() <= 64 && v.chars().count() <= 300));
                if let Error::RateLimited { retry_after } = e {
                    prop_assert!(retry_after <= crate::contract::limits::MAX_SERVER_WAIT);
                }
            }

            #[test]
            fn any_authenticate_header_is_read_without_panic(header in "[ -~]{0,120}") {
                if let Some((error, description)) = bearer_challenge(&header) {
                    prop_assert!(error.chars().count() <= 64);
                    prop_assert!(description.is_none_or(|d| d.chars().count() <= 300));
                }
            }

            #[test]
            fn any_oauth_error_reply_is_read_without_panic_and_within_bounds(status in 100u16..600, body in body()) {
                let e = parse_oauth_error(status, &body, OAuthStep::Refresh);
                let info = e.info();
                prop_assert!(CODES.contains(&info.code.as_str()), "unknown code {}", info.code);
                if let Error::OAuth { error, description, .. } = &e {
                    prop_assert!(error.chars().count() <= 64);
                    prop_assert!(description.chars().count() <= 500);
                }
            }
        }
    }

    #[test]
    fn api_key_hint_follows_the_guide() {
        let e = parse_api_error(401, br#"{"error":{"code":"INVALID_API_KEY","message":"x"}}"#, None);
        let hint = e.hint();
        assert!(hint.contains("no extra spaces") && hint.contains("revoked") && hint.contains("scope"));
    }
}
