//! Test hooks under `/__sandbox/`: request statistics, reset, and fault injection.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::ApiError;
use crate::AppState;

/// Counts of what the sandbox was asked.
#[derive(Default, Serialize)]
pub struct Stats {
    /// Token endpoint requests by `grant_type` (`authorization_code`, `refresh_token`, `other`, `invalid`).
    pub token_requests: BTreeMap<String, u64>,
    pub revocations: u64,
    /// `"METHOD /path-template"` → status → count.
    pub api_requests: BTreeMap<String, BTreeMap<u16, u64>>,
}

impl Stats {
    pub fn token_request(&mut self, grant_type: &str) {
        *self.token_requests.entry(grant_type.to_string()).or_default() += 1;
    }

    pub fn api_request(&mut self, endpoint: &str, status: u16) {
        *self.api_requests.entry(endpoint.to_string()).or_default().entry(status).or_default() += 1;
    }
}

/// An injected failure: the next `count` requests to `endpoint` get `status` (and `body`, verbatim,
/// when given) after `delay_ms`. With `pass`, the requests are handled for real instead, slowly:
/// `delay_ms` before the server acts (a slow server), `reply_delay_ms` after it has acted and before
/// the reply leaves (the case where a client gives up on a request that did happen), and with the
/// fault's `headers` set on the real reply (a `Date` hours off: a server whose clock is wrong).
#[derive(Clone, Debug, Deserialize)]
pub struct Fault {
    /// `"METHOD /path-template"`, as in the stats: `"POST /skills/{id}/reviews"`, `"POST /oauth/token"`.
    pub endpoint: String,
    #[serde(default = "default_status")]
    pub status: u16,
    #[serde(default = "default_count")]
    pub count: u32,
    #[serde(default)]
    pub delay_ms: u64,
    /// A raw body, for malformed-reply tests; the error envelope otherwise.
    #[serde(default)]
    pub body: Option<String>,
    /// Extra response headers, such as `{"Retry-After": "1"}`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub pass: bool,
    #[serde(default)]
    pub reply_delay_ms: u64,
}

fn default_status() -> u16 {
    500
}

fn default_count() -> u32 {
    1
}

fn capped(ms: u64) -> Duration {
    Duration::from_millis(ms.min(120_000))
}

impl Fault {
    /// Answers `req` as the fault says: with the fault's reply, or through `next` after the delays.
    pub async fn apply(self, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
        if !self.pass {
            return self.respond().await;
        }
        tokio::time::sleep(capped(self.delay_ms)).await;
        let mut resp = next.run(req).await;
        self.set_headers(&mut resp);
        tokio::time::sleep(capped(self.reply_delay_ms)).await;
        resp
    }

    fn set_headers(&self, resp: &mut Response) {
        for (name, value) in &self.headers {
            if let (Ok(n), Ok(v)) =
                (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str()))
            {
                resp.headers_mut().insert(n, v);
            }
        }
    }

    pub async fn respond(self) -> Response {
        if self.delay_ms > 0 {
            tokio::time::sleep(capped(self.delay_ms)).await;
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = match self.body.clone() {
            Some(body) => Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap_or_else(|_| status.into_response()),
            None if status == StatusCode::TOO_MANY_REQUESTS => {
                let wait = self.headers.get("Retry-After").and_then(|v| v.parse().ok()).unwrap_or(1);
                ApiError::rate_limited(wait).into_response()
            }
            None => {
                let mut e = ApiError::internal("Injected fault (sandbox test hook).");
                e.status = status;
                e.into_response()
            }
        };
        self.set_headers(&mut resp);
        resp
    }
}

/// Takes one use of the first fault armed for `endpoint`.
pub fn take_fault(state: &AppState, endpoint: &str) -> Option<Fault> {
    let mut faults = state.faults.lock();
    let i = faults.iter().position(|f| f.endpoint == endpoint && f.count > 0)?;
    faults[i].count -= 1;
    let fault = faults[i].clone();
    if faults[i].count == 0 {
        faults.remove(i);
    }
    Some(fault)
}

pub async fn stats(State(state): State<Arc<AppState>>) -> Response {
    let stats = state.stats.lock();
    Json(json!({
        "token_requests": stats.token_requests,
        "revocations": stats.revocations,
        "api_requests": stats.api_requests,
        "skills": state.catalog.read().skill_count(),
    }))
    .into_response()
}

/// `POST /__sandbox/reset`, with a JSON body (`{}`) like every other write, so that a cross-site form
/// cannot send it.
pub async fn reset(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !crate::is_json(&headers) {
        return ApiError::unsupported_media_type().into_response();
    }
    state.reset();
    Json(json!({ "success": true })).into_response()
}

/// `POST /__sandbox/expire-access-tokens`: every access token issued so far is refused as expired from
/// now on (`OAUTH_TOKEN_EXPIRED`), as when a server ends tokens sooner than their `expires_in` said.
pub async fn expire_access_tokens(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !crate::is_json(&headers) {
        return ApiError::unsupported_media_type().into_response();
    }
    let expired = state.oauth.lock().expire_access_tokens(crate::unix_now_ms());
    Json(json!({ "success": true, "expired": expired })).into_response()
}

/// `POST /__sandbox/faults` arms a fault; `DELETE` clears them all.
pub async fn add_fault(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    if !crate::is_json(&headers) {
        return ApiError::unsupported_media_type().into_response();
    }
    match serde_json::from_slice::<Fault>(&body) {
        Ok(fault) if fault.endpoint.contains(' ') => {
            state.faults.lock().push(fault);
            (StatusCode::CREATED, Json(json!({ "success": true }))).into_response()
        }
        Ok(_) => ApiError::field("endpoint", "must be \"METHOD /path-template\"").into_response(),
        Err(e) => ApiError::field("body", format!("is not a fault: {e}")).into_response(),
    }
}

pub async fn clear_faults(State(state): State<Arc<AppState>>) -> Response {
    state.faults.lock().clear();
    Json(json!({ "success": true })).into_response()
}
