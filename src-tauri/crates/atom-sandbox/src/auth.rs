//! Who is calling the marketplace API: anonymous, an API key, or an OAuth bearer token.

use axum::http::{header, HeaderMap};

use crate::contract::SCOPE_WRITE;
use crate::error::ApiError;
use crate::oauth::BearerCheck;
use crate::ratelimit::Bucket;
use crate::{unix_now_ms, AppState};

/// A demo API key.
pub struct ApiKey {
    pub key: &'static str,
    pub tenant: &'static str,
    pub tenant_name: &'static str,
    pub write: bool,
    pub revoked: bool,
}

pub const API_KEYS: &[ApiKey] = &[
    ApiKey {
        key: "atom_pub_00000000-0000-4000-8000-000000000001",
        tenant: "tenant-read",
        tenant_name: "Sandbox Reader (API key)",
        write: false,
        revoked: false,
    },
    ApiKey {
        key: "atom_pub_00000000-0000-4000-8000-000000000002",
        tenant: "tenant-read-write",
        tenant_name: "Sandbox Publisher (API key)",
        write: true,
        revoked: false,
    },
    ApiKey {
        key: "atom_pub_00000000-0000-4000-8000-000000000003",
        tenant: "tenant-revoked",
        tenant_name: "Revoked tenant",
        write: true,
        revoked: true,
    },
];

/// `atom_pub_` followed by a UUID in its 8-4-4-4-12 hex form. The client core has its own copy, on
/// purpose: two independent implementations of one contract (see docs/architecture.md).
pub fn is_api_key_format(key: &str) -> bool {
    let Some(uuid) = key.strip_prefix("atom_pub_") else { return false };
    let groups: Vec<&str> = uuid.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[derive(Clone, Debug)]
pub enum Principal {
    Anonymous,
    ApiKey { tenant: &'static str, tenant_name: &'static str, write: bool },
    OAuth { grant_id: String, user_id: String, write: bool },
}

impl Principal {
    pub fn can_write(&self) -> Result<(), ApiError> {
        match self {
            Principal::Anonymous => Err(ApiError::auth_required()),
            Principal::ApiKey { write: false, .. } => Err(ApiError::insufficient_scope("read_write")),
            Principal::OAuth { write: false, .. } => Err(ApiError::insufficient_scope(SCOPE_WRITE)),
            _ => Ok(()),
        }
    }

    /// One rating per rater per skill: a user for OAuth, the tenant for an API key.
    pub fn rater(&self) -> String {
        match self {
            Principal::Anonymous => "anonymous".into(),
            Principal::ApiKey { tenant, .. } => format!("tenant:{tenant}"),
            Principal::OAuth { user_id, .. } => format!("user:{user_id}"),
        }
    }

    pub fn display_name(&self) -> String {
        match self {
            Principal::Anonymous => "Anonymous".into(),
            Principal::ApiKey { tenant_name, .. } => tenant_name.to_string(),
            Principal::OAuth { user_id, .. } => {
                crate::demo::user(user_id).map_or(user_id.clone(), |u| u.name.into())
            }
        }
    }

    pub fn bucket(&self, ip: std::net::IpAddr) -> Bucket {
        match self {
            Principal::Anonymous => Bucket::Anonymous(ip),
            Principal::ApiKey { tenant, .. } => Bucket::ApiKey(tenant.to_string()),
            Principal::OAuth { grant_id, .. } => Bucket::Grant(grant_id.clone()),
        }
    }
}

/// Reads the credentials of a request. A credential that is present but bad is an error, never a
/// silent fall-back to anonymous access.
pub fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let key = headers.get("x-api-key");
    let authorization = headers.get(header::AUTHORIZATION);
    match (key, authorization) {
        (None, None) => Ok(Principal::Anonymous),
        (Some(_), Some(_)) => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "Send either an API key or a bearer token, not both.",
        )),
        (Some(key), None) => {
            let key = key.to_str().map_err(|_| ApiError::invalid_api_key())?;
            if !is_api_key_format(key) {
                return Err(ApiError::invalid_api_key());
            }
            let found =
                API_KEYS.iter().find(|k| k.key == key && !k.revoked).ok_or_else(ApiError::invalid_api_key)?;
            Ok(Principal::ApiKey { tenant: found.tenant, tenant_name: found.tenant_name, write: found.write })
        }
        (None, Some(auth)) => {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(ApiError::token_invalid)?;
            match state.oauth.lock().check_bearer(token, unix_now_ms()) {
                BearerCheck::Valid(b) => Ok(Principal::OAuth {
                    write: b.scope.iter().any(|s| s == SCOPE_WRITE),
                    grant_id: b.grant_id,
                    user_id: b.user_id,
                }),
                BearerCheck::Expired => Err(ApiError::token_expired()),
                BearerCheck::Invalid => Err(ApiError::token_invalid()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_format_is_prefix_and_uuid() {
        assert!(is_api_key_format("atom_pub_00000000-0000-4000-8000-000000000001"));
        assert!(is_api_key_format("atom_pub_ABCDEF00-0000-4000-8000-00000000000a"));
        assert!(!is_api_key_format("atom_pub_00000000-0000-4000-8000-00000000001"));
        assert!(!is_api_key_format("atom_pk_00000000-0000-4000-8000-000000000001"));
        assert!(!is_api_key_format(" atom_pub_00000000-0000-4000-8000-000000000001"));
        assert!(!is_api_key_format("atom_pub_0000000g-0000-4000-8000-000000000001"));
    }
}
