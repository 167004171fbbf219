//! The OAuth 2.0 authorization server, over real HTTP on loopback.

mod common;

use std::time::Duration;

use atom_sandbox::Config;
use common::*;
use serde_json::json;

fn authorize_params<'a>(challenge: &'a str, state: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", CLIENT),
        ("redirect_uri", SCHEME_REDIRECT),
        ("scope", BOTH_SCOPES),
        ("state", state),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

fn with<'a>(
    mut params: Vec<(&'a str, &'a str)>,
    key: &'a str,
    value: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    params.retain(|(k, _)| *k != key);
    if let Some(v) = value {
        params.push((key, v));
    }
    params
}

async fn authorize_redirect(
    sb: &Sandbox,
    params: &[(&str, &str)],
) -> std::collections::HashMap<String, String> {
    let resp = sb.http.get(sb.authorize_url(params)).send().await.unwrap();
    assert_eq!(resp.status(), 302, "the error is redirected to the client");
    let loc = location(&resp);
    assert!(loc.starts_with(SCHEME_REDIRECT), "{loc}");
    query(&loc)
}

#[tokio::test]
async fn full_flow_with_rfc7636_appendix_b_vector() {
    let sb = Sandbox::unlimited().await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let loc = sb.consent(&sb.authorize_url(&authorize_params(challenge, "xyz")), "approve").await;
    let q = query(&loc);
    assert_eq!(q["state"], "xyz");
    let (status, body) = sb
        .token(json!({
            "grant_type": "authorization_code", "code": q["code"], "client_id": CLIENT,
            "redirect_uri": SCHEME_REDIRECT, "code_verifier": verifier,
        }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], BOTH_SCOPES);
    let access = body["access_token"].as_str().unwrap();
    assert!(body["refresh_token"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(sb.get_with_bearer("/categories", access).await, (200, String::new()));
}

#[tokio::test]
async fn token_response_is_not_cacheable() {
    let sb = Sandbox::unlimited().await;
    let (code, pkce) = sb.code(BOTH_SCOPES).await;
    let resp = sb
        .http
        .post(sb.url("/oauth/token"))
        .json(&json!({"grant_type": "authorization_code", "code": code, "client_id": CLIENT,
                      "redirect_uri": SCHEME_REDIRECT, "code_verifier": pkce.verifier}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn authorize_refuses_plain_pkce() {
    let sb = Sandbox::unlimited().await;
    let pkce = Pkce::new();
    let params = with(authorize_params(&pkce.challenge, "s1"), "code_challenge_method", Some("plain"));
    let q = authorize_redirect(&sb, &params).await;
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["state"], "s1");
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn authorize_requires_a_challenge_of_43_base64url_characters() {
    let sb = Sandbox::unlimited().await;
    for bad in [None, Some("short"), Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM")] {
        let params = with(authorize_params("x", "s2"), "code_challenge", bad);
        let q = authorize_redirect(&sb, &params).await;
        assert_eq!(q["error"], "invalid_request", "{bad:?}");
    }
    let pkce = Pkce::new();
    let params = with(authorize_params(&pkce.challenge, "s2"), "code_challenge_method", None);
    assert_eq!(
        authorize_redirect(&sb, &params).await["error"],
        "invalid_request",
        "method defaults to plain"
    );
}

#[tokio::test]
async fn authorize_requires_state() {
    let sb = Sandbox::unlimited().await;
    let pkce = Pkce::new();
    let params = with(authorize_params(&pkce.challenge, ""), "state", None);
    let q = authorize_redirect(&sb, &params).await;
    assert_eq!(q["error"], "invalid_request");
    assert!(!q.contains_key("state"));
}

#[tokio::test]
async fn authorize_rejects_unknown_scope_and_response_type() {
    let sb = Sandbox::unlimited().await;
    let c = Pkce::new().challenge;
    let q =
        authorize_redirect(&sb, &with(authorize_params(&c, "s"), "scope", Some("marketplace:admin"))).await;
    assert_eq!(q["error"], "invalid_scope");
    let q = authorize_redirect(&sb, &with(authorize_params(&c, "s"), "response_type", Some("token"))).await;
    assert_eq!(q["error"], "unsupported_response_type");
    assert_eq!(q["state"], "s");
}

#[tokio::test]
async fn authorize_accepts_plus_as_scope_separator() {
    let sb = Sandbox::unlimited().await;
    let pkce = Pkce::new();
    let url = format!(
        "{}?response_type=code&client_id={CLIENT}&redirect_uri={}&scope=marketplace:read+marketplace:write\
         &state=p&code_challenge={}&code_challenge_method=S256",
        sb.url("/oauth/authorize"),
        "com.atomagentos.marketplace%3A%2F%2Foauth%2Fcallback",
        pkce.challenge
    );
    let html = sb.http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("marketplace:read") && html.contains("marketplace:write"), "{html}");
}

#[tokio::test]
async fn unknown_client_or_redirect_is_shown_never_redirected() {
    let sb = Sandbox::unlimited().await;
    let c = Pkce::new().challenge;
    let cases = [
        with(authorize_params(&c, "s"), "client_id", Some("evil-client")),
        with(authorize_params(&c, "s"), "client_id", None),
        with(authorize_params(&c, "s"), "redirect_uri", Some("https://evil.example/callback")),
        with(authorize_params(&c, "s"), "redirect_uri", Some("http://localhost:8080/oauth/callback")),
        with(authorize_params(&c, "s"), "redirect_uri", Some("com.atomagentos.marketplace://oauth/other")),
        with(authorize_params(&c, "s"), "redirect_uri", None),
    ];
    for params in cases {
        let resp = sb.http.get(sb.authorize_url(&params)).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{params:?}");
        assert!(resp.headers().get("location").is_none());
        let html = resp.text().await.unwrap();
        assert!(html.contains("cannot continue"));
    }
    // A repeated redirect_uri is as untrusted as a wrong one.
    let mut params = authorize_params(&c, "s");
    params.push(("redirect_uri", "https://evil.example/callback"));
    let resp = sb.http.get(sb.authorize_url(&params)).send().await.unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn loopback_redirect_on_any_port_is_accepted() {
    let sb = Sandbox::unlimited().await;
    let pkce = Pkce::new();
    let redirect = "http://127.0.0.1:54321/oauth/callback";
    let params = with(authorize_params(&pkce.challenge, "lb"), "redirect_uri", Some(redirect));
    let loc = sb.consent(&sb.authorize_url(&params), "approve").await;
    assert!(loc.starts_with("http://127.0.0.1:54321/oauth/callback?"), "{loc}");
    let code = query(&loc)["code"].clone();
    // The code is bound to the exact redirect URI, port included.
    let (status, body) = sb
        .token(json!({"grant_type": "authorization_code", "code": code, "client_id": CLIENT,
                      "redirect_uri": redirect, "code_verifier": pkce.verifier}))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn deny_redirects_access_denied_with_state() {
    let sb = Sandbox::unlimited().await;
    let pkce = Pkce::new();
    let loc = sb.consent(&sb.authorize_url(&authorize_params(&pkce.challenge, "d1")), "deny").await;
    let q = query(&loc);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "d1");
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn consent_ticket_is_single_use() {
    let sb = Sandbox::unlimited().await;
    let url = sb.authorize_url(&authorize_params(&Pkce::new().challenge, "t"));
    let html = sb.http.get(&url).send().await.unwrap().text().await.unwrap();
    let ticket =
        html.split("name=\"ticket\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let post = || {
        sb.http
            .post(sb.url("/oauth/authorize"))
            .form(&[("ticket", ticket.as_str()), ("decision", "approve")])
            .send()
    };
    assert_eq!(post().await.unwrap().status(), 302);
    let again = post().await.unwrap();
    assert_eq!(again.status(), 400);
    assert!(again.headers().get("location").is_none());
}

#[tokio::test]
async fn consent_page_names_client_user_and_scopes() {
    let sb = Sandbox::unlimited().await;
    let resp =
        sb.http.get(sb.authorize_url(&authorize_params(&Pkce::new().challenge, "c"))).send().await.unwrap();
    assert!(resp.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
    let html = resp.text().await.unwrap();
    for needle in ["ATOM Marketplace Desktop", "Demo User", "marketplace:write", "Approve", "Deny", "<form"] {
        assert!(html.contains(needle), "{needle}");
    }
    assert!(!html.contains("<script"), "the page works without JavaScript");
}

#[tokio::test]
async fn auto_approve_redirects_at_once() {
    let sb = Sandbox::start(Config { auto_approve: true, rate_limits: None, ..Config::default() }).await;
    let resp =
        sb.http.get(sb.authorize_url(&authorize_params(&Pkce::new().challenge, "a"))).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let q = query(&location(&resp));
    assert!(q.contains_key("code"));
    assert_eq!(q["state"], "a");
}

#[tokio::test]
async fn wrong_verifier_is_invalid_grant_and_uses_the_code_up() {
    let sb = Sandbox::unlimited().await;
    let (code, pkce) = sb.code(BOTH_SCOPES).await;
    let body = |verifier: &str| {
        json!({"grant_type": "authorization_code", "code": code, "client_id": CLIENT,
               "redirect_uri": SCHEME_REDIRECT, "code_verifier": verifier})
    };
    let (status, err) = sb.token(body(&Pkce::new().verifier)).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")));
    let (status, err) = sb.token(body(&pkce.verifier)).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")), "no second try");
}

#[tokio::test]
async fn reused_code_fails_and_revokes_its_tokens() {
    let sb = Sandbox::unlimited().await;
    let (code, pkce) = sb.code(BOTH_SCOPES).await;
    let body = json!({"grant_type": "authorization_code", "code": code, "client_id": CLIENT,
                      "redirect_uri": SCHEME_REDIRECT, "code_verifier": pkce.verifier});
    let (status, first) = sb.token(body.clone()).await;
    assert_eq!(status, 200);
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(sb.get_with_bearer("/categories", access).await.0, 200);

    let (status, err) = sb.token(body).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(sb.get_with_bearer("/categories", access).await, (401, "OAUTH_TOKEN_INVALID".into()));
    let (status, err) = sb.refresh(first["refresh_token"].as_str().unwrap()).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn code_expires() {
    let sb = Sandbox::start(Config { code_ttl_secs: 1, rate_limits: None, ..Config::default() }).await;
    let (code, pkce) = sb.code(BOTH_SCOPES).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, err) = sb
        .token(json!({"grant_type": "authorization_code", "code": code, "client_id": CLIENT,
                      "redirect_uri": SCHEME_REDIRECT, "code_verifier": pkce.verifier}))
        .await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")));
    assert!(err["error_description"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn code_is_bound_to_redirect_uri_and_client() {
    let sb = Sandbox::unlimited().await;
    let (code, pkce) = sb.code(BOTH_SCOPES).await;
    let (status, err) = sb
        .token(json!({"grant_type": "authorization_code", "code": code, "client_id": CLIENT,
                      "redirect_uri": "http://127.0.0.1:9/oauth/callback", "code_verifier": pkce.verifier}))
        .await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")));

    let (code, pkce) = sb.code(BOTH_SCOPES).await;
    let (status, err) = sb
        .token(json!({"grant_type": "authorization_code", "code": code, "client_id": CONFIDENTIAL,
                      "client_secret": CONFIDENTIAL_SECRET, "redirect_uri": SCHEME_REDIRECT,
                      "code_verifier": pkce.verifier}))
        .await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_grant() {
    let sb = Sandbox::unlimited().await;
    let first = sb.login(BOTH_SCOPES).await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let (status, second) = sb.refresh(r1).await;
    assert_eq!(status, 200, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap();
    let a2 = second["access_token"].as_str().unwrap();
    assert_ne!(r1, r2, "the refresh token rotates");
    assert_eq!(second["scope"], BOTH_SCOPES);
    assert_eq!(sb.get_with_bearer("/categories", a2).await.0, 200);

    // The old token is dead, and presenting it again revokes everything issued under the grant.
    let (status, err) = sb.refresh(r1).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(sb.get_with_bearer("/categories", a2).await, (401, "OAUTH_TOKEN_INVALID".into()));
    let (status, err) = sb.refresh(r2).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn refresh_cannot_widen_scope() {
    let sb = Sandbox::unlimited().await;
    let t = sb.login("marketplace:read").await;
    let (status, err) = sb
        .token(json!({"grant_type": "refresh_token", "client_id": CLIENT,
                      "refresh_token": t["refresh_token"], "scope": BOTH_SCOPES}))
        .await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_scope")));
}

#[tokio::test]
async fn expired_access_token_says_so() {
    let sb = Sandbox::start(Config { access_ttl_secs: 1, rate_limits: None, ..Config::default() }).await;
    let t = sb.login(BOTH_SCOPES).await;
    assert_eq!(t["expires_in"], 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let resp = sb
        .http
        .get(sb.api("/categories"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer error=\"invalid_token\"");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(error_code(&body), "OAUTH_TOKEN_EXPIRED");
    // The refresh token still works.
    assert_eq!(sb.refresh(t["refresh_token"].as_str().unwrap()).await.0, 200);
}

#[tokio::test]
async fn refresh_token_expires() {
    let sb = Sandbox::start(Config { refresh_ttl_secs: 1, rate_limits: None, ..Config::default() }).await;
    let t = sb.login(BOTH_SCOPES).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, err) = sb.refresh(t["refresh_token"].as_str().unwrap()).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")));
}

async fn confidential_code(sb: &Sandbox) -> (String, Pkce) {
    let pkce = Pkce::new();
    let url = sb.authorize_url(&[
        ("response_type", "code"),
        ("client_id", CONFIDENTIAL),
        ("redirect_uri", CONFIDENTIAL_REDIRECT),
        ("scope", "marketplace:read"),
        ("state", "conf"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ]);
    let loc = sb.consent(&url, "approve").await;
    (query(&loc)["code"].clone(), pkce)
}

#[tokio::test]
async fn confidential_client_must_authenticate() {
    let sb = Sandbox::unlimited().await;
    for secret in [None, Some("wrong-secret")] {
        let (code, pkce) = confidential_code(&sb).await;
        let mut body = json!({"grant_type": "authorization_code", "code": code, "client_id": CONFIDENTIAL,
                              "redirect_uri": CONFIDENTIAL_REDIRECT, "code_verifier": pkce.verifier});
        if let Some(s) = secret {
            body["client_secret"] = json!(s);
        }
        let (status, err) = sb.token(body).await;
        assert_eq!((status, err["error"].as_str()), (401, Some("invalid_client")), "{secret:?}");
    }
    let (code, pkce) = confidential_code(&sb).await;
    let (status, body) = sb
        .token(json!({"grant_type": "authorization_code", "code": code, "client_id": CONFIDENTIAL,
                      "client_secret": CONFIDENTIAL_SECRET, "redirect_uri": CONFIDENTIAL_REDIRECT,
                      "code_verifier": pkce.verifier}))
        .await;
    assert_eq!(status, 200, "{body}");
    // HTTP Basic works as well (RFC 6749 §2.3.1), and a wrong Basic secret gets a challenge.
    let resp = sb
        .http
        .post(sb.url("/oauth/token"))
        .basic_auth(CONFIDENTIAL, Some("nope"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", body["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    let resp = sb
        .http
        .post(sb.url("/oauth/token"))
        .basic_auth(CONFIDENTIAL, Some(CONFIDENTIAL_SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", body["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn public_client_must_not_send_a_secret_and_unknown_clients_are_refused() {
    let sb = Sandbox::unlimited().await;
    let t = sb.login(BOTH_SCOPES).await;
    let (status, err) = sb
        .token(json!({"grant_type": "refresh_token", "client_id": CLIENT, "client_secret": "made-up",
                      "refresh_token": t["refresh_token"]}))
        .await;
    assert_eq!((status, err["error"].as_str()), (401, Some("invalid_client")));
    let (status, err) = sb
        .token(json!({"grant_type": "refresh_token", "client_id": "nobody", "refresh_token": t["refresh_token"]}))
        .await;
    assert_eq!((status, err["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn token_endpoint_rejects_malformed_requests() {
    let sb = Sandbox::unlimited().await;
    let post = |ct: &'static str, body: &'static str| {
        sb.http.post(sb.url("/oauth/token")).header("content-type", ct).body(body).send()
    };
    for (ct, body, expected) in [
        ("application/json", "{not json", "invalid_request"),
        ("application/json", "[1,2]", "invalid_request"),
        ("application/json", "{\"grant_type\": 5, \"client_id\": \"atom-desktop\"}", "invalid_request"),
        ("text/plain", "grant_type=refresh_token", "invalid_request"),
        ("application/x-www-form-urlencoded", "client_id=atom-desktop", "invalid_request"),
        (
            "application/x-www-form-urlencoded",
            "grant_type=password&client_id=atom-desktop",
            "unsupported_grant_type",
        ),
        (
            "application/x-www-form-urlencoded",
            "grant_type=refresh_token&client_id=atom-desktop",
            "invalid_request",
        ),
        (
            "application/x-www-form-urlencoded",
            "grant_type=refresh_token&client_id=atom-desktop&refresh_token=nope",
            "invalid_grant",
        ),
        (
            "application/x-www-form-urlencoded",
            "grant_type=authorization_code&grant_type=x&client_id=atom-desktop",
            "invalid_request",
        ),
    ] {
        let resp = post(ct, body).await.unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v["error"], expected, "{body}");
        assert!(v["error_description"].is_string());
    }
}

#[tokio::test]
async fn revoke_refresh_token_ends_the_grant() {
    let sb = Sandbox::unlimited().await;
    let t = sb.login(BOTH_SCOPES).await;
    let resp = sb
        .http
        .post(sb.url("/oauth/revoke"))
        .json(&json!({"token": t["refresh_token"], "token_type_hint": "refresh_token", "client_id": CLIENT}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(sb.refresh(t["refresh_token"].as_str().unwrap()).await.0, 400);
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(sb.get_with_bearer("/categories", access).await, (401, "OAUTH_TOKEN_INVALID".into()));
    assert_eq!(sb.stats().await["revocations"], 1);
}

#[tokio::test]
async fn revoke_access_token_keeps_the_refresh_token() {
    let sb = Sandbox::unlimited().await;
    let t = sb.login(BOTH_SCOPES).await;
    let resp = sb
        .http
        .post(sb.url("/oauth/revoke"))
        .form(&[("token", t["access_token"].as_str().unwrap()), ("client_id", CLIENT)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(sb.get_with_bearer("/categories", t["access_token"].as_str().unwrap()).await.0, 401);
    assert_eq!(sb.refresh(t["refresh_token"].as_str().unwrap()).await.0, 200);
}

#[tokio::test]
async fn revoke_answers_200_for_unknown_or_foreign_tokens() {
    let sb = Sandbox::unlimited().await;
    let t = sb.login(BOTH_SCOPES).await;
    for (token, client) in [("not-a-token", CLIENT), (t["refresh_token"].as_str().unwrap(), CONFIDENTIAL)] {
        let mut body = json!({"token": token, "client_id": client});
        if client == CONFIDENTIAL {
            body["client_secret"] = json!(CONFIDENTIAL_SECRET);
        }
        let resp = sb.http.post(sb.url("/oauth/revoke")).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }
    // Another client cannot revoke this client's grant.
    assert_eq!(sb.refresh(t["refresh_token"].as_str().unwrap()).await.0, 200);
}

#[tokio::test]
async fn read_scope_cannot_write() {
    let sb = Sandbox::unlimited().await;
    let t = sb.login("marketplace:read").await;
    assert_eq!(t["scope"], "marketplace:read");
    let (status, body) = sb
        .post_json(
            "/skills/web-router/rate",
            Auth::Bearer(t["access_token"].as_str().unwrap()),
            &json!({"rating": 5}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (403, "INSUFFICIENT_SCOPE"));
}

#[tokio::test]
async fn missing_scope_defaults_to_read() {
    let sb = Sandbox::unlimited().await;
    let t = sb.login("").await;
    assert_eq!(t["scope"], "marketplace:read");
}

#[tokio::test]
async fn stats_count_token_requests_by_grant_type() {
    let sb = Sandbox::unlimited().await;
    let t = sb.login(BOTH_SCOPES).await;
    sb.refresh(t["refresh_token"].as_str().unwrap()).await;
    sb.refresh("bogus").await;
    assert_eq!(sb.token_requests("authorization_code").await, 1);
    assert_eq!(sb.token_requests("refresh_token").await, 2);
}

#[tokio::test]
async fn metadata_describes_the_server_for_discovery() {
    let sb = Sandbox::unlimited().await;
    let resp = sb.http.get(sb.url("/.well-known/oauth-authorization-server")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let m: serde_json::Value = resp.json().await.unwrap();
    let base = sb.handle.base_url();
    assert_eq!(m["issuer"], base.as_str(), "the issuer is the address the metadata was fetched under");
    assert_eq!(m["authorization_endpoint"], format!("{base}/oauth/authorize"));
    assert_eq!(m["token_endpoint"], format!("{base}/oauth/token"));
    assert_eq!(m["revocation_endpoint"], format!("{base}/oauth/revoke"));
    assert_eq!(m["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    assert!(m["scopes_supported"].as_array().unwrap().iter().any(|s| s == "marketplace:write"));
}

#[tokio::test]
async fn every_authorization_response_names_the_issuer() {
    let sb = Sandbox::unlimited().await;
    let base = sb.handle.base_url();
    let pkce = Pkce::new();
    let params = |state: &'static str| {
        vec![
            ("response_type", "code"),
            ("client_id", CLIENT),
            ("redirect_uri", SCHEME_REDIRECT),
            ("scope", BOTH_SCOPES),
            ("state", state),
            ("code_challenge_method", "S256"),
        ]
    };
    let mut approve = params("a");
    approve.push(("code_challenge", &pkce.challenge));
    let approved = sb.consent(&sb.authorize_url(&approve), "approve").await;
    let mut deny = params("d");
    deny.push(("code_challenge", &pkce.challenge));
    let denied = sb.consent(&sb.authorize_url(&deny), "deny").await;
    // An error found after the redirect URI is trusted (no challenge) is redirected too.
    let resp = sb.http.get(sb.authorize_url(&params("e"))).send().await.unwrap();
    let failed = location(&resp);
    for (what, loc) in [("approve", approved), ("deny", denied), ("error", failed)] {
        assert_eq!(query(&loc).get("iss").map(String::as_str), Some(base.as_str()), "{what}: {loc}");
    }
}

/// The user the consent page signs in: the demo user unless the page (or a `login_hint`) picks
/// another; `GET /me` then says who the token stands for, and never the token.
#[tokio::test]
async fn the_consent_page_picks_who_signs_in_and_me_says_who() {
    let sb = Sandbox::unlimited().await;
    let me = |token: String| {
        let req = sb.http.get(sb.api("/me")).bearer_auth(token);
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<serde_json::Value>().await.unwrap())
        }
    };
    let exchange = |code: String, verifier: String| {
        sb.token(json!({
            "grant_type": "authorization_code", "code": code, "client_id": CLIENT,
            "redirect_uri": SCHEME_REDIRECT, "code_verifier": verifier,
        }))
    };

    // The page lists both users, the demo user checked; a login_hint checks another.
    let pkce = Pkce::new();
    let html = sb.http.get(sb.authorize_url(&authorize_params(&pkce.challenge, "s"))).send().await.unwrap();
    let html = html.text().await.unwrap();
    assert!(html.contains("Sam Okafor") && html.contains(r#"value="demo-user" checked"#), "{html}");
    let hinted =
        with(authorize_params(&pkce.challenge, "s"), "login_hint", Some("sam@sandbox.atomagentos.invalid"));
    let html = sb.http.get(sb.authorize_url(&hinted)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"value="sam" checked"#), "{html}");

    // Approving as sam signs sam in.
    let page = sb.http.get(sb.authorize_url(&authorize_params(&pkce.challenge, "s"))).send().await.unwrap();
    let html = page.text().await.unwrap();
    let ticket =
        html.split("name=\"ticket\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let resp = sb
        .http
        .post(sb.url("/oauth/authorize"))
        .form(&[("ticket", ticket.as_str()), ("decision", "approve"), ("user", "sam")])
        .send()
        .await
        .unwrap();
    let code = query(&location(&resp))["code"].clone();
    let (status, tokens) = exchange(code, pkce.verifier.clone()).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let (status, who) = me(access.clone()).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(
        (who["kind"].as_str(), who["id"].as_str(), who["name"].as_str()),
        (Some("user"), Some("sam"), Some("Sam Okafor"))
    );
    assert!(!who.to_string().contains(&access), "the answer never carries the credential");

    // The demo user by default; an API key is named by its tenant; no credential: sign in first.
    let demo = sb.login(BOTH_SCOPES).await;
    assert_eq!(me(demo["access_token"].as_str().unwrap().into()).await.1["name"], "Demo User");
    let resp = sb.http.get(sb.api("/me")).header("X-API-Key", RW_KEY).send().await.unwrap();
    let key_who: serde_json::Value = resp.json().await.unwrap();
    assert_eq!((key_who["kind"].as_str(), key_who["can_write"].as_bool()), (Some("api_key"), Some(true)));
    assert!(!key_who.to_string().contains(RW_KEY));
    let (status, body) = sb.get_json("/me").await;
    assert_eq!((status, error_code(&body)), (401, "AUTH_REQUIRED"));
}
