//! Links that open a skill (`com.atomagentos.marketplace://skill/<id>`): "Copy link" puts one on the
//! real X clipboard; the desktop hands it to a second process, which forwards it to the running app; a
//! cold start opens it too; a hostile one is refused with a message and changes nothing.

use std::time::Duration;

use crate::pages::{ids, Account, Catalogue};
use crate::support::*;

/// What the X clipboard holds, read as another application would (xclip).
fn clipboard() -> String {
    let out = std::process::Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .output()
        .expect("xclip runs (scripts/setup.sh installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_copied_skill_link_opens_the_skill_in_the_running_app_and_hostile_ones_change_nothing() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("skill-links");
    let app = profile.launch().await;
    Catalogue(&app).ready().await;
    Catalogue(&app).open_skill("Web Router").await;
    app.click(ids::COPY_LINK).await;
    app.wait_text(ids::TOASTS, |t| t.contains("Link copied"), Duration::from_secs(10), "the copy is said")
        .await;
    app.screenshot(&screenshot_path("skill-link-copied")).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let link = loop {
        let held = clipboard();
        if held.starts_with("com.atomagentos.marketplace://skill/") {
            break held;
        }
        assert!(std::time::Instant::now() < deadline, "the clipboard holds {held:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // Elsewhere in the app, the link (handed to a second process, as the desktop does) opens the skill.
    app.click(ids::BACK).await;
    Catalogue(&app).search("Summarizer").await;
    let another = "const r = [...document.querySelectorAll('[data-testid=skill-row]')].find(r => !r.querySelector('.name').textContent.startsWith('Web Router')); return r ? r.dataset.slug : null";
    let slug = app.poll(another, Duration::from_secs(15)).await.expect("another skill's row");
    app.click(&format!("[data-testid=skill-row][data-slug='{}']", slug.as_str().unwrap())).await;
    app.wait_for(ids::SKILL_NAME).await;
    let other = app.text(ids::SKILL_NAME).await;
    assert!(!other.starts_with("Web Router"), "{other}");
    profile.open_link(&link);
    app.wait_text(
        ids::SKILL_NAME,
        |t| t.starts_with("Web Router"),
        Duration::from_secs(15),
        "the link's skill",
    )
    .await;

    // Hostile links: refused with a reason; the skill shown stays, and no sign-in is touched.
    for hostile in [
        "com.atomagentos.marketplace://skill/..%2F..%2Foauth%2Fcallback",
        "com.atomagentos.marketplace://skill/../oauth/callback?code=x&state=y",
        "com.atomagentos.marketplace://skill/<img src=x onerror=alert(1)>",
        "com.atomagentos.marketplace://settings/reset",
    ] {
        app.script("document.querySelectorAll('[data-testid=toast] button').forEach(b => b.click())").await;
        profile.open_link(hostile);
        app.wait_text(
            ids::TOASTS,
            |t| t.contains("does not open anything"),
            Duration::from_secs(15),
            &format!("{hostile} is refused with a reason"),
        )
        .await;
        assert!(app.text(ids::SKILL_NAME).await.starts_with("Web Router"), "{hostile} changed the page");
        app.screenshot(&screenshot_path("skill-link-refused")).await;
    }
    // Where a sign-in's refusal would show: none, and the token endpoint never heard of a code.
    Account(&app).open().await;
    assert!(app.find(ids::SIGN_IN_ERROR).await.is_none(), "a hostile link was taken for a sign-in");
    let stats = sandbox_stats(&app).await;
    assert_eq!(
        stats["token_requests"]["authorization_code"].as_u64().unwrap_or(0),
        0,
        "no link reached the token endpoint"
    );
    app.quit().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_skill_link_opens_its_skill_on_a_cold_start() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("skill-link-cold");
    let first = profile.launch().await;
    let slug = Catalogue(&first).open_skill("Web Router").await;
    first.quit().await;
    // The desktop starts the app for the link (by the skill's slug) while it was not running.
    let app = profile.launch_with(&[&format!("com.atomagentos.marketplace://skill/{slug}")]).await;
    app.wait_text(
        ids::SKILL_NAME,
        |t| t.starts_with("Web Router"),
        Duration::from_secs(30),
        "the link's skill",
    )
    .await;
    // Back leads to the catalogue, as from any skill.
    app.click(ids::BACK).await;
    Catalogue(&app).ready().await;
    app.quit().await;
}
