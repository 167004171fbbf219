//! Why the app refused a sign-in's callback URL. Declared with the errors (the callback's validation in
//! `login.rs` makes them) so that the error type depends on no other module of the core.

use std::fmt;

use serde::Serialize;

/// Why a callback URL was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum CallbackError {
    NoPendingLogin,
    TooLong,
    NotAUrl,
    BadEncoding,
    WrongScheme,
    WrongHost,
    WrongPort,
    WrongPath,
    UnexpectedFragment,
    RepeatedParameter {
        name: String,
    },
    MissingState,
    StateMismatch,
    /// RFC 9207: the callback names another server as its issuer (a mix-up attack, or a misconfiguration).
    IssuerMismatch,
    /// RFC 9207: the server says its callbacks carry `iss`, and this one does not.
    MissingIssuer,
    /// The callback names an issuer, and the app knows none for the server the sign-in was started
    /// with: it cannot vouch for the answer (RFC 9700 §4.4, a mix-up).
    IssuerUnknown {
        iss: String,
    },
    MissingCode,
    Expired,
    Denied,
    ServerError {
        error: String,
        description: Option<String>,
    },
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CallbackError::*;
        match self {
            NoPendingLogin => {
                f.write_str("no sign-in is in progress (it finished, was replaced or the app restarted)")
            }
            TooLong => f.write_str("the link is too long"),
            NotAUrl => f.write_str("the link is not a valid URL"),
            BadEncoding => f.write_str("the link has invalid escapes"),
            WrongScheme => f.write_str("the link has the wrong scheme"),
            WrongHost => f.write_str("the link points to the wrong host"),
            WrongPort => f.write_str("the link points to the wrong port"),
            WrongPath => f.write_str("the link has the wrong path"),
            UnexpectedFragment => f.write_str("the link carries a fragment"),
            RepeatedParameter { name } => write!(f, "the link repeats `{name}`"),
            MissingState => f.write_str("the link has no state"),
            StateMismatch => f.write_str("the link belongs to another sign-in (state mismatch)"),
            IssuerMismatch => f.write_str("the link comes from another server than the one you signed in to"),
            MissingIssuer => f.write_str("the link does not say which server sent it (no iss)"),
            IssuerUnknown { iss } => write!(
                f,
                "the link comes from a server that names itself {}, and the server you signed in to has no \
                 issuer in its settings: the app cannot tell that they are the same",
                iss.chars().filter(|c| !c.is_control()).take(200).collect::<String>()
            ),
            MissingCode => f.write_str("the link has no authorization code"),
            Expired => f.write_str("the sign-in took more than 10 minutes"),
            Denied => f.write_str("access was denied in the browser"),
            ServerError { error, description } => match description {
                Some(d) => write!(f, "the server refused the sign-in: {error} ({d})"),
                None => write!(f, "the server refused the sign-in: {error}"),
            },
        }
    }
}
