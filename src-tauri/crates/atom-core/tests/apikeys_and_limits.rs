//! API keys, rate limits, retries and malformed replies, against the sandbox.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use atom_core::{
    Account, ApiKeyScope, AuthMethod, AuthState, Environment, Error, MemoryStore, Quota, Quotas, SecretStore,
    SkillQuery, Submission,
};
use atom_sandbox::{Config, RateLimits};
use common::*;
use serde_json::json;

fn submission(name: &str) -> Submission {
    Submission {
        name: name.into(),
        description: "A skill submitted by the core's tests.".into(),
        category: "automation".into(),
        kind: "script".into(),
        version: "1.0.0".into(),
        tags: vec!["tests".into()],
        ..Default::default()
    }
}

#[tokio::test]
async fn read_key_browses_but_cannot_submit() {
    let h = Harness::start(config()).await;
    let state = h.session.sign_in_with_api_key(READ_KEY, ApiKeyScope::Read).await.unwrap();
    let AuthState::SignedIn(me) = state else { panic!() };
    assert_eq!(me.method, AuthMethod::ApiKey);
    assert!(!me.can_write && me.persisted);
    assert_eq!(me.key_hint.as_deref(), Some("atom_pub_…0001"));
    assert!(h.session.skills(&SkillQuery::default()).await.unwrap().total >= 300);
    let err = h.session.submit(&submission("Read Key Attempt")).await.unwrap_err();
    assert_eq!(err.code(), "insufficient_scope");
    assert!(err.hint().contains("read_write"));
}

#[tokio::test]
async fn a_403_corrects_an_over_declared_scope() {
    let h = Harness::start(config()).await;
    h.session.sign_in_with_api_key(READ_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    assert!(matches!(h.session.current_state(), AuthState::SignedIn(ref me) if me.can_write));
    let err = h.session.rate("web-router", 4, None).await.unwrap_err();
    assert_eq!(err.code(), "insufficient_scope");
    let AuthState::SignedIn(me) = h.session.current_state() else { panic!() };
    assert!(!me.can_write, "declared scope corrected to read");
    assert_eq!(me.scopes, ["read"]);
    // And the correction is remembered.
    let next = h.second_instance();
    let AuthState::SignedIn(me) = next.restore().await.unwrap() else { panic!() };
    assert_eq!(me.scopes, ["read"]);
}

#[tokio::test]
async fn read_write_key_submits_rates_and_reviews() {
    let h = Harness::start(config()).await;
    h.session.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    let submitted = h.session.submit(&submission("Core Test Skill")).await.unwrap();
    assert_eq!(submitted.status, "pending_review");
    assert_eq!(h.session.skill(&submitted.slug).await.unwrap().skill.name, "Core Test Skill");
    let before = h.session.skill("web-router").await.unwrap().skill.rating_count;
    let rated = h.session.rate("web-router", 5, Some("Great")).await.unwrap();
    assert_eq!(rated.rating_count, before + 1);
    let review = h.session.post_review("web-router", 4, "Changed my mind").await.unwrap();
    assert_eq!(review.review, "Changed my mind");
    // Writes clear the cache: the next read shows the change.
    let page = h.session.reviews("web-router", 5, 0).await.unwrap();
    assert_eq!(page.reviews[0].review, "Changed my mind");
    let detail = h.session.skill("web-router").await.unwrap();
    assert_eq!(detail.skill.rating_count, before + 1);
}

#[tokio::test]
async fn revoked_and_malformed_keys_are_refused_with_the_guides_hint() {
    let h = Harness::start(config()).await;
    let err = h.session.sign_in_with_api_key(REVOKED_KEY, ApiKeyScope::Read).await.unwrap_err();
    assert_eq!(err.code(), "invalid_api_key");
    assert!(err.hint().contains("no extra spaces"));
    assert_eq!(h.session.current_state(), AuthState::SignedOut);
    assert!(h.store.get("sandbox", "api_key").unwrap().is_none(), "a refused key is not kept");
    let sent_before = h.api_total().await;
    for bad in [
        "atom_pub_123",
        "sk_live_00000000-0000-4000-8000-000000000002",
        "",
        "atom_pub_zzzzzzzz-0000-4000-8000-000000000002",
    ] {
        let err = h.session.sign_in_with_api_key(bad, ApiKeyScope::Read).await.unwrap_err();
        assert!(matches!(err, Error::InvalidApiKeyFormat), "{bad}");
        assert_eq!(err.code(), "invalid_api_key");
    }
    assert_eq!(h.api_total().await, sent_before, "a malformed key is never sent");
    // Surrounding spaces from a copy and paste are forgiven.
    assert!(h.session.sign_in_with_api_key(&format!("  {RW_KEY}\n"), ApiKeyScope::ReadWrite).await.is_ok());
}

#[tokio::test]
async fn api_key_survives_a_restart_and_sign_out_removes_it() {
    let h = Harness::start(config()).await;
    h.session.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    let next = h.second_instance();
    assert!(next.restore().await.unwrap().is_signed_in());
    next.sign_out().await.unwrap();
    assert!(h.store.get("sandbox", "api_key").unwrap().is_none());
    assert!(h.store.get("sandbox", "api_key_scope").unwrap().is_none());
}

#[tokio::test]
async fn api_key_sign_in_replaces_a_browser_sign_in() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    h.session.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    assert_eq!(h.stored_refresh_token(), None);
    assert_eq!(h.stats().await["revocations"], 1, "the browser grant is revoked");
}

fn session_with_quotas(base: &str, anon_per_minute: u32) -> Account {
    let mut env = Environment::sandbox(base).unwrap();
    let q = Quota { per_minute: anon_per_minute, per_day: 1000 };
    env.quotas = Quotas { anonymous: q, ..Quotas::default() };
    Account::new(env, Arc::new(MemoryStore::default()) as Arc<dyn SecretStore>).unwrap()
}

#[tokio::test]
async fn client_side_limiter_keeps_under_the_servers_limits() {
    let limits: RateLimits = "anon=5/1000".parse().unwrap();
    let h = Harness::start(Config { rate_limits: Some(limits), ..config() }).await;
    let session = session_with_quotas(&h.sandbox.base_url(), 5);
    for i in 0..5 {
        session.skills(&SkillQuery { offset: i, limit: Some(1), ..Default::default() }).await.unwrap();
    }
    let mut status = session.rate_limits();
    let sixth = tokio::time::timeout(
        Duration::from_millis(1500),
        session.skills(&SkillQuery { offset: 99, limit: Some(1), ..Default::default() }),
    )
    .await;
    assert!(sixth.is_err(), "the sixth call waits for the window instead of being sent");
    assert_eq!(h.api_count("GET /skills", 429).await, 0, "the server never had to refuse");
    assert_eq!(h.api_count("GET /skills", 200).await, 5);
    let shown = status.borrow_and_update().clone();
    assert_eq!(shown.limit, Some(5));
    assert_eq!(shown.remaining, Some(0));
}

#[tokio::test]
async fn a_429_on_a_get_waits_and_succeeds() {
    let h = Harness::start(config()).await;
    h.arm_fault(json!({"endpoint": "GET /categories", "status": 429, "headers": {"Retry-After": "1"}})).await;
    let started = Instant::now();
    assert!(h.session.categories().await.is_ok());
    assert!(started.elapsed() >= Duration::from_millis(900), "waited for Retry-After");
    assert_eq!(h.api_count("GET /categories", 429).await, 1);
    assert_eq!(h.api_count("GET /categories", 200).await, 1);
}

#[tokio::test]
async fn a_429_on_a_write_is_reported_and_never_resent() {
    let h = Harness::start(config()).await;
    h.session.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    h.arm_fault(json!({"endpoint": "POST /submit", "status": 429, "headers": {"Retry-After": "7"}})).await;
    let err = h.session.submit(&submission("Rate Limited Skill")).await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after } if retry_after == Duration::from_secs(7)),
        "{err:?}"
    );
    assert_eq!(err.info().retry_after_secs, Some(7));
    let stats = h.stats().await;
    assert_eq!(stats["api_requests"]["POST /submit"].as_object().unwrap().len(), 1);
    assert_eq!(stats["api_requests"]["POST /submit"]["429"], 1, "sent exactly once");
}

#[tokio::test]
async fn a_real_server_429_on_a_write_is_sent_once() {
    // One request per day (a minute quota could reset between the two requests).
    let limits: RateLimits = "key=1000/1".parse().unwrap();
    let h = Harness::start(Config { rate_limits: Some(limits), ..config() }).await;
    // The key's first request (the verification) spends the server's whole quota.
    h.session.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    let err = h.session.rate("web-router", 5, None).await.unwrap_err();
    assert_eq!(err.code(), "rate_limited");
    assert_eq!(h.api_count("POST /skills/{id}/rate", 200).await, 0);
}

#[tokio::test]
async fn gets_retry_transient_failures_and_writes_do_not() {
    let h = Harness::start(config()).await;
    h.arm_fault(json!({"endpoint": "GET /categories", "status": 503, "count": 2})).await;
    assert!(h.session.categories().await.is_ok(), "third attempt succeeds");
    assert_eq!(h.api_count("GET /categories", 503).await, 2);

    h.arm_fault(json!({"endpoint": "GET /skills/{id}", "status": 502, "count": 5})).await;
    let err = h.session.skill("web-router").await.unwrap_err();
    assert_eq!(err.code(), "server_error");
    assert_eq!(h.api_count("GET /skills/{id}", 502).await, 3, "a few attempts, then the error");

    h.session.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    h.arm_fault(json!({"endpoint": "POST /skills/{id}/reviews", "status": 503})).await;
    let err = h.session.post_review("web-router", 3, "Kept as a draft").await.unwrap_err();
    assert_eq!(err.code(), "server_error");
    assert_eq!(h.api_count("POST /skills/{id}/reviews", 503).await, 1);
    assert_eq!(h.api_count("POST /skills/{id}/reviews", 201).await, 0, "a write is never resent");
}

#[tokio::test]
async fn malformed_replies_are_errors_not_panics() {
    let h = Harness::start(config()).await;
    for body in ["{\"categories\": [tru", "[]", "\"text\"", "<html>oops</html>", ""] {
        h.arm_fault(json!({"endpoint": "GET /categories", "status": 200, "body": body})).await;
        let err = h.session.categories().await.unwrap_err();
        assert_eq!(err.code(), "bad_response", "{body}");
    }
    h.arm_fault(json!({"endpoint": "GET /categories", "status": 418, "body": "{\"weird\": 1}"})).await;
    assert_eq!(h.session.categories().await.unwrap_err().code(), "api_error");
    // A token reply without a token.
    h.arm_fault(
        json!({"endpoint": "POST /oauth/token", "status": 200, "body": "{\"token_type\":\"Bearer\"}"}),
    )
    .await;
    let url = h.session.begin_login(atom_core::RedirectTarget::Scheme);
    let callback = h.browser(&url).await;
    assert_eq!(h.session.complete_login(&callback).await.unwrap_err().code(), "bad_response");
    assert_eq!(h.session.current_state(), AuthState::SignedOut);
}

/// A server that answers every request with `body_len` bytes, with or without a Content-Length.
async fn oversized_server(body_len: usize, with_length: bool) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = if with_length {
                    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body_len}\r\n\r\n")
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
                        .to_string()
                };
                let _ = sock.write_all(head.as_bytes()).await;
                let chunk = vec![b' '; 64 * 1024];
                let mut sent = 0;
                while sent < body_len {
                    if sock.write_all(&chunk).await.is_err() {
                        return;
                    }
                    sent += chunk.len();
                }
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn huge_replies_are_refused_without_reading_them_whole() {
    for with_length in [true, false] {
        // The contract's largest reply (100 skills, every text at its longest) is well under 2 MiB.
        let base = oversized_server(3 * 1024 * 1024, with_length).await;
        let session = session_with_quotas(&base, 60);
        let err = session.categories().await.unwrap_err();
        assert_eq!(err.code(), "bad_response", "with_length={with_length}: {err:?}");
        assert!(err.to_string().contains("too large"));
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let session = session_with_quotas(&format!("http://127.0.0.1:{port}"), 60);
    let err = session.categories().await.unwrap_err();
    assert_eq!(err.code(), "network");
    assert!(!err.hint().is_empty());
}

/// Requests that never reached a server (offline: the connection was refused) do not spend the day's
/// quota: after a long time offline the first read online goes out, instead of waiting for UTC midnight.
#[tokio::test]
async fn requests_that_never_connected_do_not_spend_the_days_quota() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut env = Environment::sandbox(&format!("http://127.0.0.1:{port}")).unwrap();
    env.quotas = Quotas { anonymous: Quota { per_minute: 100, per_day: 3 }, ..Quotas::default() };
    let session = Account::new(env, Arc::new(MemoryStore::default()) as Arc<dyn SecretStore>).unwrap();
    for i in 0..8u64 {
        let err = session.skills(&SkillQuery { offset: i, ..Default::default() }).await.unwrap_err();
        assert_eq!(err.code(), "network", "read {i} while offline: {err:?}");
    }
    // The network is back: the server is there now.
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let _sandbox = atom_sandbox::start(Config { addr, ..config() }).await.expect("the port is free again");
    session.categories().await.expect("the first read online goes out");
}

#[tokio::test]
async fn invalid_input_is_refused_before_sending() {
    let h = Harness::start(config()).await;
    h.session.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    let sent = h.api_total().await;
    let err = h
        .session
        .submit(&Submission { version: "one".into(), ..submission("Bad Version") })
        .await
        .unwrap_err();
    assert_eq!(err.info().fields.keys().collect::<Vec<_>>(), ["version"]);
    assert_eq!(h.session.rate("web-router", 9, None).await.unwrap_err().code(), "validation");
    assert_eq!(h.session.post_review("web-router", 3, "   ").await.unwrap_err().code(), "validation");
    assert_eq!(h.api_total().await, sent);
    // Server-side rules the client cannot know (an unknown category) come back per field.
    let err = h
        .session
        .submit(&Submission { category: "nope".into(), ..submission("Bad Category") })
        .await
        .unwrap_err();
    assert_eq!(err.info().fields.keys().collect::<Vec<_>>(), ["category"]);
}

#[tokio::test]
async fn anonymous_writes_are_refused_locally() {
    let h = Harness::start(config()).await;
    let err = h.session.rate("web-router", 4, None).await.unwrap_err();
    assert_eq!(err.code(), "auth_required");
    assert_eq!(h.api_total().await, 0);
}

/// `.` and `..` (and anything else outside an id's or slug's characters) are refused before a request:
/// percent-encoded, a dot segment is still one to a URL parser, and `skill("..")` would read the
/// marketplace's root, `rate("..")` post to it.
#[tokio::test]
async fn ids_that_would_leave_their_path_segment_are_refused_before_any_request() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    let before = h.api_total().await;
    for id in [".", "..", "%2e%2e", "a/b", "a?b", "a#b", "", " web", "ümlaut", &"x".repeat(201)] {
        match h.session.skill(id).await {
            Err(Error::Invalid { fields }) => assert!(fields.contains_key("skill"), "{id:?}: {fields:?}"),
            other => panic!("{id:?} was not refused: {other:?}"),
        }
        assert!(matches!(h.session.reviews(id, 10, 0).await, Err(Error::Invalid { .. })), "{id:?}");
        assert!(matches!(h.session.rate(id, 5, None).await, Err(Error::Invalid { .. })), "{id:?}");
        assert!(matches!(h.session.post_review(id, 5, "Fine").await, Err(Error::Invalid { .. })), "{id:?}");
    }
    assert_eq!(h.api_total().await, before, "nothing was sent");
    // Ids and slugs of the contract's characters go through.
    let page = h.session.skills(&SkillQuery { limit: Some(1), ..Default::default() }).await.unwrap();
    let skill = &page.skills[0];
    h.session.skill(&skill.slug).await.unwrap();
    h.session.skill(&skill.id).await.unwrap();
}

/// A second account of an environment is a second `Account` on the same `Catalogue`: it signs in and
/// out on its own, keeps its secrets under its own name in the keystore, shares the catalogue's cache
/// and connectivity, and has a quota of its own, as the guide counts them (per key, per grant): one
/// account's spent quota holds back neither the other's requests nor the figures it is shown.
#[tokio::test]
async fn a_second_account_on_one_catalogue_signs_in_apart_and_shares_the_catalogue() {
    use atom_core::{store_namespace, AccountId, CredentialKind, StoreHandle};
    let limits: RateLimits = "anon=50/1000,key=3/1000".parse().unwrap();
    let h = Harness::start(Config { rate_limits: Some(limits), ..config() }).await;
    let mut env = h.session.environment().clone();
    env.quotas = Quotas { api_key: Quota { per_minute: 3, per_day: 1000 }, ..Quotas::default() };
    let catalogue = atom_core::Catalogue::new(env.clone(), atom_core::cache::Cache::in_memory()).unwrap();
    let keystore = || h.store.clone() as Arc<dyn SecretStore>;
    let on = |id: &AccountId| {
        Account::on(catalogue.clone(), StoreHandle::new(keystore(), store_namespace(&env, id))).unwrap()
    };
    let work = AccountId::named("work");
    let (first, second) = (on(&AccountId::FIRST), on(&work));

    second.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    assert!(second.current_state().is_signed_in());
    assert!(!first.current_state().is_signed_in(), "the first account is not signed in by the second");
    assert_eq!(
        h.store.peek(&format!("{}/account/work", env.namespace()), "api_key").as_deref(),
        Some(RW_KEY)
    );
    assert_eq!(h.store.peek(&env.namespace(), "api_key"), None, "the first account's place is untouched");

    // Two keys, two quotas of 3 a minute. The second account spends its own (the sign-in's check was
    // one): its fourth request would wait, and its figures say so; the first account's key is not held
    // back, and the first account is shown its own figures.
    first.sign_in_with_api_key(READ_KEY, ApiKeyScope::Read).await.unwrap();
    let (mine, theirs) = (first.rate_limits(), second.rate_limits());
    for q in ["github", "pdf"] {
        second.skills(&SkillQuery { query: q.into(), ..Default::default() }).await.unwrap();
    }
    assert_eq!(theirs.borrow().remaining, Some(0));
    let held = tokio::time::timeout(
        Duration::from_millis(1500),
        second.skills(&SkillQuery { query: "slack".into(), ..Default::default() }),
    )
    .await;
    assert!(held.is_err(), "the second account's fourth request waits for its own minute");
    first.skills(&SkillQuery { query: "calendar".into(), ..Default::default() }).await.unwrap();
    assert_eq!(
        (mine.borrow().credential, mine.borrow().remaining),
        (Some(CredentialKind::ApiKey), Some(1)),
        "the first account's figures are its own key's (its sign-in's check, then this read)"
    );
    assert_eq!(h.api_count("GET /skills", 429).await, 0, "the server never had to refuse either");
    first.sign_out().await.unwrap();

    // Each account finds its own secrets at start-up (the next run's catalogue), and only its own.
    let next_run = atom_core::Catalogue::new(env.clone(), atom_core::cache::Cache::in_memory()).unwrap();
    let next = |id: &AccountId| {
        Account::on(next_run.clone(), StoreHandle::new(keystore(), store_namespace(&env, id))).unwrap()
    };
    assert!(next(&work).restore().await.unwrap().is_signed_in());
    assert!(!next(&AccountId::FIRST).restore().await.unwrap().is_signed_in());

    // Signing the second out leaves the first as it was, and its own place empty.
    first.sign_in_with_api_key(READ_KEY, ApiKeyScope::Read).await.unwrap();
    second.sign_out().await.unwrap();
    assert!(first.current_state().is_signed_in());
    assert_eq!(h.store.peek(&format!("{}/account/work", env.namespace()), "api_key"), None);
    assert_eq!(h.store.peek(&env.namespace(), "api_key").as_deref(), Some(READ_KEY));
}

/// The sign-in doctor's "signed out after every restart" check: what the next start would read back,
/// for a browser sign-in and an API key, and an entry gone from the keystore behind the app's back.
#[tokio::test]
async fn the_kept_sign_in_is_read_back_as_the_next_start_reads_it() {
    use atom_core::KeptSignIn;
    let h = Harness::start(config()).await;
    assert_eq!(h.session.kept_sign_in().await, KeptSignIn::NotSignedIn);
    h.sign_in().await;
    assert_eq!(h.session.kept_sign_in().await, KeptSignIn::Kept { entry: "refresh_token" });
    let namespace = h.session.environment().namespace();
    h.store.delete(&namespace, "refresh_token").unwrap();
    assert_eq!(h.session.kept_sign_in().await, KeptSignIn::Missing { entry: "refresh_token" });
    h.session.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    assert_eq!(h.session.kept_sign_in().await, KeptSignIn::Kept { entry: "api_key" });
    // A locked keystore that answers "nothing" (as the test store does) reads as missing; one that
    // answers with an error is told apart by the doctor (its unit tests).
    h.store.lock();
    assert_eq!(h.session.kept_sign_in().await, KeptSignIn::Missing { entry: "api_key" });
}
