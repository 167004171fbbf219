//! The marketplace API, over real HTTP on loopback.

mod common;

use atom_sandbox::Config;
use common::*;
use serde_json::{json, Value};

fn valid_submission() -> Value {
    json!({
        "name": "Changelog Writer",
        "description": "Turns merged pull requests into a readable changelog.",
        "long_description": "# Changelog Writer\n\nWrites **changelogs**.",
        "category": "developer-tools",
        "type": "function",
        "version": "1.0.0",
        "tags": ["github", "release-notes"],
        "price": 0,
        "license": "MIT",
        "repository_url": "https://github.com/example/changelog-writer",
        "documentation_url": "https://docs.example.com/changelog-writer",
        "config": {"style": "keep-a-changelog"},
    })
}

#[tokio::test]
async fn lists_skills_with_paging_fields() {
    let sb = Sandbox::unlimited().await;
    let (status, body) = sb.get_json("/skills").await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 300);
    assert_eq!(body["limit"], 50);
    assert_eq!(body["offset"], 0);
    assert_eq!(body["has_more"], true);
    let skills = body["skills"].as_array().unwrap();
    assert_eq!(skills.len(), 50);
    for field in [
        "id",
        "slug",
        "name",
        "description",
        "category",
        "tags",
        "type",
        "price",
        "is_free",
        "rating",
        "rating_count",
        "installs",
    ] {
        assert!(skills[0].get(field).is_some(), "{field}");
    }
    let (_, last) = sb.get_json("/skills?offset=280&limit=50").await;
    assert_eq!(last["skills"].as_array().unwrap().len(), 20);
    assert_eq!(last["has_more"], false);
}

#[tokio::test]
async fn pages_do_not_overlap_and_cover_the_catalogue() {
    let sb = Sandbox::unlimited().await;
    let mut seen = std::collections::HashSet::new();
    for page in 0..3 {
        let (_, body) = sb.get_json(&format!("/skills?limit=100&offset={}", page * 100)).await;
        for s in body["skills"].as_array().unwrap() {
            assert!(seen.insert(s["id"].as_str().unwrap().to_string()));
        }
    }
    assert_eq!(seen.len(), 300);
}

#[tokio::test]
async fn search_matches_every_term() {
    let sb = Sandbox::unlimited().await;
    let (_, body) = sb.get_json("/skills?query=GitHub%20reviewer&limit=100").await;
    let skills = body["skills"].as_array().unwrap();
    assert!(!skills.is_empty());
    for s in skills {
        let hay = format!("{} {} {}", s["name"], s["description"], s["tags"]).to_lowercase();
        assert!(hay.contains("github") && hay.contains("reviewer"), "{hay}");
    }
    let (_, none) = sb.get_json("/skills?query=zzzz-no-such-thing").await;
    assert_eq!(none["total"], 0);
    assert_eq!(none["skills"], json!([]));
}

#[tokio::test]
async fn filters_by_category_tags_and_type() {
    let sb = Sandbox::unlimited().await;
    let (_, body) = sb.get_json("/skills?category=security&tags=beta&type=api&limit=100").await;
    for s in body["skills"].as_array().unwrap() {
        assert_eq!(s["category"], "security");
        assert_eq!(s["type"], "api");
        assert!(s["tags"].as_array().unwrap().contains(&json!("beta")));
    }
    let (_, cats) = sb.get_json("/categories").await;
    let security =
        cats["categories"].as_array().unwrap().iter().find(|c| c["slug"] == "security").unwrap().clone();
    let (_, all_security) = sb.get_json("/skills?category=security").await;
    assert_eq!(all_security["total"], security["skill_count"]);
    let (_, unknown) = sb.get_json("/skills?category=no-such-category").await;
    assert_eq!(unknown["total"], 0);
}

#[tokio::test]
async fn filters_free_or_paid() {
    let sb = Sandbox::unlimited().await;
    let (_, free) = sb.get_json("/skills?price=free&limit=100").await;
    let (_, paid) = sb.get_json("/skills?price=paid&limit=100").await;
    assert!(free["skills"].as_array().unwrap().iter().all(|s| s["is_free"] == true));
    assert!(paid["skills"].as_array().unwrap().iter().all(|s| s["is_free"] == false));
    assert_eq!(free["total"].as_u64().unwrap() + paid["total"].as_u64().unwrap(), 300);
    let (status, body) = sb.get_json("/skills?price=cheap").await;
    assert_eq!((status, error_code(&body)), (422, "VALIDATION_ERROR"));
}

#[tokio::test]
async fn sorts_as_named() {
    let sb = Sandbox::unlimited().await;
    let field = |body: &Value, f: &str| -> Vec<Value> {
        body["skills"].as_array().unwrap().iter().map(|s| s[f].clone()).collect()
    };
    let (_, b) = sb.get_json("/skills?sort=installs&limit=100").await;
    let installs: Vec<u64> = field(&b, "installs").iter().map(|v| v.as_u64().unwrap()).collect();
    assert!(installs.windows(2).all(|w| w[0] >= w[1]));
    let (_, b) = sb.get_json("/skills?sort=rating&limit=100").await;
    let ratings: Vec<f64> = field(&b, "rating").iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(ratings.windows(2).all(|w| w[0] >= w[1]));
    let (_, b) = sb.get_json("/skills?sort=name&limit=100").await;
    let names: Vec<String> = field(&b, "name").iter().map(|v| v.as_str().unwrap().to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]));
    let (_, b) = sb.get_json("/skills?sort=newest&limit=20").await;
    let mut dates = Vec::new();
    for slug in field(&b, "slug") {
        let (_, d) = sb.get_json(&format!("/skills/{}", slug.as_str().unwrap())).await;
        dates.push(d["created_at"].as_str().unwrap().to_string());
    }
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
}

#[tokio::test]
async fn rejects_out_of_range_queries_with_field_messages() {
    let sb = Sandbox::unlimited().await;
    let long_query = format!("/skills?query={}", "a".repeat(201));
    for (query, field) in [
        ("/skills?limit=0", "limit"),
        ("/skills?limit=101", "limit"),
        ("/skills?limit=ten", "limit"),
        ("/skills?offset=-1", "offset"),
        ("/skills?sort=random", "sort"),
        ("/skills?type=binary", "type"),
        ("/skills?limit=5&limit=6", "limit"),
        (long_query.as_str(), "query"),
        ("/skills/web-router/reviews?limit=0", "limit"),
    ] {
        let (status, body) = sb.get_json(query).await;
        assert_eq!(status, 422, "{query}");
        assert_eq!(error_code(&body), "VALIDATION_ERROR");
        assert!(body["error"]["details"]["fields"][field].is_string(), "{query}: {body}");
    }
}

#[tokio::test]
async fn gets_a_skill_by_id_or_slug() {
    let sb = Sandbox::unlimited().await;
    let (_, list) = sb.get_json("/skills?limit=1").await;
    let first = &list["skills"][0];
    let (s1, by_id) = sb.get_json(&format!("/skills/{}", first["id"].as_str().unwrap())).await;
    let (s2, by_slug) = sb.get_json(&format!("/skills/{}", first["slug"].as_str().unwrap())).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(by_id, by_slug);
    for field in [
        "long_description",
        "version",
        "author",
        "license",
        "repository_url",
        "documentation_url",
        "is_featured",
        "created_at",
        "updated_at",
    ] {
        assert!(by_id.get(field).is_some(), "{field}");
    }
    assert!(by_id["author"]["name"].is_string());
    assert!(time::OffsetDateTime::parse(
        by_id["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339
    )
    .is_ok());
}

#[tokio::test]
async fn unknown_skill_is_not_found_with_envelope() {
    let sb = Sandbox::unlimited().await;
    let resp = sb.http.get(sb.api("/skills/no-such-skill")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    assert!(body["error"]["message"].is_string());
    assert_eq!(body["meta"]["request_id"], request_id.as_str());
    assert!(body["meta"]["timestamp"].is_string());
    let (status, body) = sb.get_json("/no/such/endpoint").await;
    assert_eq!((status, error_code(&body)), (404, "NOT_FOUND"));
}

#[tokio::test]
async fn categories_cover_the_catalogue() {
    let sb = Sandbox::unlimited().await;
    let (status, body) = sb.get_json("/categories").await;
    assert_eq!(status, 200);
    let cats = body["categories"].as_array().unwrap();
    assert!(cats.len() >= 10);
    let sum: u64 = cats.iter().map(|c| c["skill_count"].as_u64().unwrap()).sum();
    assert_eq!(sum, 300);
    for c in cats {
        assert!(c["slug"].is_string() && c["name"].is_string() && c["description"].is_string());
    }
}

#[tokio::test]
async fn submit_creates_a_pending_skill_once() {
    let sb = Sandbox::unlimited().await;
    let (status, body) = sb.post_json("/submit", Auth::Key(RW_KEY), &valid_submission()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["status"], "pending_review");
    assert_eq!(body["slug"], "changelog-writer");
    let id = body["skill_id"].as_str().unwrap();

    let (status, detail) = sb.get_json(&format!("/skills/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["status"], "pending_review");
    assert_eq!(detail["name"], "Changelog Writer");
    assert_eq!(detail["is_free"], true);
    // Pending skills are not listed.
    let (_, list) = sb.get_json("/skills?query=changelog%20writer").await;
    assert_eq!(list["total"], 0);

    let (status, body) = sb.post_json("/submit", Auth::Key(RW_KEY), &valid_submission()).await;
    assert_eq!((status, error_code(&body)), (409, "CONFLICT"));
    let mut next = valid_submission();
    next["version"] = json!("1.1.0");
    let (status, body) = sb.post_json("/submit", Auth::Key(RW_KEY), &next).await;
    assert_eq!(status, 201);
    assert_eq!(body["slug"], "changelog-writer-2", "slugs stay unique");
}

#[tokio::test]
async fn submit_validates_every_field() {
    let sb = Sandbox::unlimited().await;
    let cases: Vec<(&str, Value)> = vec![
        ("name", json!("ab")),
        ("name", json!("x".repeat(101))),
        ("name", json!(42)),
        ("name", Value::Null),
        ("description", json!("too short")),
        ("description", json!("d".repeat(501))),
        ("long_description", json!("l".repeat(20_001))),
        ("category", json!("no-such-category")),
        ("category", Value::Null),
        ("type", json!("binary")),
        ("version", json!("1.0")),
        ("version", json!("01.0.0")),
        ("version", json!("v1.0.0")),
        ("tags", json!(["UPPER"])),
        ("tags", json!(["has space"])),
        ("tags", json!([""])),
        ("tags", json!(["t".repeat(33)])),
        ("tags", json!(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"])),
        ("tags", json!("not-an-array")),
        ("price", json!(-1)),
        ("price", json!("free")),
        ("repository_url", json!("http://github.com/x/y")),
        ("documentation_url", json!("javascript:alert(1)")),
        ("license", json!("l".repeat(101))),
        ("config", json!([1, 2])),
    ];
    for (field, value) in cases {
        let mut body = valid_submission();
        if value.is_null() {
            body.as_object_mut().unwrap().remove(field);
        } else {
            body[field] = value.clone();
        }
        let (status, resp) = sb.post_json("/submit", Auth::Key(RW_KEY), &body).await;
        assert_eq!(status, 422, "{field} = {value}");
        assert_eq!(error_code(&resp), "VALIDATION_ERROR");
        let fields = resp["error"]["details"]["fields"].as_object().unwrap();
        assert!(fields.contains_key(field), "{field} = {value}: {resp}");
        assert_eq!(fields.len(), 1, "only {field} is wrong: {resp}");
    }
    // Limits are inclusive.
    let mut edge = valid_submission();
    edge["name"] = json!("n".repeat(100));
    edge["description"] = json!("d".repeat(500));
    edge["tags"] = json!(["a", "b", "c", "d", "e", "f", "g", "h", "i", "t".repeat(32)]);
    edge["version"] = json!("2.0.0-rc.1+build.7");
    edge["price"] = json!(4.99);
    let (status, body) = sb.post_json("/submit", Auth::Key(RW_KEY), &edge).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn garbage_bodies_are_refused_without_server_errors() {
    let sb = Sandbox::unlimited().await;
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"string\"".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x80],
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
        br#"{"rating": 1e400}"#.to_vec(),
        br#"{"name": "\ud800"}"#.to_vec(),
    ];
    for path in ["/submit", "/skills/web-router/rate", "/skills/web-router/reviews"] {
        for body in &bodies {
            let resp = sb
                .http
                .post(sb.api(path))
                .header("X-API-Key", RW_KEY)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            assert!(
                (400..500).contains(&status),
                "{path}: {status} for {:?}",
                String::from_utf8_lossy(&body[..body.len().min(20)])
            );
            let v: Value = resp.json().await.expect("an error envelope");
            assert_eq!(v["success"], false);
        }
    }
    assert_eq!(sb.get_json("/categories").await.0, 200, "still serving");
}

#[tokio::test]
async fn body_over_one_mebibyte_is_413() {
    let sb = Sandbox::unlimited().await;
    let mut body = valid_submission();
    body["long_description"] = json!("x".repeat(1024 * 1024));
    let (status, resp) = sb.post_json("/submit", Auth::Key(RW_KEY), &body).await;
    assert_eq!((status, error_code(&resp)), (413, "PAYLOAD_TOO_LARGE"));
}

#[tokio::test]
async fn writes_need_a_credential_with_the_write_scope() {
    let sb = Sandbox::unlimited().await;
    let body = valid_submission();
    for (auth, status, code) in [
        (Auth::None, 401, "AUTH_REQUIRED"),
        (Auth::Key(READ_KEY), 403, "INSUFFICIENT_SCOPE"),
        (Auth::Key(REVOKED_KEY), 401, "INVALID_API_KEY"),
        (Auth::Key("atom_pub_00000000-0000-4000-8000-0000000000ff"), 401, "INVALID_API_KEY"),
        (Auth::Key("atom_pub_not-a-uuid"), 401, "INVALID_API_KEY"),
        (Auth::Key("atom_pub_00000000-0000-4000-8000-000000000002x"), 401, "INVALID_API_KEY"),
        (Auth::Bearer("made-up-token"), 401, "OAUTH_TOKEN_INVALID"),
    ] {
        let (s, resp) = sb.post_json("/submit", auth, &body).await;
        assert_eq!((s, error_code(&resp)), (status, code));
    }
}

#[tokio::test]
async fn each_api_key_reads_as_its_scope_allows() {
    let sb = Sandbox::unlimited().await;
    for (key, status) in [(READ_KEY, 200), (RW_KEY, 200), (REVOKED_KEY, 401)] {
        let resp = sb.http.get(sb.api("/categories")).header("X-API-Key", key).send().await.unwrap();
        assert_eq!(resp.status(), status, "{key}");
    }
    // A bad credential is an error even where anonymous access would work.
    let resp = sb.http.get(sb.api("/skills")).header("X-API-Key", "wrong").send().await.unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn both_credentials_at_once_is_400() {
    let sb = Sandbox::unlimited().await;
    let t = sb.login(BOTH_SCOPES).await;
    let resp = sb
        .http
        .get(sb.api("/skills"))
        .header("X-API-Key", RW_KEY)
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&body), "VALIDATION_ERROR");
}

#[tokio::test]
async fn oauth_user_submits_rates_and_reviews() {
    let sb = Sandbox::unlimited().await;
    let t = sb.login(BOTH_SCOPES).await;
    let bearer = Auth::Bearer(t["access_token"].as_str().unwrap());
    let (status, _) = sb.post_json("/submit", bearer, &valid_submission()).await;
    assert_eq!(status, 201);
    let (status, r) =
        sb.post_json("/skills/web-router/reviews", bearer, &json!({"rating": 4, "review": "Nice"})).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["author_name"], "Demo User");
}

#[tokio::test]
async fn rating_twice_updates_and_keeps_the_average_exact() {
    let sb = Sandbox::unlimited().await;
    let (_, before) = sb.get_json("/skills/web-router").await;
    let (n0, avg0) = (before["rating_count"].as_u64().unwrap(), before["rating"].as_f64().unwrap());
    let sum0 = avg0 * n0 as f64;

    let (status, r1) =
        sb.post_json("/skills/web-router/rate", Auth::Key(RW_KEY), &json!({"rating": 1})).await;
    assert_eq!(status, 200, "{r1}");
    assert_eq!(r1["action"], "created");
    assert_eq!(r1["rating_count"], n0 + 1);
    assert!((r1["average_rating"].as_f64().unwrap() - (sum0 + 1.0) / (n0 + 1) as f64).abs() < 1e-9);

    let (_, r2) = sb.post_json("/skills/web-router/rate", Auth::Key(RW_KEY), &json!({"rating": 5})).await;
    assert_eq!(r2["action"], "updated");
    assert_eq!(r2["rating_count"], n0 + 1);
    assert!((r2["average_rating"].as_f64().unwrap() - (sum0 + 5.0) / (n0 + 1) as f64).abs() < 1e-9);

    // Another rater counts separately.
    let t = sb.login(BOTH_SCOPES).await;
    let (_, r3) = sb
        .post_json(
            "/skills/web-router/rate",
            Auth::Bearer(t["access_token"].as_str().unwrap()),
            &json!({"rating": 3}),
        )
        .await;
    assert_eq!(r3["action"], "created");
    assert_eq!(r3["rating_count"], n0 + 2);
    let (_, after) = sb.get_json("/skills/web-router").await;
    assert_eq!(after["rating_count"], n0 + 2);
    assert!((after["rating"].as_f64().unwrap() - (sum0 + 8.0) / (n0 + 2) as f64).abs() < 1e-9);
    let dist = &after["rating_distribution"];
    let total: u64 = (1..=5).map(|i| dist[i.to_string()].as_u64().unwrap()).sum();
    assert_eq!(total, n0 + 2);
}

#[tokio::test]
async fn rating_and_review_validation() {
    let sb = Sandbox::unlimited().await;
    for body in [
        json!({}),
        json!({"rating": 0}),
        json!({"rating": 6}),
        json!({"rating": 3.5}),
        json!({"rating": "4"}),
        json!({"rating": 4, "review": "r".repeat(1001)}),
        json!({"rating": 4, "review": 12}),
    ] {
        let (status, resp) = sb.post_json("/skills/web-router/rate", Auth::Key(RW_KEY), &body).await;
        assert_eq!((status, error_code(&resp)), (422, "VALIDATION_ERROR"), "{body}");
    }
    for body in [json!({"rating": 4}), json!({"rating": 4, "review": "   "})] {
        let (status, resp) = sb.post_json("/skills/web-router/reviews", Auth::Key(RW_KEY), &body).await;
        assert_eq!(status, 422, "{body}");
        assert!(resp["error"]["details"]["fields"]["review"].is_string());
    }
    let (status, resp) = sb.post_json("/skills/nope/rate", Auth::Key(RW_KEY), &json!({"rating": 4})).await;
    assert_eq!((status, error_code(&resp)), (404, "NOT_FOUND"));
    let (status, _) = sb
        .post_json(
            "/skills/web-router/reviews",
            Auth::Key(RW_KEY),
            &json!({"rating": 4, "review": "r".repeat(1000)}),
        )
        .await;
    assert_eq!(status, 201, "1000 characters is allowed");
}

#[tokio::test]
async fn reviews_list_newest_first_and_one_per_rater() {
    let sb = Sandbox::unlimited().await;
    let (_, before) = sb.get_json("/skills/web-router/reviews").await;
    let n = before["total"].as_u64().unwrap();
    let (status, created) = sb
        .post_json(
            "/skills/web-router/reviews",
            Auth::Key(RW_KEY),
            &json!({"rating": 2, "review": "First take"}),
        )
        .await;
    assert_eq!(status, 201);
    for field in ["id", "skill_id", "rating", "review", "author_name", "created_at", "updated_at"] {
        assert!(created.get(field).is_some(), "{field}");
    }
    let (status, updated) = sb
        .post_json(
            "/skills/web-router/reviews",
            Auth::Key(RW_KEY),
            &json!({"rating": 4, "review": "Second take"}),
        )
        .await;
    assert_eq!(status, 200, "a second review updates the first");
    assert_eq!(updated["id"], created["id"]);
    let (_, after) = sb.get_json("/skills/web-router/reviews?limit=1").await;
    assert_eq!(after["total"], n + 1);
    assert_eq!(after["reviews"][0]["review"], "Second take");
    assert_eq!(after["reviews"][0]["rating"], 4);
    assert_eq!(after["has_more"], n + 1 > 1);
    // Rating without text keeps the review text.
    sb.post_json("/skills/web-router/rate", Auth::Key(RW_KEY), &json!({"rating": 5})).await;
    let (_, again) = sb.get_json("/skills/web-router/reviews?limit=1").await;
    assert_eq!(again["reviews"][0]["review"], "Second take");
    assert_eq!(again["reviews"][0]["rating"], 5);
}

#[tokio::test]
async fn hostile_demo_strings_are_served_verbatim() {
    let sb = Sandbox::unlimited().await;
    let (_, body) = sb.get_json("/skills?query=script&limit=100").await;
    assert!(body["skills"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"].as_str().unwrap().contains("<script>")));
    let mut found_rtl = false;
    let mut found_max = false;
    for offset in [0, 100, 200] {
        let (_, page) = sb.get_json(&format!("/skills?limit=100&offset={offset}")).await;
        for s in page["skills"].as_array().unwrap() {
            let name = s["name"].as_str().unwrap();
            found_rtl |= name.contains('\u{202E}');
            found_max |= name.chars().count() == 100;
        }
    }
    assert!(found_rtl && found_max);
}

#[tokio::test]
async fn same_seed_same_catalogue_over_http() {
    let a = Sandbox::start(Config { seed: 9, rate_limits: None, ..Config::default() }).await;
    let b = Sandbox::start(Config { seed: 9, rate_limits: None, ..Config::default() }).await;
    let c = Sandbox::start(Config { seed: 10, rate_limits: None, ..Config::default() }).await;
    let (_, pa) = a.get_json("/skills?limit=100&sort=name").await;
    let (_, pb) = b.get_json("/skills?limit=100&sort=name").await;
    let (_, pc) = c.get_json("/skills?limit=100&sort=name").await;
    assert_eq!(pa, pb);
    assert_ne!(pa, pc);
}

#[tokio::test]
async fn serves_ten_thousand_skills() {
    let sb = Sandbox::start(Config { skills: 10_000, rate_limits: None, ..Config::default() }).await;
    let (_, body) = sb.get_json("/skills?limit=100&offset=9950").await;
    assert_eq!(body["total"], 10_000);
    assert_eq!(body["skills"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn a_get_can_be_revalidated_with_its_etag() {
    let sb = Sandbox::unlimited().await;
    let get = |tag: Option<String>| {
        let mut req = sb.http.get(sb.api("/skills/web-router"));
        if let Some(tag) = tag {
            req = req.header("If-None-Match", tag);
        }
        req.send()
    };
    let first = get(None).await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "no-cache");
    let tag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(tag.starts_with('"') && tag.ends_with('"'), "a strong tag: {tag}");

    let same = get(Some(tag.clone())).await.unwrap();
    assert_eq!(same.status(), 304, "unchanged: not modified");
    assert_eq!(same.headers()["etag"], tag.as_str());
    assert!(same.bytes().await.unwrap().is_empty(), "a 304 has no body");
    let listed = get(Some(format!("\"other\", W/{tag}"))).await.unwrap();
    assert_eq!(listed.status(), 304, "one of a list of tags, weak or strong, matches");

    // A rating changes the skill: the old tag no longer matches.
    let (status, _) = sb.post_json("/skills/web-router/rate", Auth::Key(RW_KEY), &json!({"rating": 1})).await;
    assert_eq!(status, 200);
    let changed = get(Some(tag.clone())).await.unwrap();
    assert_eq!(changed.status(), 200, "changed: the new version");
    assert_ne!(changed.headers()["etag"], tag.as_str());
    assert_eq!(sb.stats().await["api_requests"]["GET /skills/{id}"]["304"], 2, "counted as requests");
}
