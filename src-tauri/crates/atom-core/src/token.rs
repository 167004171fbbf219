//! The OAuth token endpoint (code exchange, refresh) and revocation (RFC 7009).

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};
use url::Url;

use crate::contract::limits;
use crate::env::{Environment, TokenEncoding};
use crate::error::{parse_oauth_error, Error, Result};
use crate::http::{http_client, read_body};
use crate::secret::Secret;

/// What the token endpoint gave. `Debug` shows no token.
#[derive(Clone, Debug)]
pub struct TokenSet {
    pub access_token: Secret,
    /// `None` when the server did not rotate it (the old one stays valid).
    pub refresh_token: Option<Secret>,
    pub expires_in: Duration,
    pub scopes: Vec<String>,
    pub received_at: SystemTime,
}

pub struct TokenClient {
    http: reqwest::Client,
    token_url: Url,
    revoke_url: Url,
    client_id: String,
    client_secret: Option<Secret>,
    encoding: TokenEncoding,
}

impl TokenClient {
    pub fn new(env: &Environment) -> Result<TokenClient> {
        Ok(TokenClient {
            http: http_client()?,
            token_url: env.token_url.clone(),
            revoke_url: env.revoke_url.clone(),
            client_id: env.client_id.clone(),
            client_secret: env.client_secret.clone(),
            encoding: env.token_encoding,
        })
    }

    async fn post(&self, url: &Url, mut params: Vec<(&'static str, String)>) -> Result<(u16, Vec<u8>)> {
        params.push(("client_id", self.client_id.clone()));
        // A desktop app is a public client: it sends a secret only where the user configured one.
        if let Some(secret) = &self.client_secret {
            params.push(("client_secret", secret.expose().to_string()));
        }
        let req = self.http.post(url.clone()).header("Accept", "application/json");
        let req = match self.encoding {
            TokenEncoding::Json => {
                let body: Map<String, Value> =
                    params.into_iter().map(|(k, v)| (k.to_string(), Value::String(v))).collect();
                req.json(&body)
            }
            TokenEncoding::Form => req.form(&params),
        };
        let resp = req.send().await.map_err(Error::from_reqwest)?;
        let status = resp.status().as_u16();
        Ok((status, read_body(resp).await?))
    }

    async fn token_request(&self, params: Vec<(&'static str, String)>) -> Result<TokenSet> {
        let (status, body) = self.post(&self.token_url, params).await?;
        if !(200..300).contains(&status) {
            return Err(parse_oauth_error(status, &body));
        }
        parse_token_set(&body)
    }

    /// Exchanges an authorization code. Never retried: a code is single-use, and a second
    /// presentation would revoke what the first one issued.
    pub async fn exchange_code(
        &self,
        code: &Secret,
        verifier: &Secret,
        redirect_uri: &str,
    ) -> Result<TokenSet> {
        self.token_request(vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.expose().to_string()),
            ("redirect_uri", redirect_uri.to_string()),
            ("code_verifier", verifier.expose().to_string()),
        ])
        .await
    }

    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet> {
        self.token_request(vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", refresh_token.expose().to_string()),
        ])
        .await
    }

    /// RFC 7009. A server without the endpoint (404) is not an error: there is nothing to revoke there.
    pub async fn revoke(&self, token: &Secret, hint: &str) -> Result<()> {
        let (status, body) = self
            .post(
                &self.revoke_url,
                vec![("token", token.expose().to_string()), ("token_type_hint", hint.to_string())],
            )
            .await?;
        match status {
            200..=299 | 404 => Ok(()),
            _ => Err(parse_oauth_error(status, &body)),
        }
    }
}

/// Reads a token reply; anything without a usable access token is refused.
pub fn parse_token_set(body: &[u8]) -> Result<TokenSet> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| Error::BadResponse("the token reply is not JSON".into()))?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let access = text("access_token")
        .ok_or_else(|| Error::BadResponse("the token reply has no access token".into()))?;
    if let Some(kind) = text("token_type") {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(Error::BadResponse(format!("unsupported token type {kind}")));
        }
    }
    let expires_in = match v.get("expires_in") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|s| s.is_finite() && *s > 0.0)
    .map(|s| Duration::from_secs_f64(s.min(365.0 * 86_400.0)))
    .unwrap_or(limits::DEFAULT_ACCESS_TTL);
    Ok(TokenSet {
        access_token: Secret::new(access),
        refresh_token: text("refresh_token").map(Secret::new),
        expires_in,
        scopes: text("scope").map(|s| s.split_whitespace().map(str::to_string).collect()).unwrap_or_default(),
        received_at: SystemTime::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_guides_reply() {
        let t = parse_token_set(
            br#"{"access_token":"a","token_type":"Bearer","expires_in":3600,"refresh_token":"r","scope":"marketplace:read marketplace:write"}"#,
        )
        .unwrap();
        assert_eq!(t.access_token.expose(), "a");
        assert_eq!(t.expires_in, Duration::from_secs(3600));
        assert_eq!(t.scopes, ["marketplace:read", "marketplace:write"]);
        assert!(!format!("{t:?}").contains("\"a\""));
    }

    #[test]
    fn tolerates_missing_optional_fields_and_refuses_unusable_replies() {
        let t = parse_token_set(br#"{"access_token":"a","expires_in":"120"}"#).unwrap();
        assert_eq!(t.expires_in, Duration::from_secs(120));
        assert!(t.refresh_token.is_none());
        let t = parse_token_set(br#"{"access_token":"a","expires_in":-5}"#).unwrap();
        assert_eq!(t.expires_in, limits::DEFAULT_ACCESS_TTL);
        for bad in [
            &b"{}"[..],
            b"not json",
            br#"{"access_token":""}"#,
            br#"{"access_token":"a","token_type":"mac"}"#,
        ] {
            assert_eq!(parse_token_set(bad).unwrap_err().code(), "bad_response");
        }
    }
}
