//! Races and faults in the token lifecycle, against the sandbox's fault hooks: a sign-out (or another
//! sign-in) while a refresh is in flight, a keystore that fails a write, and a token endpoint that is
//! slow or failing while the user writes.

mod common;

use std::time::Duration;

use atom_core::{ApiKeyScope, AuthState, SkillQuery, Submission};
use atom_sandbox::Config;
use common::*;
use serde_json::json;

fn short_tokens(secs: u64) -> Config {
    Config { access_ttl_secs: secs, ..config() }
}

/// The token endpoint handles the next request for real, then holds its reply for `ms`: the server
/// has rotated the token by the time the client hears of it.
fn slow_token_reply(ms: u64) -> serde_json::Value {
    json!({"endpoint": "POST /oauth/token", "pass": true, "reply_delay_ms": ms})
}

async fn wait_for_token_requests(h: &Harness, grant: &str, n: u64) {
    for _ in 0..100 {
        if h.token_requests(grant).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the sandbox never saw {n} {grant} requests");
}

#[tokio::test]
async fn a_refresh_landing_after_sign_out_is_dropped_and_revoked_never_stored() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    h.arm_fault(slow_token_reply(800)).await;
    let refreshing = {
        let session = h.session.clone();
        tokio::spawn(async move { session.refresh().await })
    };
    wait_for_token_requests(&h, "refresh_token", 1).await;
    h.session.sign_out().await.expect("signed out");
    let written_before = h.store.written().len();

    let late = refreshing.await.unwrap();
    assert!(late.is_err(), "the refresh that outlived its session reports no success: {late:?}");
    assert_eq!(h.session.current_state(), AuthState::SignedOut, "still signed out");
    assert_eq!(h.stored_refresh_token(), None, "no refresh token came back into the keystore");
    assert_eq!(h.store.written().len(), written_before, "nothing was written after the sign-out");
    // Sign-out revoked the old token; the dropped refresh revoked the one it brought.
    assert_eq!(h.stats().await["revocations"], 2);
    let err = h.session.rate("web-router", 4, None).await.unwrap_err();
    assert_eq!(err.code(), "auth_required");
}

#[tokio::test]
async fn a_refresh_failing_after_sign_out_does_not_ask_to_sign_in_again() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    // The server is slow before it acts: sign-out revokes the grant, then the refresh meets a dead token.
    h.arm_fault(json!({"endpoint": "POST /oauth/token", "pass": true, "delay_ms": 800})).await;
    let refreshing = {
        let session = h.session.clone();
        tokio::spawn(async move { session.refresh().await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    h.session.sign_out().await.expect("signed out");
    let _ = refreshing.await.unwrap();
    assert_eq!(
        h.session.current_state(),
        AuthState::SignedOut,
        "a signed-out user is not told to sign in again"
    );
}

#[tokio::test]
async fn an_api_key_sign_in_during_a_refresh_is_not_overwritten_by_it() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    h.arm_fault(slow_token_reply(800)).await;
    let refreshing = {
        let session = h.session.clone();
        tokio::spawn(async move { session.refresh().await })
    };
    wait_for_token_requests(&h, "refresh_token", 1).await;
    h.session.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    let _ = refreshing.await.unwrap();
    let AuthState::SignedIn(me) = h.session.current_state() else { panic!("signed in") };
    assert_eq!(me.key_hint.as_deref(), Some("atom_pub_…0002"), "still the API key");
    assert_eq!(h.stored_refresh_token(), None, "the late refresh stored nothing");
}

#[tokio::test]
async fn a_failed_keystore_write_keeps_the_newest_token_and_never_sends_a_rotated_one() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    let stored_before = h.stored_refresh_token().unwrap();
    // The keystore locks: the rotated token cannot be written.
    h.store.set_failing(true);
    h.session.refresh().await.expect("the refresh itself works");
    let AuthState::SignedIn(me) = h.session.current_state() else { panic!("signed in") };
    assert!(!me.persisted, "the user is told this sign-in is for this session only");
    assert_eq!(
        h.stored_refresh_token().as_deref(),
        Some(stored_before.as_str()),
        "the keystore kept the old one"
    );

    // The next refresh must use the newest token (in memory), not the keystore's rotated one: sending
    // that would look like reuse, and the server would end the whole grant.
    h.session.refresh().await.expect("the second refresh works too");
    assert!(h.session.current_state().is_signed_in());
    assert!(h.session.rate("web-router", 5, None).await.is_ok(), "the grant is alive");

    // The keystore unlocks: the newest token is written, and the next launch signs in silently.
    h.store.set_failing(false);
    h.session.refresh().await.unwrap();
    let AuthState::SignedIn(me) = h.session.current_state() else { panic!("signed in") };
    assert!(me.persisted, "remembered again");
    let next_launch = h.second_instance();
    assert!(next_launch.restore().await.unwrap().is_signed_in());
}

#[tokio::test]
async fn an_unsaved_token_is_written_again_in_the_background() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    h.store.set_failing(true);
    h.session.refresh().await.unwrap();
    let refreshes = h.token_requests("refresh_token").await;
    h.store.set_failing(false);
    // No refresh is due for an hour; the background task retries the write on its own.
    let mut saved = false;
    for _ in 0..100 {
        if let AuthState::SignedIn(me) = h.session.current_state() {
            if me.persisted {
                saved = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saved, "the token was written once the keystore came back");
    assert_eq!(h.token_requests("refresh_token").await, refreshes, "without another refresh");
    assert!(h.second_instance().restore().await.unwrap().is_signed_in());
}

/// A keystore that will never take the token (Windows' Credential Manager refused a refresh token over
/// 1,280 characters before the app split long secrets): the user is told, stays signed in for the
/// session, and the app does not ask the keystore again every few seconds; the next token is offered.
#[tokio::test]
async fn a_token_the_keystore_refuses_for_good_is_not_offered_again_and_again() {
    let h = Harness::start(config()).await;
    h.store.set_refusing(true);
    h.sign_in().await;
    let AuthState::SignedIn(me) = h.session.current_state() else { panic!("signed in") };
    assert!(!me.persisted && me.keystore_refused, "told it is for this session only, and why: {me:?}");
    assert!(me.keystore_error.as_deref().is_some_and(|e| e.contains("refused")), "{me:?}");
    let asked = h.store.write_attempts();
    // A keystore that is only locked is asked again at once and every few seconds after.
    tokio::time::sleep(atom_core::contract::limits::STORE_RETRY_INTERVAL + Duration::from_millis(700)).await;
    assert_eq!(h.store.write_attempts(), asked, "the refused token was not offered again");
    assert!(h.session.rate("web-router", 5, None).await.is_ok(), "still signed in");

    // A refresh brings a new token: it is offered once, and kept when the keystore takes it.
    h.store.set_refusing(false);
    h.session.refresh().await.unwrap();
    assert_eq!(h.store.write_attempts(), asked + 1);
    let AuthState::SignedIn(me) = h.session.current_state() else { panic!("signed in") };
    assert!(me.persisted && !me.keystore_refused && me.keystore_error.is_none(), "{me:?}");
}

/// The keyring is locked when the user signs in (its unlock prompt waits); the user signs out before
/// unlocking, then unlocks. What was waiting to be written for the ended session never lands: the next
/// start is signed out and the keystore holds nothing.
#[tokio::test]
async fn a_write_waiting_on_a_locked_keystore_never_lands_after_sign_out() {
    let h = Harness::start(config()).await;
    h.store.lock();
    h.sign_in().await;
    let AuthState::SignedIn(me) = h.session.current_state() else { panic!("signed in") };
    assert!(!me.persisted, "the write is still waiting on the keystore");
    // The background retries have their turn while the prompt is up.
    tokio::time::sleep(atom_core::contract::limits::STORE_RETRY_INTERVAL + Duration::from_secs(1)).await;
    let _ = h.session.sign_out().await;
    assert!(matches!(h.session.current_state(), AuthState::SignedOut), "signed out at once");
    h.store.unlock();
    // Whatever was queued has had time to land.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ns = h.session.environment().namespace();
    assert_eq!(h.store.peek(&ns, "refresh_token"), None, "no refresh token came back after sign-out");
    let next_launch = h.second_instance();
    assert!(!next_launch.restore().await.unwrap().is_signed_in(), "the next start is signed out");
}

/// The app starts while the keyring waits at its unlock prompt: the silent sign-in gives up waiting
/// after 3 s (the window is not held), and when the user types the password a while later, the app
/// signs in then, from what the keystore holds.
#[tokio::test]
async fn a_keystore_unlocked_late_at_start_up_signs_in_then() {
    let (h, next_launch) = started_at_the_unlock_prompt().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    h.store.unlock();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !next_launch.current_state().is_signed_in() {
        assert!(std::time::Instant::now() < deadline, "the late unlock was ignored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(next_launch.rate("web-router", 4, None).await.is_ok(), "signed in for real");
}

/// The user did not wait for the unlock prompt and signed in with an API key: when the keystore answers
/// later with the old refresh token, the key stays the sign-in (a late answer never replaces a newer one).
#[tokio::test]
async fn a_late_keystore_answer_never_replaces_a_sign_in_made_meanwhile() {
    let (h, next_launch) = started_at_the_unlock_prompt().await;
    let by_key = next_launch.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    assert!(matches!(by_key, AuthState::SignedIn(ref me) if me.key_hint.is_some()), "{by_key:?}");
    h.store.unlock();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let now = next_launch.current_state();
    assert!(matches!(now, AuthState::SignedIn(ref me) if me.key_hint.is_some()), "still the key: {now:?}");
    assert_eq!(h.token_requests("refresh_token").await, 0, "the old refresh token was not used");
}

/// A user signed in; the next start meets the keystore at its unlock prompt: the silent sign-in gives
/// up waiting within the timeout, signed out for now.
async fn started_at_the_unlock_prompt() -> (Harness, atom_core::Account) {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    let next_launch = h.second_instance();
    h.store.lock_with_prompt();
    let started = std::time::Instant::now();
    let err = next_launch.restore().await.unwrap_err();
    assert_eq!(err.code(), "keystore_unavailable", "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "the start-up was not held");
    assert!(!next_launch.current_state().is_signed_in());
    (h, next_launch)
}

fn submission(name: &str) -> Submission {
    Submission {
        name: name.into(),
        description: "A skill submitted while the token endpoint struggles.".into(),
        category: "automation".into(),
        kind: "script".into(),
        version: "1.0.0".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_failing_token_endpoint_during_a_write_loses_nothing_and_sends_nothing_twice() {
    let h = Harness::start(short_tokens(2)).await;
    h.sign_in().await;
    let stored = h.stored_refresh_token().unwrap();
    // The token endpoint fails from now on; past the refresh point the submit must refresh first.
    h.arm_fault(json!({"endpoint": "POST /oauth/token", "status": 500, "count": 50})).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let err = h.session.submit(&submission("Fault Tolerant Skill")).await.unwrap_err();
    assert_eq!(err.code(), "server_error");
    assert!(h.session.current_state().is_signed_in(), "a server failure is not a sign-out");
    assert_eq!(h.stored_refresh_token(), Some(stored), "the refresh token is kept");
    assert_eq!(h.api_count("POST /submit", 201).await, 0, "nothing was sent with a stale token");
    // The endpoint recovers: the same submission goes through, once.
    h.http.delete(h.url("/__sandbox/faults")).send().await.unwrap();
    h.session.submit(&submission("Fault Tolerant Skill")).await.unwrap();
    assert_eq!(h.api_count("POST /submit", 201).await, 1);
}

/// The background refresh of a 10-second token starts at 5 s and its reply takes 2 s. A write at 5.5 s
/// does not wait for it: its token is still alive (it may be sent until 7.5 s), so it goes at once,
/// once, and is accepted; the refresh stays one.
#[tokio::test]
async fn a_slow_token_endpoint_during_a_write_does_not_hold_it_while_its_token_is_alive() {
    let h = Harness::start(short_tokens(10)).await;
    h.sign_in().await;
    h.arm_fault(json!({"endpoint": "POST /oauth/token", "pass": true, "delay_ms": 2000})).await;
    tokio::time::sleep(Duration::from_millis(5500)).await;
    let started = std::time::Instant::now();
    h.session.submit(&submission("Patient Skill")).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "the submit went at once: {:?}",
        started.elapsed()
    );
    assert_eq!(h.api_count("POST /submit", 201).await, 1);
    assert_eq!(h.api_count("POST /submit", 401).await, 0, "its token was alive");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(h.token_requests("refresh_token").await, 1, "one refresh, in the background");
    assert!(h.session.skills(&SkillQuery::default()).await.is_ok());
    assert_eq!(h.token_requests("refresh_token").await, 1);
}

/// A write that finds the token past the time it may be sent (here: the silent sign-in at start-up,
/// whose refresh is slow) waits for the refresh already on its way instead of starting another or
/// trying its luck: one refresh, the write sent once, never with a token the app knows is over.
#[tokio::test]
async fn a_write_that_finds_no_live_token_waits_for_the_refresh_on_its_way() {
    let h = Harness::start(short_tokens(10)).await;
    h.sign_in().await;
    let next_launch = h.second_instance();
    h.arm_fault(json!({"endpoint": "POST /oauth/token", "pass": true, "delay_ms": 1500})).await;
    let restoring = tokio::spawn({
        let a = next_launch.clone();
        async move { a.restore().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    next_launch.submit(&submission("Waiting Skill")).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900), "it waited: {:?}", started.elapsed());
    assert!(restoring.await.unwrap().unwrap().is_signed_in());
    assert_eq!(h.token_requests("refresh_token").await, 1, "one refresh, shared");
    assert_eq!(h.api_count("POST /submit", 201).await, 1);
    assert_eq!(h.api_count("POST /submit", 401).await, 0);
}
