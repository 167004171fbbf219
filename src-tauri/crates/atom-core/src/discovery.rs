//! Finding a server's endpoints from its address: OAuth 2.0 Authorization Server Metadata (RFC 8414),
//! with OpenID Connect Discovery as the fallback. The user types the issuer; the app reads where the
//! authorize, token and revocation endpoints are, which scopes exist, and whether callbacks carry
//! `iss` (RFC 9207). A server that cannot do PKCE with S256 is refused, with the reason.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::env::{is_loopback, marketplace_scopes, may_reach, CustomEnvironment, TokenEncoding};
use crate::error::{Error, Result};
use crate::http::{client_for, read_body};

/// The RFC 8414 well-known suffix.
pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
/// The OpenID Connect Discovery well-known suffix.
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
/// The scope that asks an OpenID Connect server for a refresh token.
pub const OFFLINE_ACCESS: &str = "offline_access";

/// Where the metadata was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MetadataSource {
    /// RFC 8414 (`/.well-known/oauth-authorization-server`).
    OAuth,
    /// OpenID Connect Discovery (`/.well-known/openid-configuration`).
    OpenId,
}

/// What the app uses of a server's metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: Option<String>,
    /// An OpenID Connect server's signing keys (`jwks_uri`), for its ID tokens.
    pub jwks_uri: Option<String>,
    pub scopes_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
    pub authorization_response_iss_parameter_supported: bool,
    pub source: MetadataSource,
}

#[derive(Deserialize)]
struct RawMetadata {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    jwks_uri: Option<String>,
    #[serde(default)]
    scopes_supported: Vec<String>,
    #[serde(default)]
    code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

/// The issuer as typed: an https URL (or plain http on this computer) with no query or fragment.
fn issuer_url(issuer: &str) -> Result<Url> {
    let url = Url::parse(issuer.trim())
        .map_err(|_| Error::Discovery(format!("“{}” is not a server address", issuer.trim())))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if !(url.scheme() == "https" || url.scheme() == "http" && loopback) {
        return Err(Error::Discovery(
            "the server's address must use https (plain http only on this computer)".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Discovery("a server's address has no query or fragment".into()));
    }
    Ok(url)
}

/// RFC 8414 §3.1: the well-known part goes between the host and the issuer's path; OpenID Connect
/// Discovery appends it to the issuer.
pub fn metadata_urls(issuer: &str) -> Result<[(MetadataSource, Url); 2]> {
    let url = issuer_url(issuer)?;
    let path = url.path().trim_end_matches('/').to_string();
    let mut oauth = url.clone();
    oauth.set_path(&format!("{OAUTH_METADATA}{path}"));
    let mut openid = url;
    openid.set_path(&format!("{path}{OPENID_CONFIGURATION}"));
    Ok([(MetadataSource::OAuth, oauth), (MetadataSource::OpenId, openid)])
}

fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Checks a metadata document fetched for `issuer`, as RFC 8414 §3.3 and this app need it.
pub fn check_metadata(issuer: &str, source: MetadataSource, body: &[u8]) -> Result<ServerMetadata> {
    let raw: RawMetadata = serde_json::from_slice(body)
        .map_err(|_| Error::Discovery("the server's metadata is not valid JSON".into()))?;
    let Some(found) = raw.issuer.filter(|i| !i.trim().is_empty()) else {
        return Err(Error::Discovery("the server's metadata names no issuer".into()));
    };
    // A document served for one issuer but naming another could send the app's tokens elsewhere.
    if !same_issuer(&found, issuer.trim()) {
        return Err(Error::Discovery(format!(
            "the metadata at this address belongs to another server ({found}); use that address, or enter \
             the endpoints by hand"
        )));
    }
    // Plain http on this computer only for a server on this computer: a server elsewhere must not have
    // the app reach this computer's ports (`env::may_reach`).
    let local = Url::parse(issuer.trim()).is_ok_and(|u| is_loopback(&u));
    let allowed = |value: &str| Url::parse(value.trim()).is_ok_and(|u| may_reach(&u, local));
    let endpoint = |name: &str, value: Option<String>| -> Result<String> {
        let value = value.ok_or_else(|| Error::Discovery(format!("the server's metadata has no {name}")))?;
        if !allowed(&value) {
            return Err(Error::Discovery(format!(
                "the server's {name} must use https (plain http only for a server on this computer)"
            )));
        }
        Ok(value)
    };
    let authorization_endpoint = endpoint("authorization endpoint", raw.authorization_endpoint)?;
    let token_endpoint = endpoint("token endpoint", raw.token_endpoint)?;
    let revocation_endpoint = match raw.revocation_endpoint {
        Some(r) => Some(endpoint("revocation endpoint", Some(r))?),
        None => None,
    };
    // Signing keys at an address that is not the server's kind of address are left out: the sign-in
    // still works, the account's name then comes from elsewhere.
    let jwks_uri = raw.jwks_uri.filter(|u| allowed(u));
    if !raw.code_challenge_methods_supported.iter().any(|m| m == "S256") {
        let listed = if raw.code_challenge_methods_supported.is_empty() {
            "it lists none".to_string()
        } else {
            format!("it lists only {}", raw.code_challenge_methods_supported.join(", "))
        };
        return Err(Error::Discovery(format!(
            "this server does not say it supports PKCE with S256 ({listed}); a desktop app needs it to \
             sign in safely, so the app will not use this server"
        )));
    }
    Ok(ServerMetadata {
        issuer: found,
        authorization_endpoint,
        token_endpoint,
        revocation_endpoint,
        jwks_uri,
        scopes_supported: raw.scopes_supported,
        code_challenge_methods_supported: raw.code_challenge_methods_supported,
        authorization_response_iss_parameter_supported: raw.authorization_response_iss_parameter_supported,
        source,
    })
}

/// Reads the metadata of the server at `issuer`: RFC 8414 first, then OpenID Connect Discovery.
pub async fn discover(issuer: &str) -> Result<ServerMetadata> {
    let mut last = None;
    for (source, url) in metadata_urls(issuer)? {
        let http = client_for(&url).await?;
        let resp = match http.get(url.clone()).header("Accept", "application/json").send().await {
            Ok(r) => r,
            Err(e) => return Err(Error::from_reqwest(e)),
        };
        let status = resp.status().as_u16();
        let body = read_body(resp).await?;
        if status == 200 {
            return check_metadata(issuer, source, &body);
        }
        last = Some(status);
    }
    Err(Error::Discovery(format!(
        "the server publishes no OAuth metadata at this address (HTTP {})",
        last.unwrap_or(404)
    )))
}

impl ServerMetadata {
    /// Whether the server offers `offline_access` (refresh tokens on request, as OpenID servers do).
    pub fn offers_offline_access(&self) -> bool {
        self.scopes_supported.iter().any(|s| s == OFFLINE_ACCESS)
    }

    /// Settings for this server: its endpoints, form-encoded token requests (a server that publishes
    /// metadata follows RFC 6749), the marketplace's scopes (and `offline_access` when offered), and
    /// its API at `api_base` (the issuer's origin when none is given).
    pub fn to_custom(&self, name: &str, api_base: Option<&str>, client_id: &str) -> CustomEnvironment {
        let api_base = api_base.map(str::to_string).filter(|a| !a.trim().is_empty()).unwrap_or_else(|| {
            Url::parse(&self.issuer)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_else(|_| self.issuer.clone())
        });
        let mut scopes = marketplace_scopes();
        if self.offers_offline_access() {
            scopes.push(OFFLINE_ACCESS.to_string());
        }
        // An OpenID Connect server: its ID token, verified against its keys, says who signed in (with
        // a name and an email when it offers those scopes).
        let offers = |scope: &str| self.scopes_supported.iter().any(|s| s == scope);
        let jwks_uri = self.jwks_uri.clone().filter(|_| offers("openid"));
        if jwks_uri.is_some() {
            scopes
                .extend(["openid", "profile", "email"].into_iter().filter(|s| offers(s)).map(str::to_string));
        }
        CustomEnvironment {
            name: name.to_string(),
            api_base,
            issuer: Some(self.issuer.clone()),
            authorize_url: self.authorization_endpoint.clone(),
            token_url: self.token_endpoint.clone(),
            revoke_url: self.revocation_endpoint.clone(),
            client_id: client_id.to_string(),
            redirect_scheme: None,
            token_encoding: TokenEncoding::Form,
            scopes: Some(scopes.join(" ")),
            iss_parameter_supported: self.authorization_response_iss_parameter_supported,
            jwks_uri,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_addresses_follow_rfc_8414_and_openid() {
        let [(_, oauth), (_, openid)] = metadata_urls("https://login.example.com").unwrap();
        assert_eq!(oauth.as_str(), "https://login.example.com/.well-known/oauth-authorization-server");
        assert_eq!(openid.as_str(), "https://login.example.com/.well-known/openid-configuration");
        let [(_, oauth), (_, openid)] = metadata_urls("https://example.com/tenant/a/").unwrap();
        assert_eq!(oauth.as_str(), "https://example.com/.well-known/oauth-authorization-server/tenant/a");
        assert_eq!(openid.as_str(), "https://example.com/tenant/a/.well-known/openid-configuration");
        assert!(metadata_urls("http://login.example.com").is_err(), "plain http off this computer");
        assert!(metadata_urls("http://127.0.0.1:4000").is_ok());
        assert!(metadata_urls("https://example.com/?x=1").is_err());
    }

    fn doc(extra: serde_json::Value) -> Vec<u8> {
        let mut v = serde_json::json!({
            "issuer": "https://login.example.com",
            "authorization_endpoint": "https://login.example.com/authorize",
            "token_endpoint": "https://login.example.com/token",
            "code_challenge_methods_supported": ["S256"],
        });
        for (k, val) in extra.as_object().unwrap() {
            v[k] = val.clone();
        }
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn a_server_without_s256_is_refused_with_the_reason() {
        for methods in [serde_json::json!(["plain"]), serde_json::json!([])] {
            let body = doc(serde_json::json!({ "code_challenge_methods_supported": methods }));
            let err = check_metadata("https://login.example.com", MetadataSource::OAuth, &body).unwrap_err();
            assert_eq!(err.code(), "discovery_failed");
            assert!(err.to_string().contains("S256"), "{err}");
        }
    }

    #[test]
    fn metadata_for_another_issuer_is_refused() {
        let body = doc(serde_json::json!({ "issuer": "https://evil.example" }));
        let err = check_metadata("https://login.example.com", MetadataSource::OAuth, &body).unwrap_err();
        assert!(err.to_string().contains("another server"), "{err}");
    }

    #[test]
    fn plain_http_endpoints_off_this_computer_are_refused() {
        let body = doc(serde_json::json!({ "token_endpoint": "http://login.example.com/token" }));
        assert!(check_metadata("https://login.example.com", MetadataSource::OAuth, &body).is_err());
    }

    /// A server elsewhere whose metadata names this computer's ports (a printer's, a database's) is
    /// refused; its signing keys there are left out. A server on this computer may name its own.
    #[test]
    fn a_server_elsewhere_cannot_name_this_computers_ports() {
        for (field, url) in [
            ("token_endpoint", "http://127.0.0.1:631/token"),
            ("authorization_endpoint", "http://localhost:8080/authorize"),
            ("revocation_endpoint", "http://localhost:9200/_all"),
        ] {
            let body = doc(serde_json::json!({ field: url }));
            let err = check_metadata("https://login.example.com", MetadataSource::OAuth, &body).unwrap_err();
            assert!(err.to_string().contains("server on this computer"), "{field}: {err}");
        }
        let keys = doc(serde_json::json!({ "jwks_uri": "http://127.0.0.1:5000/keys" }));
        let m = check_metadata("https://login.example.com", MetadataSource::OpenId, &keys).unwrap();
        assert_eq!(m.jwks_uri, None, "signing keys on this computer for a server elsewhere: left out");
        let here = serde_json::json!({
            "issuer": "http://127.0.0.1:4000", "authorization_endpoint": "http://127.0.0.1:4000/authorize",
            "token_endpoint": "http://127.0.0.1:4000/token", "code_challenge_methods_supported": ["S256"]
        });
        let body = serde_json::to_vec(&here).unwrap();
        assert!(check_metadata("http://127.0.0.1:4000", MetadataSource::OAuth, &body).is_ok());
    }

    #[test]
    fn settings_from_metadata_use_form_bodies_and_offer_offline_access() {
        let body = doc(serde_json::json!({
            "revocation_endpoint": "https://login.example.com/revoke",
            "scopes_supported": ["openid", "offline_access", "marketplace:read"],
            "authorization_response_iss_parameter_supported": true,
        }));
        let m = check_metadata("https://login.example.com/", MetadataSource::OpenId, &body).unwrap();
        assert!(m.offers_offline_access());
        let c = m.to_custom("Login", None, "desk");
        assert_eq!(c.api_base, "https://login.example.com");
        assert_eq!(c.token_encoding, TokenEncoding::Form);
        assert_eq!(c.scopes.as_deref(), Some("marketplace:read marketplace:write offline_access"));
        assert_eq!(c.revoke_url.as_deref(), Some("https://login.example.com/revoke"));
        assert!(c.iss_parameter_supported);
        let env = crate::Environment::custom(&c).unwrap();
        assert!(env.require_iss && env.is_own_issuer("https://login.example.com"));
        assert_eq!(c.jwks_uri, None, "no signing keys, no ID token asked for");
    }

    #[test]
    fn an_openid_connect_server_with_signing_keys_is_asked_for_an_id_token() {
        let body = doc(serde_json::json!({
            "jwks_uri": "https://login.example.com/jwks",
            "scopes_supported": ["openid", "email", "offline_access"],
        }));
        let m = check_metadata("https://login.example.com", MetadataSource::OpenId, &body).unwrap();
        let c = m.to_custom("Login", None, "desk");
        assert_eq!(
            c.scopes.as_deref(),
            Some("marketplace:read marketplace:write offline_access openid email")
        );
        assert_eq!(c.jwks_uri.as_deref(), Some("https://login.example.com/jwks"));
        // Keys at a plain-http address off this computer are not used.
        let body = doc(
            serde_json::json!({ "jwks_uri": "http://evil.example/jwks", "scopes_supported": ["openid"] }),
        );
        let m = check_metadata("https://login.example.com", MetadataSource::OpenId, &body).unwrap();
        assert_eq!(m.to_custom("Login", None, "desk").jwks_uri, None);
    }
}
