//! Paint first, then ask; and keep working without the network. On the real app, against a sandbox the
//! test runs (so that it can stop it, as a network that goes away, and start it again on the same
//! address): a start with no network and a warm catalogue cache, a network lost and regained in the
//! middle of a session, a start while the OS keystore does not answer, and HTTPS that is trusted only
//! through the trust store the app is given.

use std::net::SocketAddr;
use std::time::Duration;

use crate::pages::ids;
use crate::support::webdriver::FrozenKeyring;
use crate::support::*;

fn config(addr: SocketAddr) -> atom_sandbox::Config {
    atom_sandbox::Config {
        addr,
        auto_approve: true,
        rate_limits: None,
        test_hooks: true,
        ..Default::default()
    }
}

/// A sandbox on a free loopback port; the same seed gives the same catalogue when it starts again there.
async fn server() -> atom_sandbox::SandboxHandle {
    atom_sandbox::start(config(SocketAddr::from(([127, 0, 0, 1], 0))))
        .await
        .expect("the test's sandbox starts")
}

async fn server_again(addr: SocketAddr) -> atom_sandbox::SandboxHandle {
    atom_sandbox::start(config(addr)).await.expect("the sandbox starts again on its address")
}

const NOTICE: &str = ids::OFFLINE_NOTICE;

async fn wait_gone(app: &RunningApp, css: &str, limit: Duration, what: &str) {
    let script = format!("return document.querySelector({css:?}) ? null : true");
    assert!(app.poll(&script, limit).await.is_some(), "{what}");
}

/// The slug and name of the first row shown.
async fn first_row(app: &RunningApp) -> (String, String) {
    app.wait_for(ids::SKILL_ROW).await;
    let row = app
        .script("const r = document.querySelector('[data-testid=skill-row]'); return [r.dataset.slug, r.querySelector('.name').textContent]")
        .await;
    (row[0].as_str().unwrap().to_string(), row[1].as_str().unwrap().to_string())
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_start_without_network_shows_the_saved_catalogue_and_recovers_by_itself() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let sandbox = server().await;
    let addr = sandbox.addr();
    let profile = Profile::on_server("offline-start", &sandbox.base_url());

    // A first run, online: the catalogue and one skill the user opened are saved.
    let app = profile.launch().await;
    let (slug, name) = first_row(&app).await;
    app.click(&format!("[data-testid=skill-row][data-slug='{slug}']")).await;
    app.wait_text(ids::SKILL_NAME, |t| t == name, Duration::from_secs(10), "the skill opens").await;
    app.quit().await;

    // The network is gone (the server refuses connections), and the app starts again.
    sandbox.shutdown().await;
    let app = profile.launch().await;
    let (first, _) = first_row(&app).await;
    assert_eq!(first, slug, "the last catalogue, painted from the cache");
    app.wait_for(NOTICE).await;
    let notice = app.text(NOTICE).await;
    assert!(notice.contains("offline") && notice.contains("saved catalogue"), "{notice}");
    app.wait_text(ids::SAVED_AGE, |t| t.starts_with("Saved"), Duration::from_secs(10), "marked as saved")
        .await;
    app.screenshot(&screenshot_path("offline-start")).await;

    // Search and filters work over the saved pages.
    let term = name.split_whitespace().next().unwrap().to_lowercase();
    app.type_into(ids::SEARCH, &term).await;
    app.wait_text(ids::SAVED_AGE, |t| t.contains("saved pages"), Duration::from_secs(10), "searched offline")
        .await;
    let names = app
        .script(
            "return [...document.querySelectorAll('[data-testid=skill-row] .name')].map(n => n.textContent)",
        )
        .await;
    assert!(!names.as_array().unwrap().is_empty(), "the search found the saved skill");

    // The skill opened before is there; writing waits for the network, and says so.
    app.click(&format!("[data-testid=skill-row][data-slug='{slug}']")).await;
    app.wait_text(ids::SKILL_NAME, |t| t == name, Duration::from_secs(10), "the saved skill opens").await;
    app.wait_for(ids::DETAIL_SAVED_AGE).await;
    assert!(app.text(ids::WRITE_DISABLED).await.contains("offline"));
    app.click(ids::NAV_SUBMIT).await;
    assert!(app.text(ids::SUBMIT_DISABLED).await.contains("offline"));
    app.click("nav.tabs button").await;

    // The network returns: the app notices by itself (no click, no restart).
    let back = server_again(addr).await;
    wait_gone(&app, NOTICE, Duration::from_secs(45), "the offline notice goes by itself").await;
    wait_gone(&app, ids::SAVED_AGE, Duration::from_secs(15), "the list is current again").await;
    app.click(ids::NAV_SUBMIT).await;
    app.wait_for(ids::F_NAME).await;
    assert!(
        !app.text(ids::SUBMIT_DISABLED).await.contains("offline"),
        "writing is back (signed out, so it asks to sign in instead)"
    );
    app.quit().await;
    back.shutdown().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_network_lost_mid_session_is_said_calmly_and_regained_without_a_click() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let sandbox = server().await;
    let addr = sandbox.addr();
    let profile = Profile::on_server("offline-mid", &sandbox.base_url());
    let app = profile.launch().await;
    let (_, name) = first_row(&app).await;
    assert!(app.find(NOTICE).await.is_none(), "online: no notice");

    sandbox.shutdown().await;
    // A search the server was never asked: answered from the saved pages, and the app knows why.
    let term = name.split_whitespace().next().unwrap().to_lowercase();
    app.type_into(ids::SEARCH, &term).await;
    app.wait_for(NOTICE).await;
    app.wait_text(ids::SAVED_AGE, |t| t.contains("saved pages"), Duration::from_secs(10), "searched offline")
        .await;
    assert!(app.find(ids::LIST_ERROR).await.is_none(), "no error where saved pages can answer");
    assert!(app.find("[data-testid=toast][data-kind=error]").await.is_none(), "calm: no error toast");
    app.screenshot(&screenshot_path("offline-mid-session")).await;

    let back = server_again(addr).await;
    wait_gone(&app, NOTICE, Duration::from_secs(45), "the offline notice goes by itself").await;
    wait_gone(&app, ids::SAVED_AGE, Duration::from_secs(15), "the results are the server's again").await;
    app.quit().await;
    back.shutdown().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn the_first_page_does_not_wait_for_a_keystore_that_does_not_answer() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let sandbox = server().await;
    let profile = Profile::on_server("frozen-keystore", &sandbox.base_url());
    // Something to restore: an API key in the keystore from an earlier run.
    let app = profile.launch().await;
    first_row(&app).await;
    app.click(ids::NAV_ACCOUNT).await;
    app.type_into(ids::API_KEY_INPUT, "atom_pub_00000000-0000-4000-8000-000000000002").await;
    app.click("input[type=radio][value=read_write]").await;
    app.click(ids::API_KEY_SUBMIT).await;
    app.wait_attribute(ids::AUTH_STATE, "data-state", "signed_in").await;
    app.quit().await;

    // The keystore hangs from before the launch until after the first page is painted.
    let frozen = FrozenKeyring::freeze();
    assert!(frozen.is_frozen(), "the desktop session runs gnome-keyring");
    let app = profile.launch().await;
    first_row(&app).await;
    let painted = app.script("return performance.getEntriesByName('first-page').length").await;
    assert_eq!(painted, 1, "the first page was painted while the keystore did not answer");
    drop(frozen);

    // The silent sign-in settles in the background (signed in, or the keystore notice), and the app
    // keeps working either way.
    app.click(ids::NAV_ACCOUNT).await;
    let settled = "const s = document.querySelector('[data-testid=auth-state]')?.dataset.state; \
                   return s === 'signed_in' || document.querySelector('[data-testid=session-only]') ? s : null";
    assert!(app.poll(settled, Duration::from_secs(20)).await.is_some(), "the silent sign-in settles");
    app.quit().await;
    sandbox.shutdown().await;
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn https_is_trusted_only_through_the_trust_store_the_app_is_given() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = std::env::temp_dir().join(format!("atom-e2e-test-ca-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let tls = atom_sandbox::tls::write_test_ca(&dir).expect("a test CA and a certificate for 127.0.0.1");
    let sandbox = atom_sandbox::start(atom_sandbox::Config {
        tls: Some(tls),
        ..config(SocketAddr::from(([127, 0, 0, 1], 0)))
    })
    .await
    .expect("the HTTPS sandbox starts");
    let base = sandbox.base_url();
    assert!(base.starts_with("https://"));

    // The system's trust store does not know the test CA: a clear error that says what to do.
    let profile = Profile::new("tls-untrusted");
    let app = profile.launch_with(&["--server", &base]).await;
    app.wait_for(ids::LIST_ERROR).await;
    let error = app.text(ids::LIST_ERROR).await;
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    assert!(error.contains("trust"), "the hint names the trust store: {error}");
    // Nothing came: the sidebar does not say the catalogue is empty ("All skills 0").
    let all = app.text("[data-testid=categories] li:first-child button").await;
    assert_eq!(all.trim(), "All skills", "no count is shown before one is known");
    app.screenshot(&screenshot_path("tls-untrusted")).await;
    app.quit().await;

    // The same server, with the test CA as the trust store (as an inspecting proxy's root CA would be).
    let mut profile = Profile::new("tls-trusted");
    profile.extra_env.push(("SSL_CERT_FILE", dir.join("ca.pem").display().to_string()));
    let app = profile.launch_with(&["--server", &base]).await;
    first_row(&app).await;
    assert!(app.find(ids::LIST_ERROR).await.is_none());
    // The account screen names the server the app is talking to.
    app.click(ids::NAV_ACCOUNT).await;
    assert_eq!(app.text(ids::SERVER_URL).await, base);
    app.quit().await;
    sandbox.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn a_proxy_set_in_gnomes_settings_is_the_way_the_app_goes() {
    let _turn = ONE_AT_A_TIME.lock().await;
    // On this machine's network address, over HTTPS, as another computer's server is: the app goes to
    // this computer's own servers (loopback) directly, whatever a proxy setting says.
    let here = atom_sandbox::this_machines_address().expect("a network address besides loopback");
    let dir = std::env::temp_dir().join(format!("atom-e2e-gnome-ca-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let tls = atom_sandbox::tls::write_test_ca_for(&dir, &[here.to_string()]).expect("a test CA");
    let sandbox =
        atom_sandbox::start(atom_sandbox::Config { tls: Some(tls), ..config(SocketAddr::new(here, 0)) })
            .await
            .expect("the HTTPS sandbox starts");
    let base = sandbox.base_url();
    // GNOME's Settings → Network Proxy, manual, to a proxy that is not there; in GSettings' key-file
    // store inside the profile (the same schema dconf keeps).
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut profile = Profile::new("gnome-proxy");
    let store = profile.dir.join("config/glib-2.0/settings");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::write(
        store.join("keyfile"),
        format!("[system/proxy]\nmode='manual'\nignore-hosts=['localhost', '127.0.0.0/8', '::1']\n[system/proxy/http]\nhost='127.0.0.1'\nport={gone}\n[system/proxy/https]\nhost='127.0.0.1'\nport={gone}\n"),
    )
    .unwrap();
    profile.extra_env.push(("XDG_CURRENT_DESKTOP", "GNOME".into()));
    profile.extra_env.push(("GSETTINGS_BACKEND", "keyfile".into()));
    profile.extra_env.push(("SSL_CERT_FILE", dir.join("ca.pem").display().to_string()));
    let app = profile.launch_with(&["--server", &base]).await;
    // The server is up (below, it answers at once): only the proxy in the way can fail the request.
    let error = app.text(ids::LIST_ERROR).await;
    assert!(error.contains("Cannot reach the server"), "the app went through GNOME's proxy: {error}");
    app.quit().await;

    // Turned off in Settings: straight to the server.
    std::fs::write(store.join("keyfile"), "[system/proxy]\nmode='none'\n").unwrap();
    let app = profile.launch_with(&["--server", &base]).await;
    first_row(&app).await;
    app.quit().await;
    sandbox.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// What the app saved for a server: the first page and the categories, in its catalogue cache folder
/// (named by the server's key).
fn save_first_screen(profile: &Profile, names: &[&str]) {
    let server = profile.server.as_deref().expect("a profile on a server");
    let key = atom_core::Environment::custom(&server_settings(server)).unwrap().server_key();
    let dir = profile.dir.join("cache/com.atomagentos.marketplace/catalogue").join(key.folder_name());
    let cache = atom_core::cache::Cache::on_disk(dir);
    let skills: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            serde_json::json!({"id": format!("s{i}"), "slug": format!("saved-{i}"), "name": name,
                "description": "Saved before the network went away", "category": "web", "type": "api",
                "is_free": true, "rating": 4.5, "rating_count": 3, "installs": 1200})
        })
        .collect();
    let page = serde_json::json!({"skills": skills, "total": names.len(), "limit": 50, "offset": 0});
    cache.store("skills?limit=50", Some("\"saved\"".into()), page.to_string().as_bytes());
    let categories =
        serde_json::json!({"categories": [{"slug": "web", "name": "Web", "skill_count": names.len()}]});
    cache.store("categories", None, categories.to_string().as_bytes());
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn the_saved_first_page_is_in_the_first_frame_and_hostile_names_stay_text() {
    let _turn = ONE_AT_A_TIME.lock().await;
    // Nothing listens there: only what was saved can be shown, and it comes with the page itself (the app
    // hands it over as the page loads), not through a request.
    let profile = Profile::on_server("saved-first-frame", "http://127.0.0.1:9");
    let names = [
        "</script><script>window.pwned = 1</script>",
        "\"; window.pwned = 2; \"",
        "\u{2028}window.pwned = 3\u{2029}",
        "<img src=x onerror=\"window.pwned = 4\">",
        "Plain Saved Skill",
    ];
    save_first_screen(&profile, &names);
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    let painted = app
        .script(
            "return { names: [...document.querySelectorAll('[data-testid=skill-row] .name')].map(n => n.textContent),\
               fromSaved: performance.getEntriesByName('first-page-from-saved').length,\
               asked: performance.getEntriesByName('first-page-asked').length,\
               pwned: window.pwned ?? null, imgs: document.querySelectorAll('main img').length,\
               boot: '__ATOM_BOOT__' in window,\
               categories: [...document.querySelectorAll('[data-testid=categories] [data-category]')].map(b => b.dataset.category) }",
        )
        .await;
    let shown: Vec<&str> = painted["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert_eq!(shown, names, "every saved name, as text");
    assert_eq!(painted["fromSaved"], 1, "painted from what the app handed the page");
    assert_eq!(painted["asked"], 0, "no request was needed for the first page");
    assert_eq!(painted["pwned"], serde_json::Value::Null, "no saved name ran as script");
    assert_eq!(painted["imgs"], 0);
    assert_eq!(painted["boot"], false, "the page took the saved screen and let go of it");
    assert_eq!(painted["categories"], serde_json::json!(["web"]));
    app.wait_text(ids::SAVED_AGE, |t| t.starts_with("Saved"), Duration::from_secs(10), "marked").await;
    app.wait_for(NOTICE).await;
    app.quit().await;
}

/// Which of the screens kept out of the first page have been asked for: a module the page imported, or
/// the preload and stylesheet links the build's loader adds for it (`ui/src/lib/views.ts`).
const SCREENS_LOADED: &str = "const seen = [...performance.getEntriesByType('resource').map(e => e.name),\
       ...[...document.querySelectorAll('link[href]')].map(l => l.href),\
       ...[...document.querySelectorAll('script[src]')].map(s => s.src)];\
     return ['SkillDetail', 'SubmitForm', 'Account', 'CustomServer']\
       .filter(n => seen.some(u => u.includes('/' + n + '-')));";

async fn screens_loaded(app: &RunningApp) -> Vec<String> {
    serde_json::from_value(app.script(SCREENS_LOADED).await).expect("a list of names")
}

async fn wait_loaded(app: &RunningApp, screen: &str) {
    let script = format!("return (() => {{ {SCREENS_LOADED} }})().includes({screen:?}) || null");
    assert!(
        app.poll(&script, Duration::from_secs(10)).await.is_some(),
        "{screen} was not loaded ahead of its opening"
    );
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn the_other_screens_load_only_when_the_user_heads_for_them() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let sandbox = server().await;
    let profile = Profile::on_server("on-intent", &sandbox.base_url());
    let app = profile.launch().await;
    app.wait_for(ids::SKILL_ROW).await;
    // Past the silent sign-in (it starts at most 1.5 s after the mount) and the list's revalidation.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        screens_loaded(&app).await,
        Vec::<String>::new(),
        "a window left on the catalogue loads no other screen"
    );

    // The pointer over a tab loads its screen, and only that one; nothing opens until the click.
    app.hover(ids::NAV_SUBMIT).await;
    wait_loaded(&app, "SubmitForm").await;
    assert_eq!(screens_loaded(&app).await, ["SubmitForm"]);
    assert!(app.find(ids::F_NAME).await.is_none(), "hovering opens nothing");

    // The focus on a row loads the skill page (Enter follows).
    app.script("document.querySelector('[data-testid=skill-row]').focus()").await;
    wait_loaded(&app, "SkillDetail").await;

    app.hover(ids::NAV_ACCOUNT).await;
    wait_loaded(&app, "Account").await;
    wait_loaded(&app, "CustomServer").await;

    // And the screens still open.
    app.click(ids::NAV_SUBMIT).await;
    app.wait_for(ids::F_NAME).await;
    app.click(ids::NAV_ACCOUNT).await;
    app.wait_for(ids::AUTH_STATE).await;
    app.quit().await;
}

/// The value of `name` in the environment of process `pid`.
fn environment_of(pid: u32, name: &str) -> Option<String> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    env.split(|b| *b == 0)
        .filter_map(|entry| std::str::from_utf8(entry).ok())
        .find_map(|entry| entry.strip_prefix(name)?.strip_prefix('=').map(str::to_string))
}

#[tokio::test]
#[ignore = "needs a desktop session: scripts/test.sh"]
async fn the_web_engine_keeps_its_optimising_compilers_for_hot_code_and_a_users_setting_wins() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let profile = Profile::new("engine-tuning");
    // The user's own value for one setting; the app brings the others.
    const USERS: (&str, &str) = ("JSC_thresholdForOptimizeSoon", "2500");
    let mut envs = profile.envs();
    envs.push((USERS.0, USERS.1.into()));
    let app = RunningApp::start(&app_binary(), &[], &envs).await;
    app.wait_for(ids::SKILL_ROW).await;
    let pages = app.web_processes();
    assert!(!pages.is_empty(), "the window's web process is under the app");
    for pid in pages {
        for (name, value) in atom_desktop::memory::ENGINE_TUNING {
            let expected = if *name == USERS.0 { USERS.1 } else { value };
            assert_eq!(environment_of(pid, name).as_deref(), Some(expected), "{name} in web process {pid}");
        }
    }
    app.quit().await;
}
