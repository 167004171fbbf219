//! Signed updates in the development build (the installed package's install and restart are
//! `installed::`): the app reads a real feed from a sandbox (`--updates-dir`), the Tauri updater
//! downloads and verifies each artifact against a throwaway key made by `tauri signer` (the build's
//! key for this test: `ATOM_UPDATE_PUBKEY`, honoured by development builds only), and the window shows
//! what happened. A development build never replaces itself, so the good update ends at "verified".

use std::time::Duration;

use crate::pages::ids;
use crate::support::releases::{Releases, SigningKey};
use crate::support::*;

/// Offers `version`, then installs it from the notice and waits for the refusal with the error code `code`.
async fn install_is_refused(app: &RunningApp, version: &str, code: &str) {
    check_for_updates(app, "available").await;
    app.wait_attribute(ids::UPDATE_NOTICE, "data-version", version).await;
    app.click(ids::UPDATE_INSTALL).await;
    app.wait_attribute(ids::UPDATE_PROBLEM, "data-code", code).await;
}

const NOTES: &str = "## What's new\n\n**Faster search.**\n\n<script>window.pwned = 1</script>\
<img src=x onerror=\"window.pwned = 2\"> [a link](javascript:window.pwned=3)";

#[tokio::test]
#[ignore = "needs the desktop session: scripts/test.sh"]
async fn updates_are_offered_verified_and_forged_older_or_broken_ones_refused() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let releases = Releases::serve("dev").await;
    let keys_dir = std::env::temp_dir().join(format!("atom-e2e-keys-{}", std::process::id()));
    std::fs::create_dir_all(&keys_dir).unwrap();
    let key = SigningKey::generate(&keys_dir, "release");
    let other = SigningKey::generate(&keys_dir, "other");
    let mut profile = Profile::new("updates");
    profile.extra_env.push(("ATOM_UPDATE_FEED", releases.feed()));
    profile.extra_env.push(("ATOM_UPDATE_PUBKEY", key.public.clone()));
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    app.click(ids::NAV_ACCOUNT).await;
    app.wait_for(ids::APP_UPDATES).await;
    assert_eq!(app.text(ids::APP_VERSION).await, "0.1.0");
    let automatic = "return document.querySelector('[data-testid=automatic-updates]').checked";
    assert_eq!(app.script(automatic).await, false, "development builds do not check by themselves");

    // No release yet (204), then an older one, validly signed: up to date, no notice.
    check_for_updates(&app, "up_to_date").await;
    assert!(app.text(ids::UPDATE_ANSWER).await.contains("up to date"));
    let package: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let good = releases.put("ATOM_next_amd64.deb", &package);
    let url = releases.url("ATOM_next_amd64.deb", false);
    releases.offer("0.0.9", "", &url, &key.sign(&good, "0.0.9"));
    check_for_updates(&app, "up_to_date").await;
    releases.offer("0.1.0", "", &url, &key.sign(&good, "0.1.0"));
    check_for_updates(&app, "up_to_date").await;
    assert!(app.find(ids::UPDATE_NOTICE).await.is_none(), "an older or equal version is no update");

    // A newer one, signed with the build's key: offered with its notes (hostile Markdown made harmless),
    // downloaded and verified; a development build then stops short of replacing itself.
    releases.offer("0.1.1", NOTES, &url, &key.sign(&good, "0.1.1"));
    check_for_updates(&app, "available").await;
    app.wait_attribute(ids::UPDATE_NOTICE, "data-version", "0.1.1").await;
    app.click(ids::UPDATE_NOTES_TOGGLE).await;
    app.wait_for(&format!("{} strong", ids::UPDATE_NOTES)).await;
    let unsafe_nodes = app
        .script(
            "const n = document.querySelector('[data-testid=update-notes]');
             return n.querySelectorAll('script, img, [onerror], a[href^=javascript]').length + (window.pwned ?? 0)",
        )
        .await;
    assert_eq!(unsafe_nodes, 0, "the notes' script, image and link were made text");
    app.screenshot(&screenshot_path("update-available")).await;
    app.click(ids::UPDATE_INSTALL).await;
    app.wait_attribute(ids::UPDATE_PROBLEM, "data-code", "update_unavailable").await;
    assert!(app.text(ids::UPDATE_PROBLEM).await.contains("signature verified"));

    // Forged: signed with another key.
    releases.offer("0.1.2", "", &url, &other.sign(&good, "0.1.2"));
    install_is_refused(&app, "0.1.2", "update_refused").await;
    assert!(app.text(ids::UPDATE_PROBLEM).await.contains("signature does not match"));
    app.screenshot(&screenshot_path("update-refused")).await;
    // The right key, but signed for another version than the feed announces (an old release passed
    // off as new).
    releases.offer("0.1.3", "", &url, &key.sign(&good, "0.1.1"));
    install_is_refused(&app, "0.1.3", "update_refused").await;
    // Cut off half way.
    releases.offer("0.1.4", "", &releases.url("ATOM_next_amd64.deb", true), &key.sign(&good, "0.1.4"));
    install_is_refused(&app, "0.1.4", "update_broken").await;
    assert!(app.text(ids::UPDATE_PROBLEM).await.contains("broke off"));

    // A download off HTTPS is refused at the check; a feed that is not JSON, or has nothing for this
    // platform, says so and offers nothing.
    releases.offer("0.1.5", "", "http://updates.example.com/app.deb", &key.sign(&good, "0.1.5"));
    check_for_updates(&app, "failed").await;
    assert!(app.text(ids::UPDATE_ANSWER).await.contains("not on HTTPS"));
    releases.write_feed("{\"version\": \"0.1.6\", \"platforms\": {tru");
    check_for_updates(&app, "failed").await;
    assert!(app.text(ids::UPDATE_ANSWER).await.contains("could not be read"));
    let windows_only = serde_json::json!({"version": "0.1.6", "platforms": {"windows-x86_64": {"url": url, "signature": "x"}}});
    releases.write_feed(&windows_only.to_string());
    check_for_updates(&app, "failed").await;
    assert!(app.text(ids::UPDATE_ANSWER).await.contains("no package for this kind of install"));
    assert!(app.find(ids::UPDATE_NOTICE).await.is_none());

    // Later closes the notice for this run; Check for updates shows it again; Skip this version keeps
    // it away (and is remembered).
    releases.offer("0.1.1", NOTES, &url, &key.sign(&good, "0.1.1"));
    check_for_updates(&app, "available").await;
    app.click(ids::UPDATE_LATER).await;
    app.wait_gone(ids::UPDATE_NOTICE, Duration::from_secs(5)).await;
    check_for_updates(&app, "available").await;
    app.wait_for(ids::UPDATE_NOTICE).await;
    app.click(ids::UPDATE_SKIP).await;
    app.wait_gone(ids::UPDATE_NOTICE, Duration::from_secs(5)).await;
    app.click(ids::AUTOMATIC_UPDATES).await;
    let settings = profile.dir.join("config/com.atomagentos.marketplace/settings.json");
    let saved =
        || serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&settings).unwrap_or_default());
    eventually(Duration::from_secs(5), "the choice is saved", || async {
        saved().is_ok_and(|saved| saved["updates"]["automatic"] == true)
    })
    .await;
    let saved = saved().unwrap();
    assert_eq!(saved["updates"]["skipped"], "0.1.1", "{saved}");
    assert_eq!(saved["updates"]["automatic"], true, "{saved}");
    // Skipped, it is still offered when the user asks (a skip quiets the automatic checks only); the
    // app answers at once (skipping once held the updater's state locked for good).
    app.wait_text(
        ids::APP_UPDATES,
        |t| t.contains("Skipped version: 0.1.1"),
        Duration::from_secs(5),
        "skipped",
    )
    .await;
    check_for_updates(&app, "available").await;
    app.wait_for(ids::UPDATE_NOTICE).await;
    app.quit().await;
}

/// A feed that never ends (a hostile or broken update host): the app reads at most 4 MiB of it, then
/// says the feed was refused, and the window answers all along.
#[tokio::test]
#[ignore = "needs the desktop session: scripts/test.sh"]
async fn a_feed_that_never_ends_is_refused_and_the_window_keeps_answering() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _turn = ONE_AT_A_TIME.lock().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let feed = format!("http://127.0.0.1:{}/latest.json", listener.local_addr().unwrap().port());
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = sent.clone();
    let server = tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let _ = socket.read(&mut head).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"notes\":\"")
                    .await;
                let chunk = vec![b'x'; 64 * 1024];
                while socket.write_all(&chunk).await.is_ok() {
                    counted.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    let mut profile = Profile::new("endless-feed");
    profile.extra_env.push(("ATOM_UPDATE_FEED", feed));
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    app.click(ids::NAV_ACCOUNT).await;
    app.wait_for(ids::APP_UPDATES).await;
    let started = std::time::Instant::now();
    check_for_updates(&app, "failed").await;
    let said = app.text(ids::UPDATE_ANSWER).await;
    assert!(said.contains("larger than any feed"), "{said}");
    assert!(started.elapsed() < Duration::from_secs(30), "said in {:?}", started.elapsed());
    // The window answered while it was read, and after.
    app.click(ids::FIRST_TAB).await;
    app.wait_for(ids::SKILL_ROW).await;
    let read = sent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(read < 16 * 1024 * 1024, "the host got {read} bytes out before the app stopped reading");
    app.quit().await;
    server.abort();
}
