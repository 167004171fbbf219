//! The OAuth token endpoint (code exchange, refresh) and revocation (RFC 7009), through the `oauth2`
//! crate.
//!
//! What is this project's own, and why:
//! - The HTTP transport ([`Transport`]): the core's client (no redirects, timeouts, a body cap) and, for
//!   ATOM's guide, the form body the crate builds re-encoded as JSON. Standard servers get the form.
//! - The token reply ([`TokenReply`]): the crate's standard reply refuses a missing `token_type` and an
//!   `expires_in` sent as a string; servers ATOM has run send both, so the reply type is tolerant and
//!   checked here (a token type other than Bearer is still refused).
//! - Errors: the crate's error types do not carry the HTTP status, which tells a server failure (5xx)
//!   from a refusal; the transport records it, and the reply is read by the core's own reader.
//! - Revocation ([`TokenClient::revoke`]): the crate refuses plain-http revocation URLs, loopback ones
//!   included, which this app uses for servers on this computer; the request is built here.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse};
use oauth2::{
    AccessToken, AuthorizationCode, ClientId, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardRevocableToken, TokenUrl,
};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::contract::limits;
use crate::env::{Environment, TokenEncoding};
use crate::error::{Error, OAuthStep, Result};
use crate::http::reply::parse_oauth_error;
use crate::http::{client_for, read_body};
use crate::secret::Secret;

/// What the token endpoint gave. `Debug` shows no token.
#[derive(Clone, Debug)]
pub struct TokenSet {
    pub access_token: Secret,
    /// `None` when the server did not rotate it (the old one stays valid) or issued none.
    pub refresh_token: Option<Secret>,
    /// The lifetime the server stated; zero for a zero or negative one (an unusable token), an hour
    /// when it stated none.
    pub expires_in: Duration,
    pub scopes: Vec<String>,
    /// When the request that brought it was sent: its life is counted from then, so that the app's
    /// idea of its expiry is never later than the server's.
    pub sent_at: SystemTime,
    /// How long that request took.
    pub round_trip: Duration,
    /// An OpenID Connect ID token, unverified (`oidc.rs` verifies it).
    pub id_token: Option<Secret>,
}

/// A token reply (RFC 6749 §5.1), read tolerantly.
#[derive(Debug, Serialize, Deserialize)]
pub struct TokenReply {
    access_token: AccessToken,
    #[serde(default = "bearer")]
    token_type: oauth2::basic::BasicTokenType,
    #[serde(default, deserialize_with = "seconds")]
    expires_in: Option<f64>,
    refresh_token: Option<RefreshToken>,
    #[serde(default, deserialize_with = "scope_list")]
    scope: Option<Vec<Scope>>,
    #[serde(default)]
    id_token: Option<String>,
}

fn bearer() -> oauth2::basic::BasicTokenType {
    oauth2::basic::BasicTokenType::Bearer
}

/// `expires_in` as a number or a numeric string; anything else is "not said".
fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn scope_list<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Vec<Scope>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s.split_whitespace().map(|x| Scope::new(x.to_string())).collect()),
        _ => None,
    })
}

impl oauth2::TokenResponse for TokenReply {
    type TokenType = oauth2::basic::BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &Self::TokenType {
        &self.token_type
    }
    /// A zero or negative lifetime is a token already over, not an unstated one.
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in
            .filter(|s| s.is_finite())
            .map(|s| Duration::from_secs_f64(s.clamp(0.0, 365.0 * 86_400.0)))
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scope.as_ref()
    }
}

type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    TokenReply,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The crate's HTTP hook, one per request: the core's own client, the body re-encoded for ATOM's JSON
/// token requests, and the reply's status kept for the error reader.
pub struct Transport {
    encoding: TokenEncoding,
    last_status: Mutex<Option<u16>>,
}

/// A form body (what the crate builds) as the JSON object ATOM's guide shows.
pub fn form_to_json(form: &[u8]) -> Vec<u8> {
    let body: Map<String, Value> = url::form_urlencoded::parse(form)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    serde_json::to_vec(&body).unwrap_or_default()
}

impl Transport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let (parts, body) = request.into_parts();
        let url = url::Url::parse(&parts.uri.to_string())
            .map_err(|_| Error::Config("the token endpoint is not a valid URL".into()))?;
        let mut req = client_for(&url).await?.request(parts.method, url).header("Accept", "application/json");
        if let Some(auth) = parts.headers.get(http::header::AUTHORIZATION) {
            req = req.header(http::header::AUTHORIZATION, auth);
        }
        req = match self.encoding {
            TokenEncoding::Json => req.header("Content-Type", "application/json").body(form_to_json(&body)),
            TokenEncoding::Form => req.header("Content-Type", "application/x-www-form-urlencoded").body(body),
        };
        let resp = req.send().await.map_err(Error::from_reqwest)?;
        let status = resp.status();
        *self.last_status.lock() = Some(status.as_u16());
        let headers = resp.headers().clone();
        let body = read_body(resp).await?;
        let mut out = http::Response::builder().status(status.as_u16());
        if let Some(ct) = headers.get(reqwest::header::CONTENT_TYPE) {
            out = out.header(http::header::CONTENT_TYPE, ct.as_bytes());
        }
        out.body(body).map_err(|_| Error::BadResponse("an unreadable reply".into()))
    }

    fn status(&self) -> u16 {
        self.last_status.lock().unwrap_or(0)
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for Transport {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

pub struct TokenClient {
    oauth: OAuthClient,
    encoding: TokenEncoding,
    revoke_url: Option<url::Url>,
    client_id: String,
    client_secret: Option<Secret>,
}

impl TokenClient {
    pub fn new(env: &Environment) -> Result<TokenClient> {
        let mut oauth = oauth2::Client::new(ClientId::new(env.client_id.clone()))
            .set_token_uri(TokenUrl::from_url(env.token_url.clone()))
            // ATOM's guide sends the client's credentials in the body.
            .set_auth_type(oauth2::AuthType::RequestBody);
        if let Some(secret) = &env.client_secret {
            oauth = oauth.set_client_secret(oauth2::ClientSecret::new(secret.expose().to_string()));
        }
        Ok(TokenClient {
            oauth,
            encoding: env.token_encoding,
            revoke_url: env.revoke_url.clone(),
            client_id: env.client_id.clone(),
            client_secret: env.client_secret.clone(),
        })
    }

    async fn transport(&self) -> Result<Transport> {
        Ok(Transport { encoding: self.encoding, last_status: Mutex::new(None) })
    }

    fn error(
        transport: &Transport,
        e: RequestTokenError<Error, BasicErrorResponse>,
        step: OAuthStep,
    ) -> Error {
        let status = transport.status();
        match e {
            RequestTokenError::Request(e) => e,
            RequestTokenError::ServerResponse(r) => {
                let body = serde_json::to_vec(&r).unwrap_or_default();
                parse_oauth_error(status, &body, step)
            }
            RequestTokenError::Parse(_, body) if status == 200 => {
                let _ = body;
                Error::BadResponse("the token reply is not what an OAuth server sends".into())
            }
            RequestTokenError::Parse(_, body) => parse_oauth_error(status, &body, step),
            RequestTokenError::Other(message) if status == 200 => Error::BadResponse(message),
            RequestTokenError::Other(_) => parse_oauth_error(status, &[], step),
        }
    }

    fn token_set(reply: TokenReply, sent_at: SystemTime, round_trip: Duration) -> Result<TokenSet> {
        use oauth2::TokenResponse;
        let access = reply.access_token().secret().trim();
        if access.is_empty() {
            return Err(Error::BadResponse("the token reply has no access token".into()));
        }
        if !reply.token_type().as_ref().eq_ignore_ascii_case("bearer") {
            return Err(Error::BadResponse(format!(
                "unsupported token type {}",
                reply.token_type().as_ref()
            )));
        }
        Ok(TokenSet {
            access_token: Secret::new(access),
            refresh_token: reply
                .refresh_token()
                .map(|r| r.secret().trim())
                .filter(|r| !r.is_empty())
                .map(Secret::new),
            expires_in: reply.expires_in().unwrap_or(limits::DEFAULT_ACCESS_TTL),
            scopes: reply.scopes().map(|s| s.iter().map(|x| x.to_string()).collect()).unwrap_or_default(),
            sent_at,
            round_trip,
            id_token: reply.id_token.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(Secret::new),
        })
    }

    /// Exchanges an authorization code. Never retried: a code is single-use, and a second
    /// presentation would revoke what the first one issued.
    pub async fn exchange_code(
        &self,
        code: &Secret,
        verifier: &Secret,
        redirect_uri: &str,
    ) -> Result<TokenSet> {
        let redirect = url::Url::parse(redirect_uri)
            .map_err(|_| Error::Config("the redirect URI is not a valid URL".into()))?;
        let transport = self.transport().await?;
        let (sent_at, started) = (SystemTime::now(), std::time::Instant::now());
        let reply = self
            .oauth
            .exchange_code(AuthorizationCode::new(code.expose().to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_string()))
            .set_redirect_uri(std::borrow::Cow::Owned(RedirectUrl::from_url(redirect)))
            .request_async(&transport)
            .await
            .map_err(|e| Self::error(&transport, e, OAuthStep::SignIn))?;
        Self::token_set(reply, sent_at, started.elapsed())
    }

    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet> {
        let token = RefreshToken::new(refresh_token.expose().to_string());
        let transport = self.transport().await?;
        let (sent_at, started) = (SystemTime::now(), std::time::Instant::now());
        let reply = self
            .oauth
            .exchange_refresh_token(&token)
            .request_async(&transport)
            .await
            .map_err(|e| Self::error(&transport, e, OAuthStep::Refresh))?;
        Self::token_set(reply, sent_at, started.elapsed())
    }

    /// RFC 7009. Only a 200 counts: a server with no such endpoint (none configured, or a 404) was not
    /// told, and the caller says so.
    ///
    /// Written by hand rather than through the crate: `oauth2`'s `revoke_token` refuses any revocation
    /// URL that is not https, and this app talks plain http to servers on this computer (the sandbox, a
    /// test server), as RFC 8252 allows for loopback. The request is the same form (or ATOM's JSON),
    /// built by the same transport.
    pub async fn revoke(&self, token: &Secret, hint: &str) -> Result<()> {
        let Some(url) = &self.revoke_url else {
            return Err(Error::NotRevoked("this server has no revocation endpoint".into()));
        };
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("token", token.expose()).append_pair("token_type_hint", hint);
            form.append_pair("client_id", &self.client_id);
            if let Some(secret) = &self.client_secret {
                form.append_pair("client_secret", secret.expose());
            }
            form.finish().into_bytes()
        };
        let request = http::Request::builder()
            .method(http::Method::POST)
            .uri(url.as_str())
            .body(body)
            .map_err(|_| Error::Config("the revocation endpoint is not a valid URL".into()))?;
        let transport = self.transport().await.map_err(|e| Error::NotRevoked(e.to_string()))?;
        let reply = transport.send(request).await.map_err(|e| Error::NotRevoked(e.to_string()))?;
        match reply.status().as_u16() {
            200 => Ok(()),
            404 => Err(Error::NotRevoked(
                "the server has no revocation endpoint at its address (HTTP 404)".into(),
            )),
            status => {
                let cause = parse_oauth_error(status, reply.body(), OAuthStep::Revoke);
                Err(Error::NotRevoked(format!("{cause} (HTTP {status})")))
            }
        }
    }
}

/// Reads a token reply; anything without a usable access token is refused.
pub fn parse_token_set(body: &[u8]) -> Result<TokenSet> {
    let reply: TokenReply = serde_json::from_slice(body)
        .map_err(|_| Error::BadResponse("the token reply is not what an OAuth server sends".into()))?;
    TokenClient::token_set(reply, SystemTime::now(), Duration::ZERO)
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
        assert_eq!(t.expires_in, Duration::ZERO, "a token already over");
        let t = parse_token_set(br#"{"access_token":"a","expires_in":"soon"}"#).unwrap();
        assert_eq!(t.expires_in, limits::DEFAULT_ACCESS_TTL, "unstated");
        for bad in [
            &b"{}"[..],
            b"not json",
            br#"{"access_token":""}"#,
            br#"{"access_token":"a","token_type":"mac"}"#,
        ] {
            assert_eq!(parse_token_set(bad).unwrap_err().code(), "bad_response");
        }
    }

    #[test]
    fn json_bodies_carry_the_same_fields_as_the_form() {
        let json = form_to_json(b"grant_type=refresh_token&refresh_token=a%2Bb&client_id=atom-desktop");
        let v: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"grant_type": "refresh_token", "refresh_token": "a+b", "client_id": "atom-desktop"})
        );
    }
}
