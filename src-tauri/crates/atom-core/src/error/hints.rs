//! What the user can do about an error: one table, a row per code (the guide's troubleshooting where it
//! has one). A few errors need more than their code to say it: the OAuth step that failed, the seconds
//! to wait, the proxy's kind of refusal.

use super::{Error, ErrorCode, OAuthStep};
use ErrorCode::*;

/// The hint for each code.
const HINTS: &[(ErrorCode, &str)] = &[
    (
        InvalidApiKey,
        "Check that the key is copied exactly, with no extra spaces; that it has not been revoked \
        (ATOM → Settings → API Keys); and that its scope allows this action.",
    ),
    (TokenInvalid, "Your session has ended. Sign in again."),
    (TokenExpired, "Your session has ended. Sign in again."),
    (
        InsufficientScope,
        "Your credential can only browse. To submit, rate or review, sign in with the browser or use an \
        API key with the read_write scope.",
    ),
    (NotFound, "It may have been removed. Refresh the list."),
    (Conflict, "A skill with this name and version already exists. Change the version number."),
    (Validation, "Correct the highlighted fields and try again."),
    (RateLimited, "Too many requests. Wait a minute and try again."),
    (TooLarge, "The text is too long to send. Shorten it and try again."),
    (
        ServerError,
        "The marketplace had a problem. Try again later; if it persists, see https://atomagentos.com/status.",
    ),
    (ApiError, "Try again."),
    (AuthRequired, "Sign in to submit, rate or review skills."),
    (
        TokenEncoding,
        "This server takes token requests form-encoded, as standard OAuth servers do. In the custom \
        server settings, set the token request body to \"form\" (servers found by their address \
        use it already), then sign in again.",
    ),
    (
        InvalidGrant,
        "Sign in again. The sign-in code may have expired (codes last 10 minutes) or already been used, \
        the redirect URI may not match the registered one, or the session was ended elsewhere.",
    ),
    (
        InvalidClient,
        "The app's client ID or secret was not accepted. Check the environment's client settings and \
        that the application is registered and active.",
    ),
    (
        InvalidScope,
        "The server refused the requested permissions. Check the scopes in the server settings, \
        then sign in again.",
    ),
    (OAuthError, "Sign-in failed. Start again from the app."),
    (Network, "Check your internet connection, proxy or firewall, then try again."),
    (Certificate, CERTIFICATE),
    (
        Proxy,
        "If the proxy needs a user name and password, check them in its address \
        (HTTPS_PROXY=http://user:password@proxy:port); otherwise ask whoever runs your network to allow \
        this server.",
    ),
    (Timeout, "The server is slow to answer. Try again in a moment."),
    (BadResponse, "The server sent something unexpected. Try again, or check the environment settings."),
    (
        CallbackRejected,
        "This sign-in link is not the one the app is waiting for. Start the sign-in again from the app.",
    ),
    (SignInCancelled, "Sign-in was cancelled. Try again when you are ready."),
    (
        KeystoreUnavailable,
        "The system keystore is locked or unavailable, so you stay signed in only until the app closes. \
        Unlock it (or install one) to be remembered.",
    ),
    (NeedsReauth, "Your session has ended. Sign in again."),
    (
        TokensUnusable,
        "Ask the server's administrator to issue access tokens that live at least a few seconds, \
        several times longer than its token endpoint takes to answer, and that its marketplace \
        accepts. The app asks the server again in a minute, or at once if you sign in again.",
    ),
    (
        SessionExpired,
        "Sign in again. To stay signed in longer, ask for offline access in the server settings, if \
        the server offers it.",
    ),
    (
        NotRevoked,
        "Your sign-in may stay valid at the server until it expires. To end it now, revoke the app's \
        access on the server's own website.",
    ),
    (
        DiscoveryFailed,
        "Check the server's address (its issuer, such as https://login.example.com), or enter its \
        endpoints by hand.",
    ),
    (Config, "Check the environment settings."),
    (
        BrowserNotStarted,
        "Open the address yourself: copy it into a browser. To fix it for next time, set a default \
        web browser in the system settings (xdg-settings set default-web-browser …).",
    ),
    (UnsupportedLink, "Only web pages open from the app. Copy the address if you trust it."),
    (
        BadLink,
        "A link to a skill looks like com.atomagentos.marketplace://skill/ followed by the skill's id. \
        Copy it again with \"Copy link\" on the skill's page.",
    ),
    (
        NoSuchAccount,
        "It was signed out of meanwhile. Pick another account, or add it again from the account menu.",
    ),
    (AccountInUse, "Use the account that is already open for this server, or sign out of it first."),
    (
        LoopbackUnavailable,
        "Use the browser sign-in's own link instead, or paste the address the browser ended on.",
    ),
    (
        SandboxUnavailable,
        "Run the standalone sandbox (atom-sandbox) and connect to it as a custom server, or start the \
        app with --server URL.",
    ),
    (
        SettingsUnreadable,
        "Nothing was deleted: the accounts' secrets are still in the system keystore. Sign in again where \
        an account is missing.",
    ),
    (UpdateOffline, "Check your connection; the app checks again later."),
    (UpdateFeed, "This is the update server's fault, not yours; the app checks again later."),
    (UpdateNoPackage, "Download it from the project's releases page, or wait for the next release."),
    (UpdateRefused, "Nothing was installed: this version keeps running as it was."),
    (UpdateBroken, "Nothing was installed. Try again when the connection is steady."),
    (UpdateInstall, "Nothing was changed. Install the package by hand, or try again."),
    (UpdateUnavailable, "Install the package to get updates."),
    (Internal, "Try again."),
];

/// Where the OAuth step that failed changes the advice: a refresh is not about sign-in codes, and a
/// failed revocation still signed the user out here.
const STEP_HINTS: &[(ErrorCode, OAuthStep, &str)] = &[
    (
        InvalidGrant,
        OAuthStep::Refresh,
        "Sign in again: the server ended this sign-in (it expired, was revoked, or you signed out \
         elsewhere).",
    ),
    (
        OAuthError,
        OAuthStep::Refresh,
        "The server would not renew your sign-in. Sign in again; if it keeps happening, check the \
         environment's settings.",
    ),
    (
        OAuthError,
        OAuthStep::Revoke,
        "You are signed out on this computer. The server may still hold the sign-in until it expires.",
    ),
];

/// Where a network's root certificate goes on this system.
const CERTIFICATE: &str = if cfg!(windows) {
    "If your network inspects secure connections (as some companies do), its root certificate must be \
     installed in this computer's trust store (Windows' Trusted Root Certification Authorities, usually by \
     your IT department). Otherwise do not go on: the connection may be intercepted."
} else if cfg!(target_os = "macos") {
    "If your network inspects secure connections (as some companies do), its root certificate must be \
     installed in this computer's trust store (the System keychain, marked as trusted). Otherwise do not go \
     on: the connection may be intercepted."
} else {
    "If your network inspects secure connections (as some companies do), its root certificate must be \
     installed in this computer's trust store (on Debian and Ubuntu: into /usr/local/share/ca-certificates, \
     then update-ca-certificates). Otherwise do not go on: the connection may be intercepted."
};

/// A code's hint, whatever the error behind it.
pub fn hint_for(code: ErrorCode) -> &'static str {
    HINTS.iter().find(|(c, _)| *c == code).map_or("Try again.", |(_, hint)| hint)
}

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            Error::NeedsReauth(cause) => return cause.hint(),
            Error::RateLimited { retry_after } => {
                return format!(
                    "Too many requests. Wait {} s and try again. Signing in raises the limit (API key \
                     300/min, browser sign-in 600/min).",
                    retry_after.as_secs().max(1)
                )
            }
            Error::Callback(crate::error::CallbackError::IssuerUnknown { .. }) => {
                return "If this server is yours, add its issuer (the address it names itself by) to its \
                        settings, or connect to it by its address so that the app reads it; then sign in \
                        again. Otherwise do not: another server may be trying to take over the sign-in."
                    .into()
            }
            Error::ProxyWantsPassword => {
                return "Start the app with them in the proxy's address \
                        (HTTPS_PROXY=http://user:password@proxy:port), or ask whoever runs your network."
                    .into()
            }
            _ => {}
        }
        let (code, step) = (self.code(), self.step());
        let by_step = STEP_HINTS.iter().find(|(c, s, _)| *c == code && Some(*s) == step);
        by_step.map_or_else(|| hint_for(code), |(_, _, hint)| hint).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_hint() {
        for code in ErrorCode::ALL {
            assert_eq!(HINTS.iter().filter(|(c, _)| c == code).count(), 1, "{code}");
        }
        assert_eq!(HINTS.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn api_key_hint_follows_the_guide() {
        let e = crate::http::reply::parse_api_error(
            401,
            br#"{"error":{"code":"INVALID_API_KEY","message":"x"}}"#,
            None,
        );
        let hint = e.hint();
        assert!(hint.contains("no extra spaces") && hint.contains("revoked") && hint.contains("scope"));
    }
}
