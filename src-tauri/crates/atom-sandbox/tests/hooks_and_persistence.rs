//! Test hooks (stats, reset, faults), persistence across restarts with `--data-dir`, and the update feed
//! for the app's tests (`--updates-dir`).

mod common;

use std::path::PathBuf;

use atom_sandbox::Config;
use common::*;
use serde_json::{json, Value};

async fn arm(sb: &Sandbox, fault: Value) {
    let resp = sb.http.post(sb.url("/__sandbox/faults")).json(&fault).send().await.unwrap();
    assert_eq!(resp.status(), 201);
}

#[tokio::test]
async fn fault_fails_the_next_request_once() {
    let sb = Sandbox::unlimited().await;
    arm(&sb, json!({"endpoint": "POST /skills/{id}/reviews", "status": 500, "count": 1})).await;
    let review = json!({"rating": 4, "review": "Draft that must survive"});
    let (status, body) = sb.post_json("/skills/web-router/reviews", Auth::Key(RW_KEY), &review).await;
    assert_eq!((status, error_code(&body)), (500, "INTERNAL_ERROR"));
    assert!(body["meta"]["request_id"].is_string());
    let (status, _) = sb.post_json("/skills/web-router/reviews", Auth::Key(RW_KEY), &review).await;
    assert_eq!(status, 201);
    let stats = sb.stats().await;
    assert_eq!(stats["api_requests"]["POST /skills/{id}/reviews"]["500"], 1);
    assert_eq!(stats["api_requests"]["POST /skills/{id}/reviews"]["201"], 1);
}

#[tokio::test]
async fn fault_can_send_a_malformed_body_or_hit_the_token_endpoint() {
    let sb = Sandbox::unlimited().await;
    arm(&sb, json!({"endpoint": "GET /categories", "status": 200, "body": "{\"categories\": [tru"})).await;
    let resp = sb.http.get(sb.api("/categories")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "{\"categories\": [tru");

    arm(&sb, json!({"endpoint": "POST /oauth/token", "status": 503, "count": 2})).await;
    let t1 =
        sb.token(json!({"grant_type": "refresh_token", "client_id": CLIENT, "refresh_token": "x"})).await;
    let t2 =
        sb.token(json!({"grant_type": "refresh_token", "client_id": CLIENT, "refresh_token": "x"})).await;
    let t3 =
        sb.token(json!({"grant_type": "refresh_token", "client_id": CLIENT, "refresh_token": "x"})).await;
    assert_eq!((t1.0, t2.0, t3.0), (503, 503, 400));
}

#[tokio::test]
async fn faults_can_be_cleared_and_bad_faults_are_refused() {
    let sb = Sandbox::unlimited().await;
    arm(&sb, json!({"endpoint": "GET /skills", "status": 502, "count": 5})).await;
    sb.http.delete(sb.url("/__sandbox/faults")).send().await.unwrap();
    assert_eq!(sb.get_json("/skills").await.0, 200);
    let resp =
        sb.http.post(sb.url("/__sandbox/faults")).json(&json!({"endpoint": "nospace"})).send().await.unwrap();
    assert_eq!(resp.status(), 422);
    let resp = sb
        .http
        .post(sb.url("/__sandbox/faults"))
        .header("content-type", "application/json")
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
}

#[tokio::test]
async fn test_hooks_are_off_unless_asked_for() {
    let handle = atom_sandbox::start(Config { rate_limits: None, ..Config::default() }).await.unwrap();
    let http = reqwest::Client::new();
    let base = handle.base_url();
    for (method, path) in [("GET", "stats"), ("POST", "reset"), ("POST", "faults"), ("DELETE", "faults")] {
        let req = http.request(method.parse().unwrap(), format!("{base}/__sandbox/{path}"));
        let resp = req.json(&json!({"endpoint": "GET /skills"})).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{method} /__sandbox/{path} is not served");
    }
    // The API itself is unaffected.
    let resp = http.get(format!("{}/skills", handle.marketplace_url())).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_cross_site_simple_request_cannot_reach_the_hooks_or_the_api() {
    let sb = Sandbox::unlimited().await;
    // What a web page can send without a CORS preflight: text/plain or a form, carrying JSON.
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
    {
        let fault = r#"{"endpoint":"GET /skills","status":500,"count":100}"#;
        let resp = sb
            .http
            .post(sb.url("/__sandbox/faults"))
            .header("content-type", content_type)
            .body(fault)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 415, "{content_type}");
        let resp = sb
            .http
            .post(sb.url("/__sandbox/reset"))
            .header("content-type", content_type)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 415, "{content_type}");
        let body = r#"{"name":"Cross Site Skill","description":"Sent by another site.","category":"automation","type":"script","version":"1.0.0"}"#;
        let resp = sb
            .http
            .post(sb.api("/submit"))
            .header("x-api-key", RW_KEY)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 415, "{content_type}");
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");
    }
    assert_eq!(sb.get_json("/skills").await.0, 200, "no fault was armed");
}

#[tokio::test]
async fn a_request_naming_another_host_is_refused() {
    let sb = Sandbox::unlimited().await;
    // A DNS-rebinding page reaches 127.0.0.1 under its own name.
    for host in ["evil.example", &format!("evil.example:{}", sb.handle.addr().port()), "127.0.0.1:1"] {
        for path in ["/__sandbox/stats", "/api/public/v1/marketplace/skills", "/oauth/authorize"] {
            let resp = sb.http.get(sb.url(path)).header("host", host).send().await.unwrap();
            assert_eq!(resp.status(), 421, "{host} {path}");
        }
    }
    let resp = sb
        .http
        .get(sb.url("/__sandbox/stats"))
        .header("host", format!("localhost:{}", sb.handle.addr().port()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "localhost is this computer");
}

#[tokio::test]
async fn a_passing_fault_handles_the_request_for_real_but_slowly() {
    let sb = Sandbox::unlimited().await;
    arm(&sb, json!({"endpoint": "GET /categories", "pass": true, "reply_delay_ms": 300})).await;
    let started = std::time::Instant::now();
    let (status, body) = sb.get_json("/categories").await;
    assert_eq!(status, 200);
    assert!(body["categories"].as_array().is_some_and(|c| !c.is_empty()), "the real reply");
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    assert_eq!(sb.get_json("/categories").await.0, 200);
    assert!(started.elapsed() < std::time::Duration::from_millis(300), "one use only");
}

#[tokio::test]
async fn stats_count_api_requests_by_endpoint_and_status() {
    let sb = Sandbox::unlimited().await;
    sb.get_json("/skills").await;
    sb.get_json("/skills").await;
    sb.get_json("/skills/nope").await;
    let stats = sb.stats().await;
    assert_eq!(stats["api_requests"]["GET /skills"]["200"], 2);
    assert_eq!(stats["api_requests"]["GET /skills/{id}"]["404"], 1);
}

#[tokio::test]
async fn reset_returns_to_the_demo_data() {
    let sb = Sandbox::unlimited().await;
    let t = sb.login(BOTH_SCOPES).await;
    let body = json!({"name": "Temporary Skill", "description": "Gone after a reset.", "category": "automation",
                      "type": "script", "version": "0.1.0"});
    let (_, created) = sb.post_json("/submit", Auth::Key(RW_KEY), &body).await;
    let id = created["skill_id"].as_str().unwrap().to_string();
    let resp = sb.http.post(sb.url("/__sandbox/reset")).json(&json!({})).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(sb.get_json(&format!("/skills/{id}")).await.0, 404);
    assert_eq!(sb.get_with_bearer("/skills", t["access_token"].as_str().unwrap()).await.0, 401);
    assert_eq!(sb.token_requests("authorization_code").await, 0);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atom-sandbox-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test]
async fn data_dir_keeps_submissions_ratings_and_grants_across_restarts() {
    let dir = temp_dir("persist");
    let config = || Config { data_dir: Some(dir.clone()), rate_limits: None, ..Config::default() };

    let sb = Sandbox::start(config()).await;
    let t = sb.login(BOTH_SCOPES).await;
    let body = json!({"name": "Persistent Skill", "description": "Survives a restart.", "category": "automation",
                      "type": "script", "version": "0.1.0"});
    let (_, created) = sb.post_json("/submit", Auth::Key(RW_KEY), &body).await;
    let id = created["skill_id"].as_str().unwrap().to_string();
    let (_, rated) = sb
        .post_json("/skills/web-router/reviews", Auth::Key(RW_KEY), &json!({"rating": 1, "review": "Kept"}))
        .await;
    assert!(rated["id"].is_string());
    let (_, detail) = sb.get_json("/skills/web-router").await;
    sb.handle.shutdown().await;

    let sb = Sandbox::start(config()).await;
    let (status, skill) = sb.get_json(&format!("/skills/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(skill["name"], "Persistent Skill");
    let (_, after) = sb.get_json("/skills/web-router").await;
    assert_eq!(after["rating_count"], detail["rating_count"]);
    assert_eq!(after["rating"], detail["rating"]);
    let (_, reviews) = sb.get_json("/skills/web-router/reviews?limit=1").await;
    assert_eq!(reviews["reviews"][0]["review"], "Kept");
    // The signed-in user stays signed in: both tokens still work.
    assert_eq!(sb.get_with_bearer("/categories", t["access_token"].as_str().unwrap()).await.0, 200);
    let (status, _) = sb.refresh(t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    // Tokens are stored hashed, never in clear.
    let db = std::fs::read(dir.join("sandbox.db")).unwrap_or_default();
    let wal = std::fs::read(dir.join("sandbox.db-wal")).unwrap_or_default();
    let needle = t["refresh_token"].as_str().unwrap().as_bytes();
    for file in [&db, &wal] {
        assert!(!file.windows(needle.len()).any(|w| w == needle), "a token was written in clear");
    }
    sb.handle.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn reset_also_empties_the_data_dir() {
    let dir = temp_dir("reset");
    let config = || Config { data_dir: Some(dir.clone()), rate_limits: None, ..Config::default() };
    let sb = Sandbox::start(config()).await;
    let body = json!({"name": "Wiped Skill", "description": "Wiped by a reset.", "category": "automation",
                      "type": "script", "version": "0.1.0"});
    let (_, created) = sb.post_json("/submit", Auth::Key(RW_KEY), &body).await;
    sb.http.post(sb.url("/__sandbox/reset")).json(&json!({})).send().await.unwrap();
    sb.handle.shutdown().await;
    let sb = Sandbox::start(config()).await;
    assert_eq!(sb.get_json(&format!("/skills/{}", created["skill_id"].as_str().unwrap())).await.0, 404);
    sb.handle.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn fault_can_answer_429_with_retry_after() {
    let sb = Sandbox::unlimited().await;
    arm(&sb, json!({"endpoint": "GET /skills", "status": 429, "headers": {"Retry-After": "2"}})).await;
    let resp = sb.http.get(sb.api("/skills")).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "2");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&body), "RATE_LIMIT_EXCEEDED");
    assert_eq!(body["error"]["details"]["retry_after"], 2);
    assert_eq!(sb.get_json("/skills").await.0, 200);
}

#[tokio::test]
async fn the_update_feed_serves_the_folders_files_and_can_break_a_download() {
    let dir = std::env::temp_dir().join(format!("atom-sandbox-updates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sb = Sandbox::start(Config { updates_dir: Some(dir.clone()), ..Config::default() }).await;
    // No feed yet: "no update".
    let resp = sb.http.get(sb.url("/updates/latest.json")).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    // The feed as the test wrote it, good or bad.
    std::fs::write(dir.join("latest.json"), "{\"version\": \"0.1.1\", not json").unwrap();
    let resp = sb.http.get(sb.url("/updates/latest.json")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.text().await.unwrap(), "{\"version\": \"0.1.1\", not json");
    // A file whole, then cut off half way: its whole length announced, half sent, the connection broken.
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.join("app_0.1.1_amd64.deb"), &bytes).unwrap();
    let resp = sb.http.get(sb.url("/updates/files/app_0.1.1_amd64.deb")).send().await.unwrap();
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &bytes[..]);
    let resp = sb.http.get(sb.url("/updates/files/app_0.1.1_amd64.deb?cut=half")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.content_length(), Some(100_000));
    assert!(resp.bytes().await.is_err(), "a cut-off download must not read as complete");
    // Nothing outside the folder, nothing hidden.
    for path in ["/updates/files/..%2Fsecret", "/updates/files/.hidden", "/updates/files/missing.deb"] {
        assert_eq!(sb.http.get(sb.url(path)).send().await.unwrap().status(), 404, "{path}");
    }
    std::fs::remove_dir_all(dir).unwrap();
    // A sandbox not asked for a feed has none.
    let plain = Sandbox::unlimited().await;
    assert_eq!(plain.http.get(plain.url("/updates/latest.json")).send().await.unwrap().status(), 404);
}
