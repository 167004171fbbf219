//! Helpers shared by the sandbox's HTTP tests: start a sandbox, play the browser, read stats.
#![allow(dead_code)]

use std::collections::HashMap;

use atom_sandbox::{Config, SandboxHandle};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

pub const READ_KEY: &str = "atom_pub_00000000-0000-4000-8000-000000000001";
pub const RW_KEY: &str = "atom_pub_00000000-0000-4000-8000-000000000002";
pub const REVOKED_KEY: &str = "atom_pub_00000000-0000-4000-8000-000000000003";
pub const CLIENT: &str = "atom-desktop";
pub const SCHEME_REDIRECT: &str = "com.atomagentos.marketplace://oauth/callback";
pub const CONFIDENTIAL: &str = "atom-test-confidential";
pub const CONFIDENTIAL_SECRET: &str = "sandbox-secret";
pub const CONFIDENTIAL_REDIRECT: &str = "https://client.example.test/callback";
pub const BOTH_SCOPES: &str = "marketplace:read marketplace:write";

pub struct Sandbox {
    pub handle: SandboxHandle,
    /// A client that does not follow redirects, as a test must see them.
    pub http: reqwest::Client,
}

impl Sandbox {
    /// A sandbox with its test hooks on (the tests read stats and arm faults).
    pub async fn start(config: Config) -> Sandbox {
        let handle =
            atom_sandbox::start(Config { test_hooks: true, ..config }).await.expect("sandbox starts");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        Sandbox { handle, http }
    }

    /// No rate limits, so that tests can call freely.
    pub async fn unlimited() -> Sandbox {
        Sandbox::start(Config { rate_limits: None, ..Config::default() }).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.base_url(), path)
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}{}", self.handle.marketplace_url(), path)
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let resp = self.http.get(self.api(path)).send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, path: &str, auth: Auth<'_>, body: &Value) -> (u16, Value) {
        let resp = auth.apply(self.http.post(self.api(path))).json(body).send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn stats(&self) -> Value {
        self.http.get(self.url("/__sandbox/stats")).send().await.unwrap().json().await.unwrap()
    }

    pub async fn token_requests(&self, grant: &str) -> u64 {
        self.stats().await["token_requests"][grant].as_u64().unwrap_or(0)
    }

    /// Plays the browser through the consent page; returns the redirect's `Location`.
    pub async fn consent(&self, authorize_url: &str, decision: &str) -> String {
        let page = self.http.get(authorize_url).send().await.expect("authorize page");
        assert_eq!(page.status(), 200, "consent page shown");
        let html = page.text().await.unwrap();
        let ticket = html
            .split("name=\"ticket\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("consent form carries a ticket")
            .to_string();
        let resp = self
            .http
            .post(self.url("/oauth/authorize"))
            .form(&[("ticket", ticket.as_str()), ("decision", decision)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 302);
        location(&resp)
    }

    /// Authorization request → approve → code, for the public client and the custom-scheme redirect.
    pub async fn code(&self, scope: &str) -> (String, Pkce) {
        let pkce = Pkce::new();
        let state = "state-123";
        let url = self.authorize_url(&[
            ("response_type", "code"),
            ("client_id", CLIENT),
            ("redirect_uri", SCHEME_REDIRECT),
            ("scope", scope),
            ("state", state),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ]);
        let loc = self.consent(&url, "approve").await;
        let q = query(&loc);
        assert_eq!(q.get("state").map(String::as_str), Some(state));
        (q["code"].clone(), pkce)
    }

    pub fn authorize_url(&self, params: &[(&str, &str)]) -> String {
        let mut url = url::Url::parse(&self.url("/oauth/authorize")).unwrap();
        url.query_pairs_mut().extend_pairs(params);
        url.to_string()
    }

    pub async fn token(&self, body: Value) -> (u16, Value) {
        let resp = self.http.post(self.url("/oauth/token")).json(&body).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// A full sign-in; returns the token response.
    pub async fn login(&self, scope: &str) -> Value {
        let (code, pkce) = self.code(scope).await;
        let (status, body) = self
            .token(serde_json::json!({
                "grant_type": "authorization_code",
                "code": code,
                "client_id": CLIENT,
                "redirect_uri": SCHEME_REDIRECT,
                "code_verifier": pkce.verifier,
            }))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        self.token(serde_json::json!({
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": CLIENT,
        }))
        .await
    }

    /// Status and error code of a GET with a bearer token.
    pub async fn get_with_bearer(&self, path: &str, token: &str) -> (u16, String) {
        let resp = self.http.get(self.api(path)).bearer_auth(token).send().await.unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        (status, body["error"]["code"].as_str().unwrap_or("").to_string())
    }
}

#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    Key(&'a str),
    Bearer(&'a str),
}

impl Auth<'_> {
    pub fn apply(self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => req,
            Auth::Key(k) => req.header("X-API-Key", k),
            Auth::Bearer(t) => req.bearer_auth(t),
        }
    }
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Pkce {
        let bytes: [u8; 32] = rand::random();
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = atom_sandbox::s256(&verifier);
        Pkce { verifier, challenge }
    }
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers().get("location").expect("a Location header").to_str().unwrap().to_string()
}

/// The query of a redirect URL (custom scheme or http) as a map.
pub fn query(url: &str) -> HashMap<String, String> {
    let parsed = url::Url::parse(url).expect("redirect is a URL");
    parsed.query_pairs().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}
