//! `GET`/`POST /oauth/authorize` (the consent page and its decision) and the server's metadata
//! (RFC 8414).

use super::*;

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
        // OpenID Connect's `login_hint`: a known user's id or email picks them; anything else is ignored.
        user_id: crate::demo::user(get("login_hint")).map_or(DEMO_USER_ID, |u| u.id).to_string(),
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

/// `POST /oauth/authorize`: the consent page's Approve or Deny.
pub async fn decide(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let mut ticket = String::new();
    let mut decision = String::new();
    let mut user = None;
    for (k, v) in form_urlencoded::parse(&body) {
        match &*k {
            "ticket" => ticket = v.into_owned(),
            "decision" => decision = v.into_owned(),
            "user" => user = crate::demo::user(&v),
            _ => {}
        }
    }
    let consent = {
        let mut oauth = state.oauth.lock();
        oauth.consents.remove(&ticket)
    };
    let Some(mut consent) = consent.filter(|c| c.expires_at_ms > unix_now_ms()) else {
        return error_page("This sign-in request has expired or was already answered.");
    };
    if let Some(user) = user {
        consent.user_id = user.id.to_string();
    }
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
            user_id: consent.user_id,
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
