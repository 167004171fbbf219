//! The whole authorization-code flow driven by the `oauth2` crate: a client we did not write, sending
//! form-encoded token requests as RFC 6749 says.

mod common;

use common::*;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
    Scope, TokenResponse, TokenUrl,
};

/// Sends the `oauth2` crate's requests with the workspace's reqwest (its own `reqwest` feature would bring
/// an older reqwest into every test build).
async fn send(
    http: &reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let (parts, body) = request.into_parts();
    let reply =
        http.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body).send().await?;
    let (status, headers) = (reply.status(), reply.headers().clone());
    let mut response = oauth2::HttpResponse::new(reply.bytes().await?.to_vec());
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

#[tokio::test]
async fn public_client_flow_with_oauth2_crate() {
    let sb = Sandbox::unlimited().await;
    let client = BasicClient::new(ClientId::new(CLIENT.into()))
        .set_auth_uri(AuthUrl::new(sb.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(sb.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new("http://127.0.0.1:43110/oauth/callback".into()).unwrap())
        .set_auth_type(AuthType::RequestBody);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("marketplace:read".into()))
        .add_scope(Scope::new("marketplace:write".into()))
        .set_pkce_challenge(challenge)
        .url();

    let redirect = sb.consent(url.as_str(), "approve").await;
    let q = query(&redirect);
    assert_eq!(&q["state"], csrf.secret());

    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let token = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&|r| send(&http, r))
        .await
        .expect("code exchange");
    assert_eq!(token.expires_in().map(|d| d.as_secs()), Some(3600));
    let scopes: Vec<String> = token.scopes().unwrap().iter().map(|s| s.to_string()).collect();
    assert_eq!(scopes, ["marketplace:read", "marketplace:write"]);
    assert_eq!(sb.get_with_bearer("/categories", token.access_token().secret()).await.0, 200);

    let refreshed = client
        .exchange_refresh_token(token.refresh_token().unwrap())
        .request_async(&|r| send(&http, r))
        .await
        .expect("refresh");
    assert_ne!(refreshed.refresh_token().unwrap().secret(), token.refresh_token().unwrap().secret());

    // The crate refuses a plain-http revocation URL, even on loopback; revoke as RFC 7009 spells it.
    let revoked = http
        .post(sb.url("/oauth/revoke"))
        .form(&[
            ("token", refreshed.refresh_token().unwrap().secret().as_str()),
            ("token_type_hint", "refresh_token"),
            ("client_id", CLIENT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(sb.get_with_bearer("/categories", refreshed.access_token().secret()).await.0, 401);
    assert!(client
        .exchange_refresh_token(refreshed.refresh_token().unwrap())
        .request_async(&|r| send(&http, r))
        .await
        .is_err());
}

#[tokio::test]
async fn confidential_client_flow_with_basic_auth() {
    let sb = Sandbox::unlimited().await;
    let client = BasicClient::new(ClientId::new(CONFIDENTIAL.into()))
        .set_client_secret(ClientSecret::new(CONFIDENTIAL_SECRET.into()))
        .set_auth_uri(AuthUrl::new(sb.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(sb.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(CONFIDENTIAL_REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("marketplace:read".into()))
        .set_pkce_challenge(challenge)
        .url();
    let redirect = sb.consent(url.as_str(), "approve").await;
    assert!(redirect.starts_with(CONFIDENTIAL_REDIRECT));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let token = client
        .exchange_code(AuthorizationCode::new(query(&redirect)["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&|r| send(&http, r))
        .await
        .expect("code exchange with HTTP Basic client authentication");
    let (status, code) = sb
        .post_json(
            "/skills/web-router/rate",
            Auth::Bearer(token.access_token().secret()),
            &serde_json::json!({"rating": 4}),
        )
        .await;
    assert_eq!((status, error_code(&code)), (403, "INSUFFICIENT_SCOPE"), "read scope only");
}
