//! Accounts by identity, against the sandbox and a small hostile server: a sign-in can be completed only
//! by the server it was started with (the mix-up of RFC 9700 §4.4 is refused before any token request),
//! one keystore entry is one account whatever the settings that name its server, and a sign-out during
//! a sign-in's completion wins.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use atom_core::{
    store_namespace, Account, AccountId, AuthState, CallbackError, Catalogue, CustomEnvironment, Environment,
    Error, MemoryStore, RedirectTarget, SecretStore, StoreHandle,
};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server someone added as a custom server, with no issuer: its authorize page sends the browser on
/// to `honest`'s with the app's own `state` and PKCE challenge (and `redirect_uri` as `rewrite` says),
/// and its token endpoint counts what it is sent. Returns its address and that count.
async fn hostile_server(honest_authorize: String, rewrite: Rewrite) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let token_requests = Arc::new(AtomicUsize::new(0));
    let counted = token_requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let (honest, counted) = (honest_authorize.clone(), counted.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let reply = if target.starts_with("/authorize?") {
                    let query = target.split_once('?').unwrap().1;
                    let pairs = url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| {
                        let v = match (k.as_ref(), rewrite) {
                            ("redirect_uri", Rewrite::ToTheSharedRedirect) => strip_tag(&v),
                            _ => v.into_owned(),
                        };
                        (k.into_owned(), v)
                    });
                    let mut to = url::Url::parse(&honest).unwrap();
                    to.query_pairs_mut().extend_pairs(pairs);
                    format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                } else {
                    if target.starts_with("/token") {
                        counted.fetch_add(1, Ordering::SeqCst);
                    }
                    let body = r#"{"error":"invalid_grant"}"#;
                    format!(
                        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                };
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    (base, token_requests)
}

#[derive(Clone, Copy)]
enum Rewrite {
    /// Keep the app's redirect URI (the one of the hostile server's own).
    Unchanged,
    /// Use the redirect URI every server shared before (the honest server has it registered).
    ToTheSharedRedirect,
}

/// `…/oauth/callback/0a1b2c3d` → `…/oauth/callback`.
fn strip_tag(uri: &str) -> String {
    uri.rsplit_once('/').map(|(base, _)| base.to_string()).unwrap_or_else(|| uri.to_string())
}

fn hostile_env(base: &str) -> Environment {
    Environment::custom(&CustomEnvironment {
        name: "Looks harmless".into(),
        api_base: base.into(),
        authorize_url: format!("{base}/authorize"),
        token_url: format!("{base}/token"),
        client_id: "atom-desktop".into(),
        ..Default::default()
    })
    .unwrap()
}

/// The browser: follows redirects (the hostile server's, then the sandbox's consent, approved at once)
/// until the app's redirect URI.
async fn browse(start: &url::Url) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut url = start.clone();
    for _ in 0..5 {
        let resp = http.get(url.clone()).send().await.unwrap();
        assert!(resp.status().is_redirection(), "{url}: {}", resp.status());
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        let next = url.join(&location).unwrap();
        if next.scheme() != "http" || next.path().starts_with("/oauth/callback") {
            return next.to_string();
        }
        url = next;
    }
    panic!("never sent back to the app");
}

#[tokio::test]
async fn a_server_without_an_issuer_cannot_complete_a_sign_in_that_another_server_answered() {
    let h = Harness::start(config()).await;
    let honest = h.url("/oauth/authorize");
    for (target, rewrite, refusal) in [
        // The honest server sends the code to the redirect URI every server shared: the hostile
        // server's sign-in waits on a redirect of its own.
        (RedirectTarget::Scheme, Rewrite::ToTheSharedRedirect, CallbackError::WrongPath),
        (RedirectTarget::Loopback { port: 45_321 }, Rewrite::ToTheSharedRedirect, CallbackError::WrongPath),
        // The honest server also knows the hostile one's redirect (the sandbox registers every
        // server's): its answer names its own issuer, which the hostile server's settings cannot vouch for.
        (
            RedirectTarget::Scheme,
            Rewrite::Unchanged,
            CallbackError::IssuerUnknown { iss: h.sandbox.base_url().trim_end_matches('/').to_string() },
        ),
    ] {
        let (base, token_requests) = hostile_server(honest.clone(), rewrite).await;
        let env = hostile_env(&base);
        assert!(env.redirect_tag().is_some(), "a server without an issuer has a redirect of its own");
        let account = Account::new(env, Arc::new(MemoryStore::default())).unwrap();
        let url = account.begin_login(target);
        let redirect = url.query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1.into_owned();
        assert!(redirect.contains("/oauth/callback/"), "{redirect}");
        let callback = browse(&url).await;
        assert!(callback.contains("code="), "the honest server answered: {callback}");
        match account.complete_login(&callback).await {
            Err(Error::Callback(got)) => assert_eq!(got, refusal, "{callback}"),
            other => panic!("{callback}: {other:?}"),
        }
        assert_eq!(token_requests.load(Ordering::SeqCst), 0, "the hostile token endpoint got nothing");
        assert_eq!(h.token_requests("authorization_code").await, 0, "and no one redeemed the code");
        assert_eq!(account.current_state(), AuthState::SignedOut);
    }
    // The hint says what to do, and warns.
    let e = Error::Callback(CallbackError::IssuerUnknown { iss: "https://a.example".into() });
    assert!(e.hint().contains("issuer") && e.hint().contains("take over"), "{}", e.hint());
}

#[tokio::test]
async fn a_server_that_names_itself_keeps_the_shared_redirect_and_one_typed_by_hand_gets_its_own() {
    let h = Harness::start(config()).await;
    assert_eq!(h.session.environment().redirect_tag(), None, "the sandbox names itself (RFC 9207)");
    assert_eq!(Environment::production().redirect_tag(), None, "ATOM's guide fixes its redirect URI");
    assert_eq!(
        Environment::production().scheme_redirect_uri(),
        "com.atomagentos.marketplace://oauth/callback"
    );
    h.sign_in().await;
    // The sandbox typed in by hand, without its issuer: a redirect of its own, and its answer (which
    // names the sandbox) cannot be vouched for.
    let typed = CustomEnvironment {
        name: "By hand".into(),
        api_base: h.sandbox.base_url(),
        authorize_url: h.url("/oauth/authorize"),
        token_url: h.url("/oauth/token"),
        revoke_url: Some(h.url("/oauth/revoke")),
        client_id: "atom-desktop".into(),
        ..Default::default()
    };
    let account =
        Account::new(Environment::custom(&typed).unwrap(), Arc::new(MemoryStore::default())).unwrap();
    let callback = h.browser(&account.begin_login(RedirectTarget::Scheme)).await;
    assert!(callback.contains("/oauth/callback/"), "{callback}");
    let refused = account.complete_login(&callback).await.unwrap_err();
    assert!(matches!(refused, Error::Callback(CallbackError::IssuerUnknown { .. })), "{refused:?}");
    // With its issuer typed in too (but not said to send it in every callback): still a redirect of
    // its own, and now the answer is vouched for.
    let issuer = h.sandbox.base_url().trim_end_matches('/').to_string();
    let with_issuer = CustomEnvironment { issuer: Some(issuer), ..typed.clone() };
    let env = Environment::custom(&with_issuer).unwrap();
    assert!(env.redirect_tag().is_some());
    let account = Account::new(env.clone(), Arc::new(MemoryStore::default())).unwrap();
    let callback = h.browser(&account.begin_login(RedirectTarget::Scheme)).await;
    assert!(account.complete_login(&callback).await.unwrap().is_signed_in());
    // Its tag follows the server's key, not its name or scopes.
    let renamed = Environment::custom(&CustomEnvironment {
        name: "Renamed".into(),
        scopes: Some("marketplace:read".into()),
        ..with_issuer.clone()
    })
    .unwrap();
    assert_eq!(env.server_key(), renamed.server_key(), "the same server");
    assert_eq!(env.redirect_tag(), renamed.redirect_tag());
    let moved =
        Environment::custom(&CustomEnvironment { token_url: h.url("/oauth/token2"), ..with_issuer }).unwrap();
    assert_ne!(env.server_key(), moved.server_key(), "another token endpoint is another server");
    assert_ne!(env.redirect_tag(), moved.redirect_tag());
}

/// Two settings of one server (a new name, "stay signed in" turned off) are one server: on one catalogue,
/// its first account's keystore entry opens for one account only, and again once that one is gone.
#[tokio::test]
async fn two_settings_of_one_server_never_give_two_accounts_one_entry() {
    let base = CustomEnvironment {
        name: "Staging".into(),
        api_base: "https://staging.example.com".into(),
        authorize_url: "https://staging.example.com/oauth/authorize".into(),
        token_url: "https://staging.example.com/oauth/token".into(),
        client_id: "desk".into(),
        ..Default::default()
    };
    let first = Environment::custom(&base).unwrap();
    let second = Environment::custom(&CustomEnvironment {
        name: "Staging (renamed)".into(),
        scopes: Some("marketplace:read marketplace:write".into()),
        ..base.clone()
    })
    .unwrap();
    assert_eq!(first.server_key(), second.server_key());
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let catalogue = Catalogue::new(first.clone(), atom_core::cache::Cache::in_memory()).unwrap();
    let entry = |env: &Environment, id: &AccountId| StoreHandle::new(store.clone(), store_namespace(env, id));
    let one = Account::on(catalogue.clone(), entry(&first, &AccountId::FIRST)).unwrap();
    let two = Account::on(catalogue.clone(), entry(&second, &AccountId::FIRST));
    assert_eq!(two.unwrap_err().code(), "account_in_use", "one entry, one account");
    let other = Account::on(catalogue.clone(), entry(&second, &AccountId::named("b")));
    assert!(other.is_ok(), "another account of the server has its own entry");
    drop(one);
    assert!(Account::on(catalogue, entry(&second, &AccountId::FIRST)).is_ok(), "free again once closed");
}

/// A sign-out while the code is being exchanged (a slow token endpoint) wins: signed out, nothing in
/// the keystore, the new grant revoked at the server, and the next start signed out too.
#[tokio::test]
async fn a_sign_out_during_a_slow_sign_in_wins() {
    let h = Harness::start(config()).await;
    let url = h.session.begin_login(RedirectTarget::Scheme);
    let callback = h.browser(&url).await;
    h.arm_fault(serde_json::json!({"endpoint": "POST /oauth/token", "pass": true, "reply_delay_ms": 1500}))
        .await;
    let revoked_before = h.stats().await["revocations"].as_u64().unwrap();
    let completing = tokio::spawn({
        let account = h.session.clone();
        async move { account.complete_login(&callback).await }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let _ = h.session.sign_out().await;
    let outcome = completing.await.unwrap();
    assert_eq!(outcome.unwrap_err().code(), "sign_in_cancelled");
    assert_eq!(h.session.current_state(), AuthState::SignedOut, "the sign-out stands");
    assert_eq!(h.stored_refresh_token(), None, "nothing kept");
    assert!(h.stats().await["revocations"].as_u64().unwrap() > revoked_before, "the new grant revoked");
    let next = h.second_instance();
    assert!(!next.restore().await.unwrap().is_signed_in(), "the next start is signed out");
}

/// Who an account is never reaches the catalogue cache, which every account of a server shares and
/// which stays on disk after a sign-out: after a sign-in, `GET me`, browsing and a sign-out, no file
/// of the cache holds the account's email or name.
#[tokio::test]
async fn nothing_of_an_account_is_left_in_the_shared_cache_after_its_sign_out() {
    let sandbox = atom_sandbox::start(atom_sandbox::Config { test_hooks: true, ..config() }).await.unwrap();
    let env = Environment::sandbox(&sandbox.base_url()).unwrap();
    let dir = std::env::temp_dir().join(format!("atom-cache-identity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let catalogue = Catalogue::new(env.clone(), atom_core::cache::Cache::on_disk(dir.clone())).unwrap();
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let account =
        Account::on(catalogue, StoreHandle::new(store, store_namespace(&env, &AccountId::FIRST))).unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let url = account.begin_login(RedirectTarget::Scheme);
    let callback =
        http.get(url.as_str()).send().await.unwrap().headers()["location"].to_str().unwrap().to_string();
    assert!(account.complete_login(&callback).await.unwrap().is_signed_in());
    let who = account.identify().await.unwrap().expect("the sandbox says who");
    let email = who.email.clone().expect("and the email");
    account.skills(&atom_core::SkillQuery::default()).await.unwrap();
    account.categories().await.unwrap();
    account.sign_out().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).to_string();
        files += 1;
        assert!(!text.contains(&email), "{} holds the email", entry.path().display());
        assert!(!text.contains(&who.name), "{} holds the name", entry.path().display());
    }
    assert!(files >= 2, "the public catalogue is cached ({files} files)");
    let _ = std::fs::remove_dir_all(dir);
}
