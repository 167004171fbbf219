//! Who an account is, for the account list: what an OpenID Connect server's verified ID token said at
//! sign-in (`id_token.rs`), else what its server says about its credential (`GET me`, ours: ATOM
//! documents no such endpoint, and the sandbox serves it). The answer comes over the account's
//! own authenticated request, so it is the server's word, not a claim anyone could forge; a server
//! without it leaves the naming to the user. Nothing of the credential is ever part of a name, and the
//! answer is never written to the catalogue cache (shared by the server's accounts, and kept after a
//! sign-out): who an account is lives in `settings.json` with the account, and goes with it.

use serde::{Deserialize, Serialize};

use super::Account;
use crate::contract::paths;
use crate::error::{ErrorCode, Result};

/// The longest name and email kept; a longer one is cut.
const NAME_MAX: usize = 100;
const EMAIL_MAX: usize = 254;

/// Who the account is, as its server says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Identity {
    /// A person's name, or an API key's (its tenant's).
    pub name: String,
    pub email: Option<String>,
}

#[derive(Deserialize)]
struct Me {
    name: Option<serde_json::Value>,
    email: Option<serde_json::Value>,
}

/// A name or email from the server, by the one rule every shown name follows (`text.rs`).
pub(super) fn clean_text(value: Option<serde_json::Value>, max: usize) -> Option<String> {
    crate::text::clean_json_name(value, max)
}

impl Account {
    /// Who this account is, as its server says; `None` when the server does not say (it has no such
    /// endpoint), so that the app asks the user for a name. Needs a signed-in account.
    pub async fn identify(&self) -> Result<Option<Identity>> {
        // An OpenID Connect server's verified ID token said so at sign-in.
        if let Some(who) = self.inner.verified.lock().clone() {
            return Ok(Some(who));
        }
        let api = self.inner.catalogue.api();
        let reply = self.call(true, |c| async move { api.get_private::<Me>(paths::ME, &[], &c).await }).await;
        match reply {
            Ok(me) => {
                let email = clean_text(me.email, EMAIL_MAX);
                Ok(clean_text(me.name, NAME_MAX)
                    .or_else(|| email.clone())
                    .map(|name| Identity { name, email }))
            }
            // A server without the endpoint (ATOM's documented API has none), or one that keeps it to
            // itself.
            Err(e)
                if matches!(e.code(), ErrorCode::NotFound | ErrorCode::ApiError | ErrorCode::Validation) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_name_is_printable_bounded_text() {
        assert_eq!(clean_text(Some(json!("  Sam Okafor ")), NAME_MAX).as_deref(), Some("Sam Okafor"));
        assert_eq!(
            clean_text(Some(json!("Sam\u{202E}rofakO\u{0007}")), NAME_MAX).as_deref(),
            Some("SamrofakO")
        );
        assert_eq!(clean_text(Some(json!("x".repeat(500))), NAME_MAX).map(|s| s.len()), Some(NAME_MAX));
        assert_eq!(clean_text(Some(json!(42)), NAME_MAX), None);
        assert_eq!(clean_text(Some(json!("   ")), NAME_MAX), None);
        assert_eq!(clean_text(None, NAME_MAX), None);
    }
}
