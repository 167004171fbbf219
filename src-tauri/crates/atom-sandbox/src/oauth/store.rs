//! What the server remembers: consents waiting for a decision, codes, grants and tokens (hashed), kept
//! in memory and, with a data folder, in SQLite.

use super::*;

/// A validated authorization request waiting on the consent page.
pub(super) struct Consent {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) scope: Vec<String>,
    pub(super) state: String,
    pub(super) challenge: String,
    pub(super) expires_at_ms: u64,
    /// Who signs in: the demo user, or the one `login_hint` named (the page may pick another).
    pub(super) user_id: String,
}

pub(super) struct AuthCode {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) scope: Vec<String>,
    pub(super) challenge: String,
    pub(super) expires_at_ms: u64,
    /// Set once the code was presented; the grant it issued, if any.
    pub(super) used: bool,
    pub(super) grant_id: Option<String>,
    /// Who approved.
    pub(super) user_id: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: Vec<String>,
    pub revoked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    Active,
    /// A refresh token that was exchanged for a new one; presenting it again revokes the grant.
    Rotated,
    Revoked,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenRecord {
    /// SHA-256 of the token: the token itself is never kept.
    pub hash: String,
    pub kind: TokenKind,
    pub grant_id: String,
    pub expires_at_ms: u64,
    pub status: TokenStatus,
}

/// What a valid access token stands for.
#[derive(Clone, Debug)]
pub struct Bearer {
    pub grant_id: String,
    pub user_id: String,
    pub scope: Vec<String>,
}

pub enum BearerCheck {
    Valid(Bearer),
    Invalid,
    Expired,
}

#[derive(Default)]
pub struct OAuthStore {
    pub(super) consents: HashMap<String, Consent>,
    /// Keyed by the hash of the code.
    pub(super) codes: HashMap<String, AuthCode>,
    pub(super) grants: HashMap<String, Grant>,
    pub(super) tokens: HashMap<String, TokenRecord>,
}

impl OAuthStore {
    pub fn restore(&mut self, grants: Vec<Grant>, tokens: Vec<TokenRecord>) {
        let now = unix_now_ms();
        for g in grants {
            self.grants.insert(g.id.clone(), g);
        }
        for t in tokens.into_iter().filter(|t| t.expires_at_ms > now) {
            self.tokens.insert(t.hash.clone(), t);
        }
    }

    pub(super) fn purge(&mut self, now: u64) {
        self.consents.retain(|_, c| c.expires_at_ms > now);
        // Used codes are kept a while past expiry so that a replay is still recognised and punished.
        self.codes.retain(|_, c| c.expires_at_ms + 3_600_000 > now);
        if self.tokens.len() > 50_000 {
            self.tokens.retain(|_, t| t.expires_at_ms > now);
        }
    }

    pub fn check_bearer(&self, token: &str, now: u64) -> BearerCheck {
        let Some(t) = self.tokens.get(&hash(token)) else { return BearerCheck::Invalid };
        let Some(g) = self.grants.get(&t.grant_id) else { return BearerCheck::Invalid };
        if t.kind != TokenKind::Access || t.status != TokenStatus::Active || g.revoked {
            return BearerCheck::Invalid;
        }
        if t.expires_at_ms <= now {
            return BearerCheck::Expired;
        }
        BearerCheck::Valid(Bearer {
            grant_id: g.id.clone(),
            user_id: g.user_id.clone(),
            scope: g.scope.clone(),
        })
    }

    /// Ends every active access token's life now (a test hook: the server's clock, not the client's,
    /// decides); returns how many.
    pub fn expire_access_tokens(&mut self, now: u64) -> usize {
        let mut expired = 0;
        for t in self.tokens.values_mut() {
            if t.kind == TokenKind::Access && t.status == TokenStatus::Active && t.expires_at_ms > now {
                t.expires_at_ms = now;
                expired += 1;
            }
        }
        expired
    }

    /// Revokes a grant and every token issued under it; returns what changed, for persistence.
    pub(super) fn revoke_grant(&mut self, grant_id: &str) -> (Option<Grant>, Vec<TokenRecord>) {
        let grant = self.grants.get_mut(grant_id).map(|g| {
            g.revoked = true;
            g.clone()
        });
        let mut changed = Vec::new();
        for t in self.tokens.values_mut().filter(|t| t.grant_id == grant_id) {
            if t.status != TokenStatus::Revoked {
                t.status = TokenStatus::Revoked;
                changed.push(t.clone());
            }
        }
        (grant, changed)
    }

    pub(super) fn issue(
        &mut self,
        grant_id: &str,
        access_ttl: u64,
        refresh_ttl: u64,
        now: u64,
    ) -> (String, String, Vec<TokenRecord>) {
        let access = random_token("sbx_at_");
        let refresh = random_token("sbx_rt_");
        let records = vec![
            TokenRecord {
                hash: hash(&access),
                kind: TokenKind::Access,
                grant_id: grant_id.to_string(),
                expires_at_ms: now + access_ttl * 1000,
                status: TokenStatus::Active,
            },
            TokenRecord {
                hash: hash(&refresh),
                kind: TokenKind::Refresh,
                grant_id: grant_id.to_string(),
                expires_at_ms: now + refresh_ttl * 1000,
                status: TokenStatus::Active,
            },
        ];
        for r in &records {
            self.tokens.insert(r.hash.clone(), r.clone());
        }
        (access, refresh, records)
    }
}

pub(super) fn persist(state: &AppState, grant: Option<&Grant>, tokens: &[TokenRecord]) {
    if let Some(db) = &state.db {
        if let Some(g) = grant {
            db.put(db::GRANT, &g.id, g);
        }
        for t in tokens {
            db.put(db::TOKEN, &t.hash, t);
        }
    }
}
