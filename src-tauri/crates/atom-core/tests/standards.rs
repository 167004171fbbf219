//! The standards a server other than ATOM's may lean on, against the sandbox: discovery (RFC 8414),
//! RFC 6750 challenges, a server that issues no refresh token, and scopes per environment. The same
//! behaviours against a third-party server are in the app's interop tests.

mod common;

use std::time::Duration;

use atom_core::{discover, AuthState, CustomEnvironment, Environment, MetadataSource, TokenEncoding};
use atom_sandbox::Config;
use common::*;
use serde_json::json;

#[tokio::test]
async fn discovery_finds_the_sandbox_the_way_it_finds_any_server() {
    let sandbox = atom_sandbox::start(config()).await.unwrap();
    let base = sandbox.base_url();
    let m = discover(&base).await.expect("the sandbox publishes RFC 8414 metadata");
    assert_eq!(m.source, MetadataSource::OAuth);
    let built = Environment::sandbox(&base).unwrap();
    assert_eq!(m.issuer, built.issuer.clone().unwrap());
    assert_eq!(m.authorization_endpoint, built.authorize_url.as_str());
    assert_eq!(m.token_endpoint, built.token_url.as_str());
    assert_eq!(m.revocation_endpoint.as_deref(), built.revoke_url.as_ref().map(|u| u.as_str()));
    assert!(m.authorization_response_iss_parameter_supported && built.require_iss);

    // Settings from discovery sign in, with form-encoded token requests.
    let settings = m.to_custom("Discovered", None, "atom-desktop");
    assert_eq!(settings.token_encoding, TokenEncoding::Form);
    let h = Harness::with_env(sandbox, Environment::custom(&settings).unwrap()).await;
    h.sign_in().await;
    h.session.refresh().await.unwrap();
    assert!(h.session.rate("web-router", 5, None).await.is_ok());
}

#[tokio::test]
async fn discovery_of_a_non_server_says_why() {
    let sandbox = atom_sandbox::start(config()).await.unwrap();
    let err = discover(&format!("{}/api/public/v1/marketplace", sandbox.base_url())).await.unwrap_err();
    assert_eq!(err.code(), "discovery_failed");
    assert!(err.to_string().contains("no OAuth metadata"), "{err}");
    let err = discover("http://example.com").await.unwrap_err();
    assert!(err.to_string().contains("https"), "{err}");
}

#[tokio::test]
async fn an_rfc_6750_challenge_triggers_one_refresh_and_one_replay() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    // A standard resource server: no ATOM code, only the challenge and RFC 6750's body.
    h.arm_fault(json!({
        "endpoint": "GET /categories", "status": 401, "body": "{\"error\":\"invalid_token\"}",
        "headers": {"WWW-Authenticate": "Bearer realm=\"marketplace\", error=\"invalid_token\", error_description=\"The access token expired\""}
    }))
    .await;
    let before = h.token_requests("refresh_token").await;
    assert!(h.session.categories().await.is_ok(), "recovered by refresh and replay");
    assert_eq!(h.token_requests("refresh_token").await, before + 1);
    assert_eq!(h.api_count("GET /categories", 401).await, 1);
    assert_eq!(h.api_count("GET /categories", 200).await, 1);
    // A challenge with no body at all works the same.
    h.arm_fault(json!({
        "endpoint": "GET /categories", "status": 401, "body": "",
        "headers": {"WWW-Authenticate": "Bearer error=\"invalid_token\""}
    }))
    .await;
    assert!(h.session.skills(&Default::default()).await.is_ok());
    assert!(h.session.categories().await.is_ok());
}

#[tokio::test]
async fn an_insufficient_scope_challenge_explains_read_only_access() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    h.arm_fault(json!({
        "endpoint": "POST /skills/{id}/rate", "status": 403, "body": "",
        "headers": {"WWW-Authenticate": "Bearer error=\"insufficient_scope\", scope=\"marketplace:write\""}
    }))
    .await;
    let err = h.session.rate("web-router", 5, None).await.unwrap_err();
    assert_eq!(err.code(), "insufficient_scope");
    assert!(err.hint().contains("can only browse"));
}

fn no_refresh_server(access_ttl_secs: u64) -> Config {
    Config { refresh_tokens: false, access_ttl_secs, ..config() }
}

#[tokio::test]
async fn without_a_refresh_token_the_session_lasts_until_the_token_expires_then_says_why() {
    let h = Harness::start(no_refresh_server(3)).await;
    h.sign_in().await;
    let AuthState::SignedIn(me) = h.session.current_state() else { panic!("signed in") };
    assert!(!me.renewable, "the user can be told the sign-in will not renew");
    assert!(me.persisted, "nothing failed to be kept");
    let mut states = h.session.state();
    // Until the access token expires (3 s), the user stays signed in: no early end.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(h.session.current_state().is_signed_in(), "not ended early");
    assert!(h.session.rate("web-router", 4, None).await.is_ok());
    // Then, once it has expired, a plain reason.
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            states.changed().await.unwrap();
            if let AuthState::NeedsReauth { reason } = states.borrow_and_update().clone() {
                return reason;
            }
        }
    })
    .await
    .expect("the session ends when the token expires");
    assert_eq!(ended.code, "session_expired");
    assert!(ended.message.contains("did not let the app stay signed in"), "{}", ended.message);
    assert_eq!(h.token_requests("refresh_token").await, 0, "nothing to refresh with");
    assert_eq!(h.api_count("POST /skills/{id}/rate", 401).await, 0, "no request met an expired token");
}

#[tokio::test]
async fn the_scopes_of_a_custom_server_are_the_ones_asked_for() {
    let sandbox = atom_sandbox::start(config()).await.unwrap();
    let base = sandbox.base_url();
    let env = Environment::custom(&CustomEnvironment {
        // As discovery would find it (the sandbox names itself in every callback).
        issuer: Some(base.trim_end_matches('/').to_string()),
        api_base: base.clone(),
        authorize_url: format!("{base}/oauth/authorize"),
        token_url: format!("{base}/oauth/token"),
        client_id: "atom-desktop".into(),
        scopes: Some("marketplace:read".into()),
        ..Default::default()
    })
    .unwrap();
    let h = Harness::with_env(sandbox, env).await;
    let url = h.session.begin_login(atom_core::RedirectTarget::Scheme);
    assert!(
        url.as_str().contains("scope=marketplace%3Aread&")
            || url.as_str().ends_with("scope=marketplace%3Aread")
    );
    let callback = h.browser(&url).await;
    h.session.complete_login(&callback).await.unwrap();
    let AuthState::SignedIn(me) = h.session.current_state() else { panic!("signed in") };
    assert_eq!(me.scopes, ["marketplace:read"]);
    assert!(!me.can_write, "read scope only");
}
