//! What a request is sent with (an API key, a bearer token, nothing), and for which account.

use crate::ratelimit::{CredentialKind, Owner, QuotaKey};
use crate::secret::Secret;

/// What a request is sent with, and for which account (its quota, and the figures it is shown).
#[derive(Clone, Debug)]
pub enum Credential {
    Anonymous(Owner),
    ApiKey(Secret, Owner),
    Bearer(Secret, Owner),
}

impl Credential {
    pub fn kind(&self) -> CredentialKind {
        match self {
            Credential::Anonymous(_) => CredentialKind::Anonymous,
            Credential::ApiKey(..) => CredentialKind::ApiKey,
            Credential::Bearer(..) => CredentialKind::OAuth,
        }
    }

    pub fn owner(&self) -> Owner {
        match self {
            Credential::Anonymous(owner) | Credential::ApiKey(_, owner) | Credential::Bearer(_, owner) => {
                *owner
            }
        }
    }

    /// The quota the request counts against.
    pub(super) fn quota(&self) -> QuotaKey {
        QuotaKey::new(self.kind(), self.owner())
    }

    pub(super) fn apply(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Credential::Anonymous(_) => req,
            Credential::ApiKey(k, _) => req.header("X-API-Key", k.expose()),
            Credential::Bearer(t, _) => req.bearer_auth(t.expose()),
        }
    }
}
