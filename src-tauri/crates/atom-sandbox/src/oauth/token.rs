//! `POST /oauth/token` (code exchange, refresh with rotation and reuse detection) and
//! `POST /oauth/revoke` (RFC 7009), with client authentication.

use super::*;

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
        user_id: entry.user_id.clone(),
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
