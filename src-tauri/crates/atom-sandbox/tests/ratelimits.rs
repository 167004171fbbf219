//! Rate limits per credential, per minute and per UTC day, with the contract's headers.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use atom_sandbox::{Config, RateLimits};
use common::*;
use serde_json::{json, Value};

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Fixed windows reset on the minute: start a test early in one, so that it cannot straddle two.
async fn early_in_a_minute() {
    let second = now() % 60;
    if second > 50 {
        tokio::time::sleep(Duration::from_secs(61 - second)).await;
    }
}

async fn limited(table: &str) -> Sandbox {
    let limits: RateLimits = table.parse().unwrap();
    Sandbox::start(Config { rate_limits: Some(limits), ..Config::default() }).await
}

fn header(resp: &reqwest::Response, name: &str) -> u64 {
    resp.headers()[name].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn anonymous_minute_quota_then_429_with_retry_after() {
    early_in_a_minute().await;
    let sb = limited("anon=3/1000").await;
    for expected_remaining in [2, 1, 0] {
        let resp = sb.http.get(sb.api("/categories")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(header(&resp, "x-ratelimit-limit"), 3);
        assert_eq!(header(&resp, "x-ratelimit-remaining"), expected_remaining);
        let reset = header(&resp, "x-ratelimit-reset");
        assert!(reset > now() && reset <= now() + 60);
        assert_eq!(reset % 60, 0, "a fixed window ends on the minute");
    }
    let resp = sb.http.get(sb.api("/skills")).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    let retry = header(&resp, "retry-after");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(header(&resp, "x-ratelimit-remaining"), 0);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&body), "RATE_LIMIT_EXCEEDED");
    assert_eq!(body["error"]["details"]["retry_after"], retry);
}

#[tokio::test]
async fn each_credential_has_its_own_bucket() {
    early_in_a_minute().await;
    let sb = limited("anon=1/1000,key=2/1000,oauth=2/1000").await;
    assert_eq!(sb.get_json("/categories").await.0, 200);
    assert_eq!(sb.get_json("/categories").await.0, 429);
    let get_key = |key: &'static str| sb.http.get(sb.api("/categories")).header("X-API-Key", key).send();
    assert_eq!(get_key(READ_KEY).await.unwrap().status(), 200);
    assert_eq!(get_key(READ_KEY).await.unwrap().status(), 200);
    assert_eq!(get_key(READ_KEY).await.unwrap().status(), 429);
    assert_eq!(get_key(RW_KEY).await.unwrap().status(), 200, "another key, another tenant");

    let a = sb.login(BOTH_SCOPES).await;
    let b = sb.login(BOTH_SCOPES).await;
    let token_a = a["access_token"].as_str().unwrap();
    assert_eq!(sb.get_with_bearer("/categories", token_a).await.0, 200);
    assert_eq!(sb.get_with_bearer("/categories", token_a).await.0, 200);
    assert_eq!(sb.get_with_bearer("/categories", token_a).await.0, 429);
    assert_eq!(
        sb.get_with_bearer("/categories", b["access_token"].as_str().unwrap()).await.0,
        200,
        "per grant"
    );
}

#[tokio::test]
async fn oauth_bucket_is_per_grant_across_refreshes() {
    early_in_a_minute().await;
    let sb = limited("oauth=2/1000").await;
    let t = sb.login(BOTH_SCOPES).await;
    assert_eq!(sb.get_with_bearer("/categories", t["access_token"].as_str().unwrap()).await.0, 200);
    let (_, refreshed) = sb.refresh(t["refresh_token"].as_str().unwrap()).await;
    let fresh = refreshed["access_token"].as_str().unwrap();
    assert_eq!(sb.get_with_bearer("/categories", fresh).await.0, 200);
    assert_eq!(sb.get_with_bearer("/categories", fresh).await.0, 429, "a refresh does not reset the quota");
}

#[tokio::test]
async fn day_quota_refuses_until_utc_midnight() {
    let sb = limited("anon=100/2").await;
    assert_eq!(sb.get_json("/categories").await.0, 200);
    let resp = sb.http.get(sb.api("/categories")).send().await.unwrap();
    assert_eq!(header(&resp, "x-ratelimit-remaining"), 0);
    let resp = sb.http.get(sb.api("/categories")).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    let midnight = (now() / 86_400 + 1) * 86_400;
    let retry = header(&resp, "retry-after");
    assert!(retry.abs_diff(midnight - now()) <= 2, "{retry}");
    assert_eq!(header(&resp, "x-ratelimit-reset"), midnight);
}

#[tokio::test]
async fn errors_carry_rate_limit_headers_and_bad_credentials_count() {
    early_in_a_minute().await;
    let sb = limited("anon=3/1000").await;
    let resp = sb.http.get(sb.api("/skills/nope")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(header(&resp, "x-ratelimit-remaining"), 2);
    let resp = sb.http.get(sb.api("/skills")).header("X-API-Key", "atom_pub_guess").send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(header(&resp, "x-ratelimit-remaining"), 1, "a bad key is charged to the caller's address");
    assert!(resp.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn writes_are_limited_and_not_performed_when_refused() {
    early_in_a_minute().await;
    let sb = limited("key=1/1000").await;
    let review = json!({"rating": 5, "review": "once"});
    let (status, _) = sb.post_json("/skills/web-router/reviews", Auth::Key(RW_KEY), &review).await;
    assert_eq!(status, 201);
    let (status, body) = sb.post_json("/submit", Auth::Key(RW_KEY), &json!({"name": "Never Stored"})).await;
    assert_eq!((status, error_code(&body)), (429, "RATE_LIMIT_EXCEEDED"));
    let stats = sb.stats().await;
    assert_eq!(stats["api_requests"]["POST /submit"]["429"], 1);
}

#[tokio::test]
async fn no_rate_limits_sends_no_headers() {
    let sb = Sandbox::unlimited().await;
    for _ in 0..100 {
        let resp = sb.http.get(sb.api("/categories")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(!resp.headers().contains_key("x-ratelimit-limit"));
    }
}
