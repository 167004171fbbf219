//! The GUI, driven like a user would through WebDriver on the real app and its embedded sandbox:
//! browsing, searching, the detail page, submitting, rating and reviewing, a read-only key, rate limits,
//! drafts that survive failures and restarts, hostile content, and the keyboard alone.

use std::time::Duration;

use crate::pages::keys::*;
use crate::pages::{ids, Account, Catalogue};
use crate::support::*;
use serde_json::json;

const READ_KEY: &str = "atom_pub_00000000-0000-4000-8000-000000000001";

/// Signs in with `key` from the settled start-up state, signed out first whatever an earlier start
/// left in the keystore.
async fn sign_in_with_key(app: &RunningApp, key: &str, read_write: bool) {
    let account = Account(app);
    account.open_when_settled().await;
    account.start_signed_out().await;
    account.sign_in_with_key(key, read_write).await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn browse_search_filter_by_category_and_open_a_detail() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("browse");
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    assert_eq!(app.text(ids::RESULT_COUNT).await, "300 skills");
    app.screenshot(&screenshot_path("catalogue-light")).await;

    Catalogue(&app).search("github").await;
    app.wait_for(ids::RESULT_COUNT).await;
    app.wait_text(
        ids::RESULT_COUNT,
        |t| t != "300 skills",
        Duration::from_secs(10),
        "the search did not narrow the list",
    )
    .await;
    let rows = app.script("return [...document.querySelectorAll('[data-testid=skill-row]')].map(r => r.textContent.toLowerCase())").await;
    for row in rows.as_array().unwrap() {
        assert!(row.as_str().unwrap().contains("github"), "{row}");
    }

    app.click("[data-category=security]").await;
    // Done when every row shown is in the category (its first chip), and at least one is. This used to
    // read `.chip:first-of-type`, which matches nothing (the first span of a row is its rating), so the
    // check passed on no rows at all.
    let filtered = "const rows = [...document.querySelectorAll('[data-testid=skill-row]')]; \
                    const chips = rows.map(r => r.querySelector('.chip')?.textContent); \
                    return rows.length && chips.every(c => c === 'security') ? chips.length : null";
    if app.poll(filtered, Duration::from_secs(10)).await.is_none() {
        let seen = app
            .script(
                "return [...document.querySelectorAll('[data-testid=skill-row]')].map(r => r.textContent)",
            )
            .await;
        panic!("the list shows only the category's skills: {seen}");
    }
    app.click(ids::SKILL_ROW).await;
    app.wait_for(ids::SKILL_DESCRIPTION).await;
    assert!(!app.text(ids::SKILL_NAME).await.is_empty());
    app.screenshot(&screenshot_path("detail-light")).await;
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn submit_with_an_invalid_field_then_valid_and_see_it_pending() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("submit");
    let app = profile.launch().await;
    sign_in_with_key(&app, RW_KEY, true).await;
    app.click(ids::NAV_SUBMIT).await;
    app.type_into(ids::F_NAME, "E2E Release Notes").await;
    app.type_into(ids::F_DESCRIPTION, "Writes release notes from merged pull requests.").await;
    app.script("const s = document.querySelector('[data-testid=f-category]'); s.value = 'developer-tools'; s.dispatchEvent(new Event('change'));").await;
    app.script("const s = document.querySelector('[data-testid=f-type]'); s.value = 'function'; s.dispatchEvent(new Event('change'));").await;
    // An invalid version first.
    app.script("const v = document.querySelector('[data-testid=f-version]'); v.value = ''; v.dispatchEvent(new Event('input'));").await;
    app.type_into(ids::F_VERSION, "1.0").await;
    app.type_into(ids::F_LONG_DESCRIPTION, "# Release notes\u{E007}\u{E007}Made by **E2E**.").await;
    // Typed as a person would, with the Enter key (WebKit's driver types "\n" as nothing).
    let typed = app.script("return document.querySelector('[data-testid=f-long_description]').value").await;
    assert_eq!(typed.as_str(), Some("# Release notes\n\nMade by **E2E**."));
    app.click(ids::SUBMIT_BUTTON).await;
    let message = app.text(ids::ERROR_VERSION).await;
    assert!(message.contains("SemVer"), "{message}");
    app.screenshot(&screenshot_path("submit-invalid-light")).await;

    app.script("const v = document.querySelector('[data-testid=f-version]'); v.value = '1.0.0'; v.dispatchEvent(new Event('input'));").await;
    app.click(ids::SUBMIT_BUTTON).await;
    app.wait_for(ids::SUBMIT_SUCCESS).await;
    assert_eq!(app.text(ids::SUBMIT_STATUS).await, "pending review");
    assert_eq!(app.text(ids::SUBMIT_SLUG).await, "e2e-release-notes");
    app.screenshot(&screenshot_path("submit-done-light")).await;
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn rate_and_review_then_see_the_new_average() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("review");
    let app = profile.launch().await;
    sign_in_with_key(&app, RW_KEY, true).await;
    let base = Account(&app).sandbox_url().await;
    app.click("nav.tabs button").await;
    Catalogue(&app).open_skill("Web Router").await;
    let before: u64 = app
        .text(ids::RATING_COUNT)
        .await
        .split_whitespace()
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap();
    app.click("[data-testid=star-rating] [data-star='5']").await;
    app.type_into(ids::REVIEW_TEXT, "Five stars from the end-to-end test.").await;
    assert_eq!(app.text(ids::REVIEW_COUNTER).await, "36/1000");
    count_ipc_calls(&app).await;
    let requests = api_requests(&base).await;
    app.click(ids::POST_REVIEW).await;
    app.wait_for("[data-kind=success]").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now: u64 = app
            .text(ids::RATING_COUNT)
            .await
            .split_whitespace()
            .next()
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap();
        if now == before + 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "count stayed at {now}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(app.text(ids::REVIEWS).await.contains("Five stars from the end-to-end test."));
    assert!(app.text(ids::MY_RATING).await.contains("5 ★"));
    // The screen was patched from the write's own reply: one command, one request, nothing read again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(api_requests(&base).await, requests + 1, "one HTTP request for the rating and review");
    // (`next_events` is the window's standing wait for the app's events, not the click's.)
    let calls: Vec<String> = ipc_calls(&app).await.into_iter().filter(|c| c != "next_events").collect();
    assert_eq!(calls, ["post_review"], "one IPC call for the rating and review");
    app.quit().await;
}

/// Every request the sandbox has answered on the marketplace API.
async fn api_requests(sandbox: &str) -> u64 {
    let stats: serde_json::Value =
        reqwest::get(format!("{sandbox}/__sandbox/stats")).await.unwrap().json().await.unwrap();
    let by_endpoint = stats["api_requests"].as_object().cloned().unwrap_or_default();
    by_endpoint
        .values()
        .flat_map(|by_status| by_status.as_object().cloned().unwrap_or_default())
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum()
}

/// From now on, the window's commands are recorded: Tauri sends each as a `fetch` of an `ipc:` URL
/// naming the command (WebKitGTK keeps no resource timing for that scheme).
async fn count_ipc_calls(app: &RunningApp) {
    app.script(
        "const f = window.fetch; window.__calls = []; \
         window.fetch = (url, ...rest) => { const u = String(url); \
           if (u.startsWith('ipc:')) window.__calls.push(decodeURIComponent(u.split('/').pop())); \
           return f(url, ...rest); }",
    )
    .await;
}

/// The commands called since [`count_ipc_calls`], in order.
async fn ipc_calls(app: &RunningApp) -> Vec<String> {
    serde_json::from_value(app.script("return window.__calls").await).unwrap_or_default()
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_read_only_key_cannot_submit_and_is_told_why() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("readonly");
    let app = profile.launch().await;
    sign_in_with_key(&app, READ_KEY, false).await;
    app.click(ids::NAV_SUBMIT).await;
    assert!(app.text(ids::SUBMIT_DISABLED).await.contains("read_write"));
    assert_eq!(app.attribute(ids::SUBMIT_BUTTON, "disabled").await.as_deref(), Some("true"));
    app.click("nav.tabs button").await;
    Catalogue(&app).open_skill("Web Router").await;
    assert!(app.text(ids::WRITE_DISABLED).await.contains("only browse"));
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_rate_limit_shows_the_wait_and_recovers() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("ratelimit");
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    let base = Account(&app).sandbox_url().await;
    arm_fault(
        &base,
        json!({"endpoint": "GET /skills", "status": 429, "count": 1, "headers": {"Retry-After": "3"}}),
    )
    .await;
    Catalogue(&app).search("slack").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let quota =
            app.script("return document.querySelector('[data-testid=rate-limit]')?.textContent ?? ''").await;
        let quota = quota.as_str().unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
        if quota.contains("waiting") {
            // The quota, then the wait, apart: "57/60 · waiting 3 s".
            assert!(quota.contains("/60 · waiting "), "{quota}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the wait was never shown");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.screenshot(&screenshot_path("rate-limited-light")).await;
    // Then the results arrive by themselves, and the wait is gone.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let count = app.text(ids::RESULT_COUNT).await;
        let quota =
            app.script("return document.querySelector('[data-testid=rate-limit]')?.textContent ?? ''").await;
        if count != "300 skills" && count != "Loading…" && !quota.as_str().unwrap_or("").contains("waiting")
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no results after the wait ({count})");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(app.find(ids::LIST_ERROR).await.is_none(), "no error was shown: the wait was enough");
    app.quit().await;
}

/// A server's odd records (seven stars, a negative or fractional rating, one review sent twice) never
/// break the skill's screen: the stars stay a row of five, the repeat is shown once.
#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn odd_reviews_from_a_server_never_break_the_skill_screen() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("odd-reviews");
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    let base = Account(&app).sandbox_url().await;
    let review = |id: &str, rating: serde_json::Value, text: &str| {
        json!({"id": id, "skill_id": "x", "rating": rating, "review": text, "author_name": "Someone",
               "created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:05Z"})
    };
    let page = json!({"reviews": [review("r1", json!(7), "Seven stars"), review("r1", json!(-3), "Sent twice"),
                                  review("r2", json!(2.6), "Fractional")],
                      "total": 3, "limit": 10, "offset": 0, "has_more": false});
    arm_fault(
        &base,
        json!({"endpoint": "GET /skills/{id}/reviews", "status": 200, "body": page.to_string()}),
    )
    .await;
    Catalogue(&app).open_skill("Web Router").await;
    app.wait_text(ids::REVIEWS, |t| t.contains("Fractional"), Duration::from_secs(15), "the reviews").await;
    let shown = app
        .script("return [...document.querySelectorAll('[data-testid=review-stars]')].map(s => s.textContent)")
        .await;
    assert_eq!(shown, json!(["★★★★★", "★★★☆☆"]), "seven stars are five; the repeat is shown once");
    assert!(app.find(ids::SCREEN_FAILED).await.is_none());
    assert!(app.find(ids::SKILL_NAME).await.is_some(), "the screen is still there");
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_review_draft_survives_a_failed_post_and_a_restart() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("draft");
    let app = profile.launch().await;
    sign_in_with_key(&app, RW_KEY, true).await;
    let base = Account(&app).sandbox_url().await;
    app.click("nav.tabs button").await;
    Catalogue(&app).open_skill("Web Router").await;
    arm_fault(&base, json!({"endpoint": "POST /skills/{id}/reviews", "status": 500})).await;
    app.click("[data-testid=star-rating] [data-star='3']").await;
    app.type_into(ids::REVIEW_TEXT, "A draft that must not be lost").await;
    app.click(ids::POST_REVIEW).await;
    app.wait_for("[data-kind=error]").await;
    let kept = app.script("return document.querySelector('[data-testid=review-text]').value").await;
    assert_eq!(kept, "A draft that must not be lost");
    app.quit().await;

    let again = profile.launch().await;
    again.wait_for(ids::SKILL_ROW).await;
    Catalogue(&again).open_skill("Web Router").await;
    let restored = again.script("return document.querySelector('[data-testid=review-text]').value").await;
    assert_eq!(restored, "A draft that must not be lost");
    assert_eq!(again.attribute(ids::STAR_RATING, "data-value").await.as_deref(), Some("3"));
    again.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn hostile_strings_render_as_text() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("hostile");
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    let scripts_before = app.script("return document.scripts.length").await;
    Catalogue(&app).open_skill("<script>").await;
    assert!(app.text(ids::SKILL_NAME).await.starts_with("<script>alert('xss')</script>"));
    // The description arrives after the rest of the skill: its first heading.
    app.wait_for("[data-testid=skill-markdown] h1").await;
    let checks = app
        .script(
            "const d = document.querySelector('[data-testid=skill-description]');\
             return { scripts: document.scripts.length, iframes: document.querySelectorAll('iframe').length,\
               handlers: d.querySelectorAll('[onerror],[onclick],[style]').length,\
               jsLinks: [...d.querySelectorAll('a')].filter(a => /^javascript:/i.test(a.getAttribute('href') || '')).length,\
               imgs: d.querySelectorAll('img').length,\
               pwned: document.body.textContent.trim() === 'pwned' || !document.querySelector('[data-testid=skill-name]'),\
               shownAsText: d.textContent.includes(\"<script>document.body.innerHTML='pwned'</script>\"),\
               overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth }",
        )
        .await;
    assert_eq!(checks["scripts"], scripts_before, "no script was added");
    assert_eq!(checks["iframes"], 0);
    assert_eq!(checks["handlers"], 0);
    assert_eq!(checks["jsLinks"], 0);
    assert_eq!(checks["imgs"], 0);
    assert_eq!(checks["pwned"], false, "the injected script never ran");
    assert_eq!(checks["shownAsText"], true, "raw HTML in a description reads as text");
    assert_eq!(checks["overflow"], false, "no layout escapes the window");
    app.screenshot(&screenshot_path("hostile-light")).await;
    // The longest name and the unbroken description stay inside their row.
    app.click(ids::BACK).await;
    Catalogue(&app).search("Extremely Verbose").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let fits = loop {
        let v = app
            .script(
                "const r = [...document.querySelectorAll('[data-testid=skill-row]')].find(r => r.textContent.includes('Extremely Verbose'));\
                 return r ? r.scrollWidth <= r.clientWidth + 1 : null",
            )
            .await;
        if !v.is_null() {
            break v;
        }
        assert!(std::time::Instant::now() < deadline, "the long-named skill was not listed");
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert_eq!(fits, true);
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn browse_detail_and_rate_with_the_keyboard_only() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("keyboard");
    let app = profile.launch().await;
    sign_in_with_key(&app, RW_KEY, true).await;
    // Ctrl+K focuses the search box from anywhere.
    app.keys(&[CONTROL, "k"]).await;
    let focused_on =
        |id: &str| format!("return document.activeElement?.dataset.testid === '{id}' ? true : null");
    app.poll(&focused_on("search"), Duration::from_secs(5)).await.expect("Ctrl+K focuses the search box");
    app.type_text("Web Router").await;
    let found = "const n = document.querySelector('[data-testid=skill-row] .name'); \
                 return n && n.textContent.startsWith('Web Router') ? true : null";
    app.poll(found, Duration::from_secs(10)).await.expect("the search finds the skill");
    app.keys(&[DOWN]).await;
    app.poll(&focused_on("skill-row"), Duration::from_secs(5)).await.expect("Down moves to the results");
    app.keys(&[ENTER]).await;
    app.wait_for(ids::SKILL_DESCRIPTION).await;
    // Tab to the star control, choose four stars with the arrows, on to the text, then the button.
    let mut reached = false;
    for _ in 0..30 {
        app.keys(&[TAB]).await;
        if app.focused("data-star").await.is_some() {
            reached = true;
            break;
        }
    }
    assert!(reached, "the star control is reachable by Tab");
    for _ in 0..4 {
        app.keys(&[RIGHT]).await;
    }
    assert_eq!(app.attribute(ids::STAR_RATING, "data-value").await.as_deref(), Some("4"));
    app.keys(&[TAB]).await;
    assert_eq!(app.focused("data-testid").await.as_deref(), Some("review-text"));
    app.type_text("Keyboard only").await;
    app.keys(&[TAB]).await;
    assert_eq!(app.focused("data-testid").await.as_deref(), Some("post-review"));
    app.keys(&[ENTER]).await;
    app.wait_for("[data-kind=success]").await;
    app.wait_text(
        ids::REVIEWS,
        |t| t.contains("Keyboard only"),
        Duration::from_secs(10),
        "the new review is not listed",
    )
    .await;
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn dark_theme_screenshots() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut profile = Profile::new("dark");
    profile.dark = true;
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    let dark = app.script("return matchMedia('(prefers-color-scheme: dark)').matches").await;
    app.screenshot(&screenshot_path("catalogue-dark")).await;
    Catalogue(&app).open_skill("Web Router").await;
    app.screenshot(&screenshot_path("detail-dark")).await;
    app.click(ids::NAV_SUBMIT).await;
    app.wait_for(ids::F_NAME).await;
    app.screenshot(&screenshot_path("submit-dark")).await;
    app.click(ids::NAV_ACCOUNT).await;
    app.wait_for(ids::AUTH_STATE).await;
    app.screenshot(&screenshot_path("account-dark")).await;
    assert_eq!(dark, true, "GTK's dark theme reaches the page as prefers-color-scheme: dark");
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_submit_draft_survives_a_restart() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("submit-draft");
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    app.click(ids::NAV_SUBMIT).await;
    app.type_into(ids::F_NAME, "Half-written Skill").await;
    app.type_into(ids::F_DESCRIPTION, "Typed before the app was closed.").await;
    app.type_into(ids::F_TAGS, "drafts, e2e").await;
    // The draft is written a moment after the last keystroke.
    let saved = "const d = localStorage.getItem('atom.draft.submit:sandbox') ?? ''; \
                 return d.includes('drafts, e2e') ? true : null";
    app.poll(saved, Duration::from_secs(5)).await.expect("the draft is saved as the user types");
    app.quit().await;

    let again = profile.launch().await;
    again.wait_for(ids::SKILL_ROW).await;
    again.click(ids::NAV_SUBMIT).await;
    again.wait_for(ids::F_NAME).await;
    let values = again
        .script(
            "const v = id => document.querySelector(`[data-testid=${id}]`).value;\
             return [v('f-name'), v('f-description'), v('f-tags')]",
        )
        .await;
    assert_eq!(values, json!(["Half-written Skill", "Typed before the app was closed.", "drafts, e2e"]));
    again.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_custom_server_is_checked_then_connected() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("custom-server");
    // Another server on this computer, apart from the app's embedded sandbox.
    let server =
        atom_sandbox::start(atom_sandbox::Config { rate_limits: None, ..Default::default() }).await.unwrap();
    let base = server.base_url();
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    let embedded = Account(&app).sandbox_url().await;
    // "Custom server…" in the environment menu opens the form.
    app.script(
        "const s = document.querySelector('[data-testid=environment-select]'); s.value = 'custom'; s.dispatchEvent(new Event('change', { bubbles: true }));",
    )
    .await;
    app.wait_for(ids::CUSTOM_FORM).await;
    // Plain http to another computer is refused before anything is sent.
    app.type_into(ids::CUSTOM_API_BASE, "http://api.example.com").await;
    app.click(ids::CUSTOM_CONNECT).await;
    let errors = app.text(ids::CUSTOM_FORM).await;
    assert!(errors.contains("Use https"), "{errors}");
    assert!(errors.contains("client ID"), "{errors}");
    assert_eq!(app.text(ids::ENVIRONMENT).await, "Sandbox");

    // An ATOM-compatible server's address; the OAuth addresses fill themselves in.
    app.script("const i = document.querySelector('[data-testid=custom-api-base]'); i.value = ''; i.dispatchEvent(new Event('input'));")
        .await;
    app.type_into(ids::CUSTOM_API_BASE, &base).await;
    app.type_into("#c-name", "Staging").await;
    app.type_into(ids::CUSTOM_CLIENT_ID, "atom-desktop").await;
    let token_url = app.script("return document.querySelector('#c-token').value").await;
    assert_eq!(token_url.as_str(), Some(format!("{}/oauth/token", base.trim_end_matches('/')).as_str()));
    app.screenshot(&screenshot_path("custom-server-light")).await;
    app.click(ids::CUSTOM_CONNECT).await;
    app.wait_text(
        ids::ENVIRONMENT,
        |t| t == "Staging",
        Duration::from_secs(10),
        "the custom server was not connected",
    )
    .await;
    app.click("nav.tabs button").await;
    app.wait_for(ids::SKILL_ROW).await;
    assert_eq!(app.text(ids::RESULT_COUNT).await, "300 skills");
    // The user left the sandbox: it no longer listens on this computer.
    let gone = reqwest::get(format!("{embedded}/api/public/v1/marketplace/categories")).await;
    assert!(gone.is_err(), "the embedded sandbox still answers after the switch: {gone:?}");
    app.quit().await;
}
