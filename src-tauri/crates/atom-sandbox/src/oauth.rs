//! The OAuth 2.0 authorization server: authorize (consent page), token, revoke.
//! Authorization Code with PKCE S256 only (RFC 6749, RFC 7636, RFC 8252 for native apps, RFC 7009).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::contract::{limits, SCOPE_READ, SCOPE_WRITE};
use crate::demo::{DEMO_USER_EMAIL, DEMO_USER_ID, DEMO_USER_NAME};
use crate::error::OAuthError;
use crate::{db, unix_now_ms, AppState};

/// A registered OAuth client.
pub struct Client {
    pub id: &'static str,
    pub name: &'static str,
    /// `None` for public clients (native apps ship no secret, RFC 8252 §8.5).
    pub secret: Option<&'static str>,
    pub redirect_uris: &'static [&'static str],
}

/// A loopback redirect URI registered this way matches any port (RFC 8252 §7.3).
const LOOPBACK_PREFIX: &str = "http://127.0.0.1/";

pub const CLIENTS: &[Client] = &[
    Client {
        id: "atom-desktop",
        name: "ATOM Marketplace Desktop",
        secret: None,
        redirect_uris: &["com.atomagentos.marketplace://oauth/callback", "http://127.0.0.1/oauth/callback"],
    },
    Client {
        id: "atom-test-confidential",
        name: "ATOM Sandbox Test Client (confidential)",
        secret: Some("sandbox-secret"),
        redirect_uris: &["https://client.example.test/callback", "http://127.0.0.1/oauth/callback"],
    },
];

pub fn client(id: &str) -> Option<&'static Client> {
    CLIENTS.iter().find(|c| c.id == id)
}

/// Exact match with a registered URI, or a loopback URI on any port with a registered loopback path.
pub fn redirect_allowed(client: &Client, uri: &str) -> bool {
    if client.redirect_uris.contains(&uri) {
        return true;
    }
    let Ok(url) = url::Url::parse(uri) else { return false };
    url.scheme() == "http"
        && url.host_str() == Some("127.0.0.1")
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        && client
            .redirect_uris
            .iter()
            .filter_map(|r| r.strip_prefix(LOOPBACK_PREFIX))
            .any(|path| url.path() == format!("/{path}"))
}

pub fn hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

fn random_token(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The S256 transform of RFC 7636 §4.2.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn is_base64url(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_verifier(s: &str) -> bool {
    (limits::CODE_VERIFIER_MIN..=limits::CODE_VERIFIER_MAX).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// A validated authorization request waiting on the consent page.
struct Consent {
    client_id: String,
    redirect_uri: String,
    scope: Vec<String>,
    state: String,
    challenge: String,
    expires_at_ms: u64,
}

struct AuthCode {
    client_id: String,
    redirect_uri: String,
    scope: Vec<String>,
    challenge: String,
    expires_at_ms: u64,
    /// Set once the code was presented; the grant it issued, if any.
    used: bool,
    grant_id: Option<String>,
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
    consents: HashMap<String, Consent>,
    /// Keyed by the hash of the code.
    codes: HashMap<String, AuthCode>,
    grants: HashMap<String, Grant>,
    tokens: HashMap<String, TokenRecord>,
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

    fn purge(&mut self, now: u64) {
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

    /// Revokes a grant and every token issued under it; returns what changed, for persistence.
    fn revoke_grant(&mut self, grant_id: &str) -> (Option<Grant>, Vec<TokenRecord>) {
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

    fn issue(
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

fn persist(state: &AppState, grant: Option<&Grant>, tokens: &[TokenRecord]) {
    if let Some(db) = &state.db {
        if let Some(g) = grant {
            db.put(db::GRANT, &g.id, g);
        }
        for t in tokens {
            db.put(db::TOKEN, &t.hash, t);
        }
    }
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const PAGE_STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;\
color:#1b1f24;background:#f6f7f9}main{background:#fff;border:1px solid #d5d9df;border-radius:12px;padding:1.5rem 2rem}\
h1{font-size:1.3rem;margin-top:0}ul{padding-left:1.2rem}.row{display:flex;gap:.75rem;margin-top:1.5rem}\
button{font:inherit;padding:.55rem 1.2rem;border-radius:8px;border:1px solid #9aa3ad;background:#fff;cursor:pointer}\
button.primary{background:#2f5bd3;border-color:#2f5bd3;color:#fff}.muted{color:#5b6470;font-size:.9rem}\
@media (prefers-color-scheme:dark){body{background:#15181c;color:#e6e8eb}main{background:#1d2126;border-color:#343a42}\
button{background:#262b31;color:#e6e8eb;border-color:#4a525c}.muted{color:#9aa3ad}}";

fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width,initial-scale=1\"><title>{t} · ATOM Sandbox</title><style>{PAGE_STYLE}</style>\
         </head><body><main>{body_html}</main></body></html>",
        t = html_escape(title)
    );
    let mut resp = (status, Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

/// An error that must not be redirected: the redirect URI is not trusted (RFC 6749 §4.1.2.1).
fn error_page(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Sign-in error",
        &format!(
            "<h1>This sign-in request cannot continue</h1><p>{}</p>\
             <p class=\"muted\">Nothing was shared. Return to the app and start the sign-in again.</p>",
            html_escape(message)
        ),
    )
}

/// Sends the browser back to the client with `params`, and the issuer (RFC 9207), so that a client
/// talking to several servers can tell which one answered.
fn redirect_with(state: &AppState, redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return error_page("The redirect URI is not valid.");
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        q.append_pair("iss", &state.issuer());
    }
    let mut resp = Redirect::to(url.as_str()).into_response();
    // 302 Found, as RFC 6749's examples use; axum's `to` is 303, which browsers treat the same.
    *resp.status_mut() = StatusCode::FOUND;
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `GET /oauth/authorize`.
pub async fn authorize(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    let mut params: HashMap<String, String> = HashMap::new();
    let mut repeated = Vec::new();
    for (k, v) in form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        if params.insert(k.to_string(), v.to_string()).is_some() {
            repeated.push(k.to_string());
        }
    }
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");

    // Errors before the redirect URI is trusted are shown, never redirected.
    if repeated.iter().any(|k| k == "client_id" || k == "redirect_uri") {
        return error_page("The request repeats client_id or redirect_uri.");
    }
    let Some(client) = client(get("client_id")) else {
        return error_page("Unknown client_id: this application is not registered.");
    };
    let redirect_uri = get("redirect_uri");
    if redirect_uri.is_empty() {
        return error_page("The request has no redirect_uri.");
    }
    if !redirect_allowed(client, redirect_uri) {
        return error_page("The redirect_uri is not registered for this application.");
    }

    let state_param = get("state").to_string();
    let fail = |error: &str, description: &str| {
        let mut p = vec![("error", error), ("error_description", description)];
        if !state_param.is_empty() {
            p.push(("state", state_param.as_str()));
        }
        redirect_with(&state, redirect_uri, &p)
    };
    if !repeated.is_empty() {
        return fail("invalid_request", "a parameter is repeated");
    }
    if get("response_type") != "code" {
        return fail("unsupported_response_type", "response_type must be code");
    }
    if state_param.is_empty() {
        return fail("invalid_request", "state is required");
    }
    let challenge = get("code_challenge");
    if challenge.is_empty() {
        return fail("invalid_request", "code_challenge is required (PKCE)");
    }
    if get("code_challenge_method") != "S256" {
        return fail("invalid_request", "code_challenge_method must be S256");
    }
    if challenge.len() != limits::CODE_CHALLENGE_LEN || !is_base64url(challenge) {
        return fail("invalid_request", "code_challenge must be 43 base64url characters");
    }
    let requested = get("scope");
    let mut scope: Vec<String> = Vec::new();
    for s in requested.split(' ').filter(|s| !s.is_empty()) {
        if s != SCOPE_READ && s != SCOPE_WRITE {
            return fail("invalid_scope", "unknown scope");
        }
        if !scope.iter().any(|x| x == s) {
            scope.push(s.to_string());
        }
    }
    if scope.is_empty() {
        scope.push(SCOPE_READ.to_string());
    }

    let consent = Consent {
        client_id: client.id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        scope,
        state: state_param.clone(),
        challenge: challenge.to_string(),
        expires_at_ms: unix_now_ms() + limits::CONSENT_TTL_SECS * 1000,
    };
    if state.config.auto_approve {
        return approve(&state, consent);
    }
    let ticket = random_token("");
    let body = consent_html(client, &consent, &ticket);
    {
        let mut oauth = state.oauth.lock();
        oauth.purge(unix_now_ms());
        oauth.consents.insert(ticket, consent);
    }
    page(StatusCode::OK, "Authorize", &body)
}

fn consent_html(client: &Client, consent: &Consent, ticket: &str) -> String {
    let scopes: String = consent
        .scope
        .iter()
        .map(|s| {
            let what =
                if s == SCOPE_WRITE { "Submit skills, rate and review" } else { "Browse marketplace skills" };
            format!("<li><strong>{}</strong>: {}</li>", html_escape(s), what)
        })
        .collect();
    format!(
        "<h1>Authorize {client}</h1>\
         <p>You are signed in to the ATOM Sandbox as <strong>{user}</strong> <span class=\"muted\">({email})</span>.</p>\
         <p><strong>{client}</strong> asks for permission to:</p><ul>{scopes}</ul>\
         <form method=\"post\" action=\"/oauth/authorize\">\
         <input type=\"hidden\" name=\"ticket\" value=\"{ticket}\">\
         <div class=\"row\"><button class=\"primary\" type=\"submit\" name=\"decision\" value=\"approve\" autofocus>Approve</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></div></form>\
         <p class=\"muted\">After you choose, you will be sent back to the application.</p>",
        client = html_escape(client.name),
        user = html_escape(DEMO_USER_NAME),
        email = html_escape(DEMO_USER_EMAIL),
        ticket = html_escape(ticket),
    )
}

/// `POST /oauth/authorize`: the consent page's Approve or Deny.
pub async fn decide(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let mut ticket = String::new();
    let mut decision = String::new();
    for (k, v) in form_urlencoded::parse(&body) {
        match &*k {
            "ticket" => ticket = v.into_owned(),
            "decision" => decision = v.into_owned(),
            _ => {}
        }
    }
    let consent = {
        let mut oauth = state.oauth.lock();
        oauth.consents.remove(&ticket)
    };
    let Some(consent) = consent.filter(|c| c.expires_at_ms > unix_now_ms()) else {
        return error_page("This sign-in request has expired or was already answered.");
    };
    match decision.as_str() {
        "approve" => approve(&state, consent),
        "deny" => redirect_with(
            &state,
            &consent.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "The user denied the request"),
                ("state", consent.state.as_str()),
            ],
        ),
        _ => error_page("Choose Approve or Deny."),
    }
}

fn approve(state: &AppState, consent: Consent) -> Response {
    let code = random_token("");
    let now = unix_now_ms();
    state.oauth.lock().codes.insert(
        hash(&code),
        AuthCode {
            client_id: consent.client_id,
            redirect_uri: consent.redirect_uri.clone(),
            scope: consent.scope,
            challenge: consent.challenge,
            expires_at_ms: now + state.config.code_ttl_secs * 1000,
            used: false,
            grant_id: None,
        },
    );
    redirect_with(state, &consent.redirect_uri, &[("code", code.as_str()), ("state", consent.state.as_str())])
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414): where everything is, so that a client finds
/// the sandbox the way it finds any standard server.
pub async fn metadata(State(state): State<Arc<AppState>>) -> Response {
    let issuer = state.issuer();
    let mut resp = axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{}", crate::contract::paths::AUTHORIZE),
        "token_endpoint": format!("{issuer}{}", crate::contract::paths::TOKEN),
        "revocation_endpoint": format!("{issuer}{}", crate::contract::paths::REVOKE),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "scopes_supported": [SCOPE_READ, SCOPE_WRITE],
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": format!("{issuer}/"),
    }))
    .into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
    resp
}

/// Reads a token or revocation request: JSON (the guide) or form-encoded (RFC 6749).
fn read_params(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let mut out = HashMap::new();
    if content_type.starts_with("application/json") {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|_| OAuthError::invalid_request("the body is not valid JSON"))?;
        let obj =
            value.as_object().ok_or_else(|| OAuthError::invalid_request("the body must be a JSON object"))?;
        for (k, v) in obj {
            match v {
                serde_json::Value::String(s) => {
                    out.insert(k.clone(), s.clone());
                }
                serde_json::Value::Null => {}
                _ => return Err(OAuthError::invalid_request(format!("{k} must be a string"))),
            }
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        for (k, v) in form_urlencoded::parse(body) {
            if out.insert(k.to_string(), v.to_string()).is_some() {
                return Err(OAuthError::invalid_request(format!("{k} is repeated")));
            }
        }
    } else {
        return Err(OAuthError::invalid_request(
            "Content-Type must be application/json or application/x-www-form-urlencoded",
        ));
    }
    out.retain(|_, v| !v.is_empty());
    Ok(out)
}

/// Client authentication: HTTP Basic (RFC 6749 §2.3.1) or `client_id`/`client_secret` in the body.
fn authenticate_client(
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<&'static Client, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|b64| {
            let decoded = STANDARD.decode(b64.trim()).ok().and_then(|b| String::from_utf8(b).ok());
            let pair = decoded.as_deref().and_then(|d| d.split_once(':')).map(|(id, secret)| {
                let dec = |s: &str| {
                    form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.to_string())
                };
                (dec(id).unwrap_or_default(), dec(secret).unwrap_or_default())
            });
            pair.ok_or_else(|| {
                let mut e = OAuthError::invalid_client("malformed Basic credentials");
                e.basic_challenge = true;
                e
            })
        })
        .transpose()?;
    let (id, secret, via_basic) = match basic {
        Some((id, secret)) => {
            if params.contains_key("client_secret") {
                return Err(OAuthError::invalid_request("use one client authentication method, not two"));
            }
            if params.get("client_id").is_some_and(|body_id| *body_id != id) {
                return Err(OAuthError::invalid_request("client_id differs from the Basic credentials"));
            }
            (id, Some(secret), true)
        }
        None => (
            params.get("client_id").cloned().unwrap_or_default(),
            params.get("client_secret").cloned(),
            false,
        ),
    };
    let fail = |d: &str| {
        let mut e = OAuthError::invalid_client(d);
        e.basic_challenge = via_basic;
        e
    };
    if id.is_empty() {
        return Err(fail("client_id is required"));
    }
    let client = client(&id).ok_or_else(|| fail("unknown client"))?;
    match (client.secret, secret.as_deref().filter(|s| !s.is_empty())) {
        (None, None) => Ok(client),
        (None, Some(_)) => Err(fail("this is a public client: it must not send a client_secret")),
        (Some(_), None) => Err(fail("client_secret is required for this client")),
        (Some(expected), Some(given)) if constant_time_eq(expected.as_bytes(), given.as_bytes()) => {
            Ok(client)
        }
        (Some(_), Some(_)) => Err(fail("wrong client_secret")),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn token_response(state: &AppState, access: &str, refresh: &str, scope: &[String]) -> Response {
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": state.config.access_ttl_secs,
        "scope": scope.join(" "),
    });
    // A server may issue no refresh token (many do unless asked for offline access).
    if state.config.refresh_tokens {
        body["refresh_token"] = json!(refresh);
    }
    let mut resp = axum::Json(body).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

/// `POST /oauth/token`.
pub async fn token(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let params = match read_params(&headers, &body) {
        Ok(p) => p,
        Err(e) => {
            state.stats.lock().token_request("invalid");
            return e.into_response();
        }
    };
    let grant_type = params.get("grant_type").map(String::as_str).unwrap_or("");
    state.stats.lock().token_request(match grant_type {
        "authorization_code" | "refresh_token" => grant_type,
        _ => "other",
    });
    let result = match authenticate_client(&headers, &params) {
        Err(e) => Err(e),
        Ok(client) => match grant_type {
            "" => Err(OAuthError::invalid_request("grant_type is required")),
            "authorization_code" => exchange_code(&state, client, &params),
            "refresh_token" => refresh(&state, client, &params),
            _ => Err(OAuthError::new("unsupported_grant_type", "use authorization_code or refresh_token")),
        },
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn exchange_code(
    state: &AppState,
    client: &Client,
    p: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let code = p.get("code").ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let redirect_uri =
        p.get("redirect_uri").ok_or_else(|| OAuthError::invalid_request("redirect_uri is required"))?;
    let verifier =
        p.get("code_verifier").ok_or_else(|| OAuthError::invalid_request("code_verifier is required"))?;
    let now = unix_now_ms();
    let mut oauth = state.oauth.lock();
    let entry = oauth.codes.get_mut(&hash(code)).ok_or_else(|| OAuthError::invalid_grant("unknown code"))?;
    if entry.client_id != client.id {
        return Err(OAuthError::invalid_grant("the code was issued to another client"));
    }
    if entry.used {
        // A replayed code: revoke what it issued (RFC 6749 §4.1.2).
        let issued = entry.grant_id.clone();
        if let Some(grant_id) = issued {
            let (g, t) = oauth.revoke_grant(&grant_id);
            drop(oauth);
            persist(state, g.as_ref(), &t);
        }
        return Err(OAuthError::invalid_grant(
            "the code was already used; tokens issued from it are revoked",
        ));
    }
    // Any presentation by its client uses the code up, so a wrong verifier cannot be retried.
    entry.used = true;
    if entry.expires_at_ms <= now {
        return Err(OAuthError::invalid_grant("the code has expired (codes live 10 minutes)"));
    }
    if entry.redirect_uri != *redirect_uri {
        return Err(OAuthError::invalid_grant("redirect_uri does not match the authorization request"));
    }
    if !is_verifier(verifier) || s256(verifier) != entry.challenge {
        return Err(OAuthError::invalid_grant("code_verifier does not match the code_challenge"));
    }
    let grant = Grant {
        id: uuid::Uuid::new_v4().to_string(),
        client_id: client.id.to_string(),
        user_id: DEMO_USER_ID.to_string(),
        scope: entry.scope.clone(),
        revoked: false,
    };
    entry.grant_id = Some(grant.id.clone());
    oauth.grants.insert(grant.id.clone(), grant.clone());
    let (access, refresh, records) =
        oauth.issue(&grant.id, state.config.access_ttl_secs, state.config.refresh_ttl_secs, now);
    drop(oauth);
    persist(state, Some(&grant), &records);
    Ok(token_response(state, &access, &refresh, &grant.scope))
}

fn refresh(state: &AppState, client: &Client, p: &HashMap<String, String>) -> Result<Response, OAuthError> {
    let presented =
        p.get("refresh_token").ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let now = unix_now_ms();
    let mut oauth = state.oauth.lock();
    let record = oauth
        .tokens
        .get(&hash(presented))
        .filter(|t| t.kind == TokenKind::Refresh)
        .cloned()
        .ok_or_else(|| OAuthError::invalid_grant("unknown refresh token"))?;
    let grant = oauth
        .grants
        .get(&record.grant_id)
        .cloned()
        .ok_or_else(|| OAuthError::invalid_grant("unknown grant"))?;
    if grant.client_id != client.id {
        return Err(OAuthError::invalid_grant("the refresh token was issued to another client"));
    }
    match record.status {
        TokenStatus::Rotated => {
            // Reuse of a rotated token: someone holds a stolen copy. Revoke the whole grant (RFC 9700 §4.14).
            let (g, t) = oauth.revoke_grant(&grant.id);
            drop(oauth);
            persist(state, g.as_ref(), &t);
            return Err(OAuthError::invalid_grant("refresh token reuse detected; the grant is revoked"));
        }
        TokenStatus::Revoked => return Err(OAuthError::invalid_grant("the grant was revoked")),
        TokenStatus::Active => {}
    }
    if grant.revoked {
        return Err(OAuthError::invalid_grant("the grant was revoked"));
    }
    if record.expires_at_ms <= now {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    let scope = match p.get("scope") {
        None => grant.scope.clone(),
        Some(s) => {
            let asked: Vec<String> = s.split(' ').filter(|x| !x.is_empty()).map(str::to_string).collect();
            if asked.iter().any(|a| !grant.scope.contains(a)) {
                return Err(OAuthError::new("invalid_scope", "a refresh cannot widen the granted scope"));
            }
            asked
        }
    };
    let old = oauth.tokens.get_mut(&record.hash).map(|t| {
        t.status = TokenStatus::Rotated;
        t.clone()
    });
    let (access, refresh, mut records) =
        oauth.issue(&grant.id, state.config.access_ttl_secs, state.config.refresh_ttl_secs, now);
    drop(oauth);
    records.extend(old);
    persist(state, None, &records);
    Ok(token_response(state, &access, &refresh, &scope))
}

/// `POST /oauth/revoke` (RFC 7009): 200 whatever the token, once the client is authenticated.
pub async fn revoke(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    state.stats.lock().revocations += 1;
    let params = match read_params(&headers, &body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let client = match authenticate_client(&headers, &params) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let Some(token) = params.get("token") else {
        return OAuthError::invalid_request("token is required").into_response();
    };
    let mut oauth = state.oauth.lock();
    let found = oauth.tokens.get(&hash(token)).cloned();
    if let Some(record) = found {
        let owned = oauth.grants.get(&record.grant_id).is_some_and(|g| g.client_id == client.id);
        if owned {
            match record.kind {
                // A refresh token stands for the grant: revoke all of it.
                TokenKind::Refresh => {
                    let (g, t) = oauth.revoke_grant(&record.grant_id);
                    drop(oauth);
                    persist(&state, g.as_ref(), &t);
                }
                TokenKind::Access => {
                    let changed = oauth.tokens.get_mut(&record.hash).map(|t| {
                        t.status = TokenStatus::Revoked;
                        t.clone()
                    });
                    drop(oauth);
                    persist(&state, None, &changed.into_iter().collect::<Vec<_>>());
                }
            }
        }
    }
    let mut resp = StatusCode::OK.into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn loopback_redirect_matches_any_port_but_only_the_registered_path() {
        let c = client("atom-desktop").unwrap();
        assert!(redirect_allowed(c, "http://127.0.0.1:51234/oauth/callback"));
        assert!(redirect_allowed(c, "http://127.0.0.1/oauth/callback"));
        assert!(redirect_allowed(c, "com.atomagentos.marketplace://oauth/callback"));
        assert!(!redirect_allowed(c, "http://127.0.0.1:51234/other"));
        assert!(!redirect_allowed(c, "http://localhost:51234/oauth/callback"));
        assert!(!redirect_allowed(c, "https://127.0.0.1:51234/oauth/callback"));
        assert!(!redirect_allowed(c, "http://127.0.0.1:5/oauth/callback?x=1"));
        assert!(!redirect_allowed(c, "http://user@127.0.0.1:5/oauth/callback"));
        assert!(!redirect_allowed(c, "com.atomagentos.marketplace://oauth/callback/x"));
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
