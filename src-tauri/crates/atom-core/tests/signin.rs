//! Browser sign-in against the sandbox: the whole flow, callback validation, restore, sign-out.

mod common;

use std::time::{Duration, SystemTime};

use atom_core::{
    AuthMethod, AuthState, CallbackError, CustomEnvironment, Environment, Error, PendingLogin,
    RedirectTarget, TokenEncoding,
};
use atom_sandbox::Config;
use common::*;

#[tokio::test]
async fn full_flow_signs_in_and_keeps_the_refresh_token_in_the_store() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    let AuthState::SignedIn(me) = h.session.current_state() else { panic!("signed in") };
    assert_eq!(me.method, AuthMethod::Browser);
    assert!(me.can_write && me.persisted);
    assert_eq!(me.scopes, ["marketplace:read", "marketplace:write"]);
    assert!(h.stored_refresh_token().is_some());
    assert_eq!(h.token_requests("authorization_code").await, 1);
    // The session calls the API with its token: a write works.
    let rated = h.session.rate("web-router", 4, None).await.unwrap();
    assert_eq!(rated.action, "created");
}

#[tokio::test]
async fn form_encoded_token_requests_work_for_standard_servers() {
    let sandbox = atom_sandbox::start(config()).await.unwrap();
    let base = sandbox.base_url();
    let env = Environment::custom(&CustomEnvironment {
        name: "Form server".into(),
        issuer: Some(base.trim_end_matches('/').to_string()),
        api_base: base.clone(),
        authorize_url: format!("{base}/oauth/authorize"),
        token_url: format!("{base}/oauth/token"),
        client_id: "atom-desktop".into(),
        token_encoding: TokenEncoding::Form,
        ..Default::default()
    })
    .unwrap();
    let h = Harness::with_env(sandbox, env).await;
    h.sign_in().await;
    h.session.refresh().await.unwrap();
    assert_eq!(h.token_requests("refresh_token").await, 1);
}

#[tokio::test]
async fn loopback_redirect_signs_in_too() {
    let h = Harness::start(config()).await;
    let url = h.session.begin_login(RedirectTarget::Loopback { port: 45_871 });
    let callback = h.browser(&url).await;
    assert!(callback.starts_with("http://127.0.0.1:45871/oauth/callback?"), "{callback}");
    assert!(h.session.complete_login(&callback).await.unwrap().is_signed_in());
}

#[tokio::test]
async fn restart_signs_in_silently_from_the_store() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    let next_launch = h.second_instance();
    assert_eq!(next_launch.current_state(), AuthState::SignedOut);
    let state = next_launch.restore().await.unwrap();
    assert!(state.is_signed_in(), "{state:?}");
    assert_eq!(h.token_requests("authorization_code").await, 1, "no browser");
    assert_eq!(h.token_requests("refresh_token").await, 1);
    assert!(next_launch.categories().await.unwrap().len() >= 10);
}

#[tokio::test]
async fn restore_with_an_empty_store_stays_signed_out() {
    let h = Harness::start(config()).await;
    assert_eq!(h.session.restore().await.unwrap(), AuthState::SignedOut);
    assert_eq!(h.token_requests("refresh_token").await, 0);
}

#[tokio::test]
async fn deny_in_the_browser_is_a_cancelled_sign_in() {
    let h = Harness::start(Config { rate_limits: None, ..Config::default() }).await;
    let url = h.session.begin_login(RedirectTarget::Scheme);
    let callback = h.consent(&url, "deny").await;
    let err = h.session.complete_login(&callback).await.unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    assert_eq!(err.code(), "sign_in_cancelled");
    assert_eq!(h.session.current_state(), AuthState::SignedOut);
    assert_eq!(h.token_requests("authorization_code").await, 0);
}

/// Forged, stray and malformed callbacks: each refused with its reason, none reaching the token endpoint.
#[tokio::test]
async fn forged_callbacks_are_refused_with_their_reason() {
    let h = Harness::start(config()).await;
    let url = h.session.begin_login(RedirectTarget::Scheme);
    let genuine = h.browser(&url).await;
    let q: std::collections::HashMap<String, String> =
        url::Url::parse(&genuine).unwrap().query_pairs().into_owned().collect();
    let (code, state) = (q["code"].clone(), q["state"].clone());
    // The sandbox names itself in every callback (RFC 9207); the forgeries below carry its name too,
    // unless they are about the name.
    let iss: String = url::form_urlencoded::byte_serialize(q["iss"].as_bytes()).collect();
    let state = format!("{state}&iss={iss}");
    let base = "com.atomagentos.marketplace://oauth/callback";
    let huge = format!("{base}?code={code}&state={state}&pad={}", "x".repeat(1024 * 1024));
    use CallbackError as C;
    let cases: Vec<(String, CallbackError)> = vec![
        (format!("{base}?code={code}&state=forged-state"), C::StateMismatch),
        (format!("{base}?code={code}&state={}", q["state"]), C::MissingIssuer),
        (
            format!("{base}?code={code}&state={}&iss=https%3A%2F%2Fevil.example", q["state"]),
            C::IssuerMismatch,
        ),
        (
            format!("{base}?error=access_denied&state={}&iss=https%3A%2F%2Fevil.example", q["state"]),
            C::IssuerMismatch,
        ),
        (format!("{base}?code={code}"), C::MissingState),
        (format!("{base}?state={state}"), C::MissingCode),
        (format!("{base}?code=&state={state}"), C::MissingCode),
        (
            format!("{base}?code={code}&code=other&state={state}"),
            C::RepeatedParameter { name: "code".into() },
        ),
        (
            format!("{base}?code={code}&state={}&state={state}", q["state"]),
            C::RepeatedParameter { name: "state".into() },
        ),
        (format!("{base}?error=access_denied&state=forged"), C::StateMismatch),
        (format!("{base}?error=access_denied"), C::MissingState),
        (format!("evil.scheme://oauth/callback?code={code}&state={state}"), C::WrongScheme),
        (format!("https://oauth/callback?code={code}&state={state}"), C::WrongScheme),
        (format!("com.atomagentos.marketplace://evil/callback?code={code}&state={state}"), C::WrongHost),
        (
            format!("com.atomagentos.marketplace://user@oauth/callback?code={code}&state={state}"),
            C::WrongHost,
        ),
        (format!("com.atomagentos.marketplace:/oauth/callback?code={code}&state={state}"), C::WrongHost),
        (format!("com.atomagentos.marketplace://oauth:99/callback?code={code}&state={state}"), C::WrongPort),
        (format!("com.atomagentos.marketplace://oauth/other?code={code}&state={state}"), C::WrongPath),
        (format!("com.atomagentos.marketplace://oauth/callback/?code={code}&state={state}"), C::WrongPath),
        (format!("{base}?code={code}&state={state}#frag"), C::UnexpectedFragment),
        (format!("{base}?code=%FF%FE&state={state}"), C::BadEncoding),
        (format!("{base}?code={code}&state=%C3%28&iss={iss}"), C::BadEncoding),
        (huge, C::TooLong),
        ("not a url at all".into(), C::NotAUrl),
        (String::new(), C::NotAUrl),
        (format!("http://127.0.0.1:8080/oauth/callback?code={code}&state={state}"), C::WrongScheme),
    ];
    assert!(cases.len() >= 20);
    for (url, reason) in &cases {
        let err = h.session.complete_login(url).await.unwrap_err();
        match err {
            Error::Callback(got) => assert_eq!(&got, reason, "{}", &url[..url.len().min(120)]),
            other => panic!("{} gave {other:?}", &url[..url.len().min(120)]),
        }
    }
    assert_eq!(
        h.token_requests("authorization_code").await,
        0,
        "no forged callback reached the token endpoint"
    );
    // The genuine callback still works after all that, and only once.
    assert!(h.session.complete_login(&genuine).await.unwrap().is_signed_in());
    let replay = h.session.complete_login(&genuine).await.unwrap_err();
    assert!(matches!(replay, Error::Callback(CallbackError::NoPendingLogin)), "{replay:?}");
    assert_eq!(h.token_requests("authorization_code").await, 1);
}

#[tokio::test]
async fn a_newer_sign_in_replaces_the_older_one() {
    let h = Harness::start(config()).await;
    let first = h.session.begin_login(RedirectTarget::Scheme);
    let first_callback = h.browser(&first).await;
    let second = h.session.begin_login(RedirectTarget::Scheme);
    let err = h.session.complete_login(&first_callback).await.unwrap_err();
    assert!(matches!(err, Error::Callback(CallbackError::StateMismatch)));
    let second_callback = h.browser(&second).await;
    assert!(h.session.complete_login(&second_callback).await.unwrap().is_signed_in());
}

#[tokio::test]
async fn loopback_callbacks_must_come_to_our_port() {
    let h = Harness::start(config()).await;
    let url = h.session.begin_login(RedirectTarget::Loopback { port: 40_001 });
    let genuine = h.browser(&url).await;
    let moved = genuine.replace(":40001/", ":40002/");
    let err = h.session.complete_login(&moved).await.unwrap_err();
    assert!(matches!(err, Error::Callback(CallbackError::WrongPort)));
    let other_host = genuine.replace("127.0.0.1", "localhost");
    assert!(matches!(
        h.session.complete_login(&other_host).await,
        Err(Error::Callback(CallbackError::WrongHost))
    ));
    assert!(h.session.complete_login(&genuine).await.is_ok());
}

#[tokio::test]
async fn a_login_older_than_ten_minutes_is_expired() {
    let env = Environment::sandbox("http://127.0.0.1:9").unwrap();
    let login = PendingLogin::new(&env, RedirectTarget::Scheme, &["marketplace:read"]);
    let state: String =
        login.authorize_url().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let callback = format!(
        "com.atomagentos.marketplace://oauth/callback?code=c&state={state}&iss=http%3A%2F%2F127.0.0.1%3A9"
    );
    assert!(login.validate(&callback, SystemTime::now()).is_ok());
    let later = SystemTime::now() + Duration::from_secs(601);
    assert_eq!(login.validate(&callback, later).unwrap_err(), CallbackError::Expired);
}

#[tokio::test]
async fn without_a_sign_in_in_progress_any_callback_is_refused() {
    let h = Harness::start(config()).await;
    let err = h.session.complete_login("com.atomagentos.marketplace://oauth/callback?code=a&state=b").await;
    assert!(matches!(err, Err(Error::Callback(CallbackError::NoPendingLogin))));
}

#[tokio::test]
async fn sign_out_revokes_at_the_server_and_empties_the_store() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    let refresh = h.stored_refresh_token().unwrap();
    h.session.sign_out().await.unwrap();
    assert_eq!(h.session.current_state(), AuthState::SignedOut);
    assert_eq!(h.stored_refresh_token(), None);
    assert_eq!(h.stats().await["revocations"], 1);
    // The token is dead at the server too.
    let resp = h
        .http
        .post(h.url("/oauth/token"))
        .json(&serde_json::json!({"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "atom-desktop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn sign_out_forgets_locally_even_when_the_server_is_gone() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    h.arm_fault(serde_json::json!({"endpoint": "POST /oauth/revoke", "status": 500})).await;
    let err = h.session.sign_out().await.unwrap_err();
    assert_eq!(err.code(), "not_revoked");
    assert!(err.to_string().contains("HTTP 500"), "{err}");
    assert_eq!(h.session.current_state(), AuthState::SignedOut);
    assert_eq!(h.stored_refresh_token(), None);
}

#[tokio::test]
async fn a_revocation_endpoint_answering_404_is_reported_not_counted_as_done() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    h.arm_fault(serde_json::json!({"endpoint": "POST /oauth/revoke", "status": 404, "body": "Not Found"}))
        .await;
    let warning = h.session.sign_out().await.unwrap_err();
    assert_eq!(warning.code(), "not_revoked");
    assert!(warning.to_string().starts_with("signed out on this computer, but the server was not told"));
    assert!(warning.hint().contains("revoke the app's access"), "{}", warning.hint());
    assert_eq!(h.session.current_state(), AuthState::SignedOut, "signed out here all the same");
    assert_eq!(h.stored_refresh_token(), None);
}

#[tokio::test]
async fn a_server_with_no_revocation_endpoint_is_reported_at_sign_out() {
    let sandbox = atom_sandbox::start(config()).await.unwrap();
    let base = sandbox.base_url();
    let env = Environment::custom(&CustomEnvironment {
        // As discovery would find it (the sandbox names itself in every callback).
        issuer: Some(base.trim_end_matches('/').to_string()),
        api_base: base.clone(),
        authorize_url: format!("{base}/oauth/authorize"),
        token_url: format!("{base}/oauth/token"),
        client_id: "atom-desktop".into(),
        ..Default::default()
    })
    .unwrap();
    let h = Harness::with_env(sandbox, env).await;
    h.sign_in().await;
    let warning = h.session.sign_out().await.unwrap_err();
    assert_eq!(warning.code(), "not_revoked");
    assert!(warning.to_string().contains("no revocation endpoint"), "{warning}");
    assert_eq!(h.stats().await["revocations"], 0, "no guessed address was tried");
    assert_eq!(h.stored_refresh_token(), None);
}

#[tokio::test]
async fn secrets_never_show_in_debug_output_or_state() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    let refresh = h.stored_refresh_token().unwrap();
    let debug = format!("{:?} {:?}", h.session, h.session.current_state());
    let json = serde_json::to_string(&h.session.current_state()).unwrap();
    let login = h.session.begin_login(RedirectTarget::Scheme);
    for text in [&debug, &json] {
        assert!(!text.contains(&refresh), "refresh token leaked: {text}");
        assert!(!text.contains("sbx_at_"), "an access token leaked: {text}");
    }
    assert!(!login.as_str().contains(&refresh));
    let err = h.session.sign_in_with_api_key(REVOKED_KEY, atom_core::ApiKeyScope::Read).await.unwrap_err();
    assert!(!format!("{err:?} {err}").contains(REVOKED_KEY));
}
