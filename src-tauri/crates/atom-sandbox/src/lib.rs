//! A local, contract-faithful ATOM Public Marketplace: the OAuth 2.0 authorization server and the
//! marketplace API, with deterministic demo data, rate limits, persistence and test hooks.
//!
//! It is the test oracle of the desktop client and the app's embedded "Sandbox" environment. It does
//! not depend on the client: two independent implementations of one contract catch each other's
//! mistakes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), atom_sandbox::StartError> {
//! let sandbox = atom_sandbox::start(atom_sandbox::Config::default()).await?;
//! println!("{}", sandbox.base_url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod api;
mod auth;
mod catalog;
pub mod config;
pub mod contract;
mod db;
pub mod demo;
mod error;
mod hooks;
mod model;
mod oauth;
mod ratelimit;
#[cfg(feature = "tls")]
pub mod tls;
mod updates;
mod validate;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use parking_lot::{Mutex, RwLock};

pub use auth::{is_api_key_format, API_KEYS};
pub use config::{Cli, Config, Quota, RateLimits, TlsFiles};
pub use oauth::{s256, CLIENTS};

use crate::contract::{limits, paths};
use crate::error::ApiError;

/// Shared state of one running sandbox.
pub struct AppState {
    config: Config,
    /// Where the server listens: requests must name it in their `Host` (see [`host_guard`]).
    bound: SocketAddr,
    catalog: RwLock<catalog::Catalog>,
    oauth: Mutex<oauth::OAuthStore>,
    limiter: Mutex<ratelimit::RateLimiter>,
    stats: Mutex<hooks::Stats>,
    faults: Mutex<Vec<hooks::Fault>>,
    db: Option<db::Db>,
}

pub(crate) fn unix_now() -> u64 {
    unix_now_ms() / 1000
}

/// Token and code lifetimes are kept to the millisecond, so that a 2-second token lives 2 seconds.
pub(crate) fn unix_now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl AppState {
    fn new(config: Config, bound: SocketAddr) -> Result<AppState, StartError> {
        let db = match &config.data_dir {
            Some(dir) => Some(db::Db::open(dir).map_err(StartError::Store)?),
            None => None,
        };
        let mut catalog = catalog::Catalog::new(config.seed, config.skills);
        let mut oauth = oauth::OAuthStore::default();
        if let Some(db) = &db {
            catalog.restore(db.load(db::SKILL), db.load(db::RATING));
            oauth.restore(db.load(db::GRANT), db.load(db::TOKEN));
        }
        Ok(AppState {
            catalog: RwLock::new(catalog),
            oauth: Mutex::new(oauth),
            limiter: Mutex::default(),
            stats: Mutex::default(),
            faults: Mutex::default(),
            db,
            config,
            bound,
        })
    }

    /// The issuer identifier (RFC 8414): the sandbox's own address, as clients reach it.
    pub(crate) fn issuer(&self) -> String {
        let ip = match self.bound.ip() {
            IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("{}://{}", self.config.scheme(), SocketAddr::new(ip, self.bound.port()))
    }

    /// Back to the demo data: user records, grants, counters and faults are forgotten.
    fn reset(&self) {
        if let Some(db) = &self.db {
            db.clear();
        }
        *self.catalog.write() = catalog::Catalog::new(self.config.seed, self.config.skills);
        *self.oauth.lock() = oauth::OAuthStore::default();
        *self.limiter.lock() = ratelimit::RateLimiter::default();
        *self.stats.lock() = hooks::Stats::default();
        self.faults.lock().clear();
    }
}

/// The name of a marketplace endpoint in stats and faults: `"METHOD /template"`, relative to the
/// marketplace base (`"GET /skills/{id}"`). Nesting strips the base from the path; a full path works too.
fn api_endpoint_name(method: &Method, path: &str) -> String {
    const API_ROUTES: &[&str] =
        &[paths::SKILLS, paths::SKILL, paths::CATEGORIES, paths::SUBMIT, paths::RATE, paths::REVIEWS];
    let path = path.strip_prefix(paths::MARKETPLACE).unwrap_or(path);
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let template = API_ROUTES
        .iter()
        .find(|route| {
            let parts: Vec<&str> = route.split('/').collect();
            parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(p, s)| p.starts_with('{') || p == s)
        })
        .copied()
        .unwrap_or("/other");
    format!("{method} {template}")
}

/// Credentials, rate limits, faults, the error envelope, request ids and stats for the marketplace API.
async fn api_layer(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let endpoint = api_endpoint_name(req.method(), req.uri().path());
    let conditional =
        (req.method() == Method::GET).then(|| req.headers().get(header::IF_NONE_MATCH).cloned());
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let (principal, auth_error) = match auth::resolve(&state, req.headers()) {
        Ok(p) => (p, None),
        // A bad credential is charged to the caller's address, which also slows down key guessing.
        Err(e) => (auth::Principal::Anonymous, Some(e)),
    };
    let quota = state.config.rate_limits.map(|rl| match principal {
        auth::Principal::Anonymous => rl.anon,
        auth::Principal::ApiKey { .. } => rl.key,
        auth::Principal::OAuth { .. } => rl.oauth,
    });
    let decision = quota.map(|q| state.limiter.lock().charge(principal.bucket(ip), q, unix_now()));

    let mut resp = if let Some(wait) = decision.and_then(|d| d.retry_after) {
        ApiError::rate_limited(wait).into_response()
    } else if let Some(e) = auth_error {
        e.into_response()
    } else if req.method() == Method::POST && !is_json(req.headers()) {
        ApiError::unsupported_media_type().into_response()
    } else {
        req.extensions_mut().insert(principal);
        match hooks::take_fault(&state, &endpoint) {
            Some(fault) => fault.apply(req, next).await,
            None => next.run(req).await,
        }
    };

    if resp.status() == StatusCode::METHOD_NOT_ALLOWED && resp.extensions().get::<ApiError>().is_none() {
        let allow = resp.headers().get(header::ALLOW).cloned();
        resp = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "This method is not allowed here.",
        )
        .into_response();
        if let Some(allow) = allow {
            resp.headers_mut().insert(header::ALLOW, allow);
        }
    }
    if let Some(err) = resp.extensions().get::<ApiError>().cloned() {
        let body = serde_json::to_vec(&err.body(&request_id)).unwrap_or_default();
        resp.headers_mut().remove(header::CONTENT_LENGTH);
        *resp.body_mut() = Body::from(body);
    }
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert(HeaderName::from_static("x-request-id"), v);
    }
    if let Some(d) = decision {
        h.insert(HeaderName::from_static("x-ratelimit-limit"), HeaderValue::from(d.limit));
        h.insert(HeaderName::from_static("x-ratelimit-remaining"), HeaderValue::from(d.remaining));
        h.insert(HeaderName::from_static("x-ratelimit-reset"), HeaderValue::from(d.reset));
    }
    if let Some(if_none_match) = conditional {
        if resp.status() == StatusCode::OK {
            resp = with_etag(resp, if_none_match.as_ref()).await;
        }
    }
    state.stats.lock().api_request(&endpoint, resp.status().as_u16());
    tracing::debug!(%endpoint, status = resp.status().as_u16(), %request_id, "api request");
    resp
}

/// A successful GET gets an `ETag` (a hash of its body) and `Cache-Control: no-cache` (keep it, but
/// ask before using it again); a request whose `If-None-Match` names that tag gets `304 Not Modified`
/// with no body. The request still counts against the rate limit, as it does at ATOM.
async fn with_etag(resp: Response, if_none_match: Option<&HeaderValue>) -> Response {
    use sha2::{Digest, Sha256};
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limits::MAX_BODY_BYTES * 8).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "reply too large").into_response();
    };
    let digest = Sha256::digest(&bytes);
    let tag = format!("\"{}\"", digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>());
    let matches = if_none_match.and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == tag || t == "*")
    });
    if let Ok(v) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, v);
    }
    parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_TYPE);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Faults and stats for the OAuth endpoints.
async fn oauth_layer(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let endpoint = format!("{} {}", req.method(), req.uri().path());
    let resp = match hooks::take_fault(&state, &endpoint) {
        Some(fault) => fault.apply(req, next).await,
        None => next.run(req).await,
    };
    state.stats.lock().api_request(&endpoint, resp.status().as_u16());
    tracing::debug!(%endpoint, status = resp.status().as_u16(), "oauth request");
    resp
}

/// Whether a `Host` header names this server: its own address, `localhost`, or (when it listens on
/// every interface) any IP address, with its port. A DNS-rebinding page reaches the sandbox under a
/// name of its own, and is refused.
pub(crate) fn host_allowed(host: &str, bound: SocketAddr) -> bool {
    let Ok(authority) = host.parse::<axum::http::uri::Authority>() else { return false };
    if authority.port_u16() != Some(bound.port()) {
        return false;
    }
    let name = authority.host().trim_start_matches('[').trim_end_matches(']');
    if name.eq_ignore_ascii_case("localhost") {
        return bound.ip().is_loopback() || bound.ip().is_unspecified();
    }
    match name.parse::<IpAddr>() {
        Ok(ip) if bound.ip().is_unspecified() => !ip.is_unspecified(),
        Ok(ip) => ip == bound.ip(),
        Err(_) => false,
    }
}

/// Refuses requests whose `Host` is not this server (DNS rebinding), before anything else runs.
async fn host_guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !host_allowed(host, state.bound) {
        return (StatusCode::MISDIRECTED_REQUEST, "This server answers only to its own address.\n")
            .into_response();
    }
    next.run(req).await
}

/// JSON bodies must say so: a cross-site page can send a "simple" request (text/plain, no preflight),
/// but never one that says `application/json`.
pub(crate) fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

async fn index() -> Html<String> {
    let keys: String = API_KEYS
        .iter()
        .map(|k| {
            format!(
                "<li><code>{}</code>: {}{}</li>",
                k.key,
                if k.write { "read_write" } else { "read" },
                if k.revoked { " (revoked)" } else { "" }
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>ATOM Sandbox</title>\
         <body style=\"font:16px system-ui;max-width:40rem;margin:2rem auto\"><h1>ATOM Marketplace Sandbox</h1>\
         <p>Marketplace API: <code>{}</code>. OAuth: <code>{}</code>, <code>{}</code>, <code>{}</code>.</p>\
         <p>Public client <code>atom-desktop</code>; confidential client <code>atom-test-confidential</code>.</p>\
         <p>Demo API keys:</p><ul>{keys}</ul></body>",
        paths::MARKETPLACE,
        paths::AUTHORIZE,
        paths::TOKEN,
        paths::REVOKE
    ))
}

/// The sandbox's routes over `state`.
/// An address of this machine that is not loopback (the one its default route leaves by), or `None`
/// on a machine with loopback alone. For tests whose sandbox must be reached as another computer's
/// server is: clients never send requests for this computer's loopback through a proxy.
pub fn this_machines_address() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    // Connecting a UDP socket sends nothing: it only picks the route, and so the local address.
    socket.connect((Ipv4Addr::new(198, 51, 100, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route(paths::SKILLS, get(api::list_skills))
        .route(paths::SKILL, get(api::get_skill))
        .route(paths::CATEGORIES, get(api::categories))
        .route(paths::ME, get(api::me))
        .route(paths::SUBMIT, post(api::submit))
        .route(paths::RATE, post(api::rate))
        .route(paths::REVIEWS, get(api::list_reviews).post(api::post_review))
        .fallback(api::not_found)
        .layer(from_fn_with_state(state.clone(), api_layer));
    let oauth = Router::new()
        .route(paths::AUTHORIZE, get(oauth::authorize).post(oauth::decide))
        .route(paths::TOKEN, post(oauth::token))
        .route(paths::REVOKE, post(oauth::revoke))
        .route(paths::METADATA, get(oauth::metadata))
        .layer(from_fn_with_state(state.clone(), oauth_layer));
    let mut app = Router::new().route("/", get(index)).nest(paths::MARKETPLACE, api).merge(oauth);
    if state.config.updates_dir.is_some() {
        app = app.route(paths::UPDATE_FEED, get(updates::feed)).route(paths::UPDATE_FILE, get(updates::file));
    }
    if state.config.test_hooks {
        let hooks = Router::new()
            .route(paths::HOOK_STATS, get(hooks::stats))
            .route(paths::HOOK_RESET, post(hooks::reset))
            .route(paths::HOOK_FAULTS, post(hooks::add_fault).delete(hooks::clear_faults))
            .route(paths::HOOK_EXPIRE_ACCESS_TOKENS, post(hooks::expire_access_tokens));
        app = app.nest(paths::HOOKS, hooks);
    }
    app.layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
        .layer(from_fn_with_state(state.clone(), host_guard))
        .with_state(state)
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot open the data directory: {0}")]
    Store(String),
    #[error("the sandbox could not be prepared: {0}")]
    Setup(String),
    #[error("cannot serve HTTPS: {0}")]
    Tls(String),
}

/// A running sandbox. Dropping it stops the server too.
pub struct SandboxHandle {
    addr: SocketAddr,
    scheme: &'static str,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https` when serving TLS), with no trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The marketplace API base URL.
    pub fn marketplace_url(&self) -> String {
        format!("{}{}", self.base_url(), paths::MARKETPLACE)
    }

    /// Stops accepting connections, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a sandbox on `config.addr` (port 0 picks a free one) and returns once it accepts connections.
pub async fn start(config: Config) -> Result<SandboxHandle, StartError> {
    let addr = config.addr;
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr, source })?;
    let scheme = config.scheme();
    #[cfg(not(feature = "tls"))]
    if config.tls.is_some() {
        return Err(StartError::Tls("this build of the sandbox has no TLS (the `tls` feature)".into()));
    }
    #[cfg(feature = "tls")]
    let tls = match &config.tls {
        Some(files) => Some(tls::server_config(&files.cert, &files.key).map_err(StartError::Tls)?),
        None => None,
    };
    // Generating up to 10,000 skills takes a moment: keep it off the async workers.
    let state = tokio::task::spawn_blocking(move || AppState::new(config, addr))
        .await
        .map_err(|e| StartError::Setup(e.to_string()))??;
    let app = router(Arc::new(state));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let stopped = async {
        let _ = rx.await;
    };
    let task = tokio::spawn(async move {
        #[cfg(feature = "tls")]
        if let Some(tls) = tls {
            return tls::serve(listener, tls, app, stopped).await;
        }
        let make_service = app.into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(listener, make_service).with_graceful_shutdown(stopped).await;
        if let Err(e) = served {
            tracing::error!("sandbox server stopped: {e}");
        }
    });
    Ok(SandboxHandle { addr, scheme, shutdown: Some(tx), task: Some(task) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_use_route_templates() {
        let n = |m: Method, p: &str| api_endpoint_name(&m, p);
        assert_eq!(n(Method::GET, "/api/public/v1/marketplace/skills"), "GET /skills");
        assert_eq!(n(Method::GET, "/skills/abc"), "GET /skills/{id}");
        assert_eq!(n(Method::POST, "/skills/abc/reviews"), "POST /skills/{id}/reviews");
        assert_eq!(n(Method::POST, "/submit"), "POST /submit");
        assert_eq!(n(Method::GET, "/nope/x/y/z"), "GET /other");
    }

    #[test]
    fn only_its_own_address_is_a_host() {
        let loopback: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        assert!(host_allowed("127.0.0.1:4000", loopback));
        assert!(host_allowed("localhost:4000", loopback));
        assert!(!host_allowed("127.0.0.1:4001", loopback), "another port");
        assert!(!host_allowed("127.0.0.1", loopback), "no port");
        assert!(!host_allowed("evil.example:4000", loopback), "a rebinding name");
        assert!(!host_allowed("10.0.0.1:4000", loopback));
        assert!(!host_allowed("", loopback));
        let any: SocketAddr = "0.0.0.0:4000".parse().unwrap();
        assert!(host_allowed("192.168.1.20:4000", any));
        assert!(!host_allowed("sandbox.evil.example:4000", any));
        let v6: SocketAddr = "[::1]:4000".parse().unwrap();
        assert!(host_allowed("[::1]:4000", v6));
    }
}
