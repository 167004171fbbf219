//! The benchmark itself (Unix only; main.rs says why).

use atom_webdriver as webdriver;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use webdriver::{FrozenKeyring, RunningApp};

use crate::report::{percentile, share, table, Samples, FRAME_MS, LATE_FOR_CERTAIN_MS};
use crate::scripts::{PROBE, RATE, RESULT, SCROLL, SEARCH, SIGN_IN, SWITCH, WATCH_SKILL};

const USAGE: &str = "usage: bench-desktop --floor BIN --app NAME=BIN [--app NAME=BIN…] [--deb NAME=FILE…] \
                     [--runs N] [--skills N] [--out FILE] [--probe FILE]";

struct Args {
    floor: PathBuf,
    apps: Vec<(String, PathBuf)>,
    debs: Vec<(String, PathBuf)>,
    runs: usize,
    skills: usize,
    out: Option<PathBuf>,
    /// Style variants to scroll with (`--probe`): lines of "name<TAB>css".
    probe: Vec<(String, String)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        floor: PathBuf::new(),
        apps: vec![],
        debs: vec![],
        runs: 5,
        skills: 10_000,
        out: None,
        probe: vec![],
    };
    let mut it = std::env::args().skip(1);
    let pair = |v: Option<String>| -> Result<(String, PathBuf), String> {
        let v = v.ok_or(USAGE)?;
        let (name, path) = v.split_once('=').ok_or(USAGE)?;
        Ok((name.to_string(), PathBuf::from(path)))
    };
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--floor" => args.floor = PathBuf::from(it.next().ok_or(USAGE)?),
            "--app" => args.apps.push(pair(it.next())?),
            "--deb" => args.debs.push(pair(it.next())?),
            "--runs" => args.runs = it.next().and_then(|v| v.parse().ok()).ok_or(USAGE)?,
            "--skills" => args.skills = it.next().and_then(|v| v.parse().ok()).ok_or(USAGE)?,
            "--out" => args.out = Some(PathBuf::from(it.next().ok_or(USAGE)?)),
            "--probe" => {
                let file = it.next().ok_or(USAGE)?;
                let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
                args.probe = text
                    .lines()
                    .filter_map(|l| l.split_once('\t'))
                    .map(|(name, css)| (name.to_string(), css.to_string()))
                    .collect();
            }
            _ => return Err(USAGE.into()),
        }
    }
    if args.floor.as_os_str().is_empty() || args.apps.is_empty() || args.runs == 0 {
        return Err(USAGE.into());
    }
    Ok(args)
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// A fresh user profile: its own data, config and cache folders, the fake browser, the app pointed
/// at `sandbox` as a custom server, and the app registered as the handler of its URL scheme.
struct Profile {
    dir: PathBuf,
}

impl Profile {
    fn new(tag: &str, app: &Path, sandbox: &str) -> Profile {
        let dir = std::env::temp_dir().join(format!("atom-bench-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = dir.join("config/com.atomagentos.marketplace");
        let applications = dir.join("data/applications");
        for d in [&config, &applications, &dir.join("cache")] {
            std::fs::create_dir_all(d).expect("profile folders");
        }
        // As discovery finds the sandbox: it names itself (its issuer) in every sign-in's answer.
        let settings = json!({"environment": {"kind": "custom", "settings": {
            "name": "Bench sandbox", "api_base": sandbox, "issuer": sandbox, "iss_parameter_supported": true,
            "authorize_url": format!("{sandbox}/oauth/authorize"), "token_url": format!("{sandbox}/oauth/token"),
            "revoke_url": format!("{sandbox}/oauth/revoke"), "client_id": "atom-desktop", "redirect_scheme": null,
            "token_encoding": "json"}}});
        std::fs::write(config.join("settings.json"), settings.to_string()).unwrap();
        // What a package does at install time, for this profile only.
        let desktop = format!(
            "[Desktop Entry]\nType=Application\nName=ATOM Marketplace (benchmark)\nExec={} %u\nNoDisplay=true\n\
             MimeType=x-scheme-handler/com.atomagentos.marketplace;\n",
            app.display()
        );
        std::fs::write(applications.join("atom-bench.desktop"), desktop).unwrap();
        // The fake browser is the profile's web browser, whatever browser the machine has.
        webdriver::install_fake_browser(
            &dir,
            &repo(),
            &["x-scheme-handler/com.atomagentos.marketplace=atom-bench.desktop"],
        );
        Profile { dir }
    }

    fn envs(&self) -> Vec<(&'static str, String)> {
        let mut envs = webdriver::profile_envs(&self.dir, &repo(), false);
        envs.push(("RUST_LOG", "warn".into()));
        envs
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The sum of PSS (KiB) of `root` and every process below it.
fn pss_tree_kib(root: u32) -> u64 {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // The fields after the command name (which may hold spaces) start after the last ')'.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|v| v.parse::<u32>().ok()) {
            parents.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    tree.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
        .filter_map(|text| {
            text.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .sum()
}

/// Starts `binary` as a user would, lets it settle, and measures its memory.
async fn idle_memory_mib(binary: &Path, profile: &Profile, settle: Duration) -> f64 {
    use std::os::unix::process::CommandExt;
    webdriver::ensure_no_app_running(binary).await;
    let mut child = Command::new(binary)
        .envs(profile.envs())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("the binary starts");
    tokio::time::sleep(settle).await;
    let kib = pss_tree_kib(child.id());
    // The whole process group (the app and WebKit's processes). `--` matters: without it procps' kill
    // reads "-PGID" its own way.
    let group = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-s", "TERM", "--", &group]).stderr(Stdio::null()).status();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = Command::new("kill").args(["-s", "KILL", "--", &group]).stderr(Stdio::null()).status();
    let _ = child.wait();
    kib as f64 / 1024.0
}

const FIRST_PAGE: &str = "const m = performance.getEntriesByName('first-page')[0]; \
                          return m ? performance.timeOrigin + m.startTime : null";
const DOM_CONTENT_LOADED: &str = "const n = performance.getEntriesByType('navigation')[0]; \
     const t = n && n.domContentLoadedEventEnd > 0 ? n.domContentLoadedEventEnd : 0; \
     return t > 0 ? performance.timeOrigin + t : (performance.timing.domContentLoadedEventEnd || null)";

/// Launch → the page's moment (epoch ms from `script`), in ms.
async fn launch_until(binary: &Path, profile: &Profile, script: &str) -> (RunningApp, f64) {
    let app = RunningApp::start(binary, &[], &profile.envs()).await;
    let at =
        app.poll(script, Duration::from_secs(60)).await.and_then(|v| v.as_f64()).expect("the page reports");
    let ms = at - app.launched_at_ms;
    (app, ms)
}

fn mib(path: &Path) -> Option<f64> {
    std::fs::metadata(path).ok().map(|m| m.len() as f64 / (1024.0 * 1024.0))
}

/// One run of the app: first paint, sign-in, search, scroll; then its idle memory.
async fn run_app(binary: &Path, sandbox: &str, run: usize, probe: &[(String, String)], out: &mut Samples) {
    let profile = Profile::new(&format!("app{run}"), binary, sandbox);
    let (app, first) = launch_until(binary, &profile, FIRST_PAGE).await;
    out.first_paint_ms.push(first);
    if let Some(at) = app.script(DOM_CONTENT_LOADED).await.as_f64() {
        out.dom_ready_ms.push(at - app.launched_at_ms);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Signed in, the guide's OAuth quota (600 a minute) lets the whole list load while it scrolls; an
    // anonymous user is paced at 60 a minute, as the service would.
    app.click("[data-testid=nav-account]").await;
    app.wait_for("[data-testid=auth-state]").await;
    if app.attribute("[data-testid=auth-state]", "data-state").await.as_deref() != Some("signed_out") {
        app.click("[data-testid=sign-out]").await;
        app.wait_attribute("[data-testid=auth-state]", "data-state", "signed_out").await;
    }
    app.script(SIGN_IN).await;
    let signed_in = app.poll(RESULT, Duration::from_secs(30)).await.expect("signed in");
    out.sign_in_ms.push(signed_in["ms"].as_f64().unwrap_or(0.0));
    // Split by the fake browser's log: the app's opener, the browser's pages, then the link's way back.
    let log = std::fs::read_to_string(profile.dir.join("browser.log")).unwrap_or_default();
    let last = |what: &str| {
        log.lines().rev().find_map(|l| l.strip_prefix(what)).and_then(|ms| ms.trim().parse::<f64>().ok())
    };
    let (clicked, painted) = (signed_in["clicked"].as_f64(), signed_in["painted"].as_f64());
    if let (Some(clicked), Some(started), Some(handed), Some(painted)) =
        (clicked, last("started "), last("handed "), painted)
    {
        out.sign_in_open_ms.push(started - clicked);
        out.sign_in_browser_ms.push(handed - started);
        out.sign_in_return_ms.push(painted - handed);
    }
    app.click("nav.tabs button").await;
    app.wait_for("[data-testid=skill-row]").await;

    // A rating: one click, one IPC call, one request to the server, and the new average on screen.
    app.script_with(SEARCH, json!(["Web Router"])).await;
    app.poll(RESULT, Duration::from_secs(30)).await.expect("found");
    app.click("[data-testid=skill-row]").await;
    app.wait_for("[data-testid=rating-count]").await;
    let requests_before = api_requests(sandbox).await;
    app.script(RATE).await;
    let rated = app.poll(RESULT, Duration::from_secs(30)).await.expect("rated");
    out.rate_ms.push(rated["ms"].as_f64().unwrap_or(0.0));
    out.rate_ipc.push(rated["ipc"].as_f64().unwrap_or(0.0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    out.rate_http.push((api_requests(sandbox).await - requests_before) as f64);

    // A link to a skill, opened by the desktop while the app runs (a second process hands it over):
    // the skill's page painted.
    app.script_with(WATCH_SKILL, json!(["File Sync Router"])).await;
    let opened = webdriver::epoch_ms();
    let _ = Command::new(binary)
        .arg("com.atomagentos.marketplace://skill/file-sync-router")
        .envs(profile.envs())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let painted = app.poll(RESULT, Duration::from_secs(30)).await.and_then(|v| v.as_f64()).expect("opened");
    out.link_ms.push(painted - opened);

    // A second account (an API key), then a switch back to the first from the account menu.
    app.click("[data-testid=account-menu]").await;
    app.click("[data-testid=menu-add-account]").await;
    app.wait_for("[data-testid=api-key-input]").await;
    app.type_into("[data-testid=api-key-input]", RW_KEY).await;
    app.click("input[type=radio][value=read_write]").await;
    app.click("[data-testid=api-key-submit]").await;
    app.wait_attribute("[data-testid=auth-state]", "data-state", "signed_in").await;
    let first = app
        .script(
            "return [...document.querySelectorAll('[data-testid=account-row]')].map(r => r.dataset.id)[0]",
        )
        .await;
    let first = first.as_str().expect("the first account's row").to_string();
    app.click("nav.tabs button").await;
    app.wait_for("[data-testid=skill-row]").await;
    app.script_with(SWITCH, json!([first, "Demo User"])).await;
    out.switch_ms
        .push(app.poll(RESULT, Duration::from_secs(30)).await.and_then(|v| v.as_f64()).expect("switched"));
    // The key account goes, so that the next run starts with one account.
    app.click("[data-testid=nav-account]").await;
    let key_row = "[data-testid=account-row]:not(.active)";
    app.click(&format!("{key_row} [data-testid=account-sign-out]")).await;
    app.wait_attribute(key_row, "data-state", "signed_out").await;
    app.click(&format!("{key_row} [data-testid=account-sign-out]")).await;
    app.wait_gone(key_row, Duration::from_secs(10)).await;
    app.click("nav.tabs button").await;
    app.wait_for("[data-testid=skill-row]").await;

    for q in ["slack", "github", "pdf"] {
        app.script_with(SEARCH, json!([q])).await;
        let ms = app.poll(RESULT, Duration::from_secs(30)).await.and_then(|v| v.as_f64()).expect("results");
        out.search_ms.push(ms);
    }
    app.script_with(SEARCH, json!([""])).await;
    app.poll(RESULT, Duration::from_secs(30)).await.expect("the whole catalogue again");

    app.script(SCROLL).await;
    let scroll = app.poll(RESULT, Duration::from_secs(600)).await.expect("the scroll ends");
    out.frames.extend(scroll["frames"].as_array().into_iter().flatten().filter_map(Value::as_f64));
    out.scroll_ms.push(scroll["ms"].as_f64().unwrap_or(0.0));
    probe_styles(&app, probe).await;

    // Sign out, so that the next run starts signed out too (the keystore outlives the profile).
    app.click("[data-testid=nav-account]").await;
    app.click("[data-testid=sign-out]").await;
    app.wait_attribute("[data-testid=auth-state]", "data-state", "signed_out").await;
    app.quit().await;

    out.memory_mib.push(idle_memory_mib(binary, &profile, Duration::from_secs(8)).await);
    // A first start: a profile the app has never run in (no WebKit profile, no caches, no settings).
    let fresh = Profile::new(&format!("fresh{run}"), binary, sandbox);
    out.first_start_memory_mib.push(idle_memory_mib(binary, &fresh, Duration::from_secs(8)).await);
}

/// `--probe`: with the whole list loaded, scrolls 400 viewports from the top under each style variant
/// (a style sheet added to the page), three rounds alternating them, and prints each one's frames.
/// What it is for: which part of the rows the frames wait for (text hidden, borders off, ...), with the
/// network out of the way. The variants and what they measured are in docs/benchmarks.md.
async fn probe_styles(app: &RunningApp, variants: &[(String, String)]) {
    for round in 1..=3 {
        for (name, css) in variants {
            app.script_with(PROBE, json!([css, 400])).await;
            let frames = app.poll(RESULT, Duration::from_secs(120)).await.expect("the probe's scroll ends");
            let frames: Vec<f64> =
                frames.as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
            let (read, certain) = (share(&frames, FRAME_MS), share(&frames, LATE_FOR_CERTAIN_MS));
            eprintln!(
                "probe round {round} {name}: over 16.7 ms as read {:.1} %, for certain {:.1} %, p95 {:.0} ms",
                read.unwrap_or(0.0),
                certain.unwrap_or(0.0),
                percentile(&frames, 0.95).unwrap_or(0.0)
            );
        }
    }
    if !variants.is_empty() {
        app.script_with(PROBE, json!(["", 1])).await;
        app.poll(RESULT, Duration::from_secs(10)).await;
    }
}

/// How many requests the sandbox's marketplace API has answered (its stats).
async fn api_requests(sandbox: &str) -> u64 {
    let stats: Value =
        reqwest::get(format!("{sandbox}/__sandbox/stats")).await.unwrap().json().await.unwrap();
    stats["api_requests"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| !name.contains("/oauth/"))
        .flat_map(|(_, by_status)| {
            by_status.as_object().into_iter().flatten().filter_map(|(_, n)| n.as_u64())
        })
        .sum()
}

const RW_KEY: &str = "atom_pub_00000000-0000-4000-8000-000000000002";

/// The first page with a warm catalogue cache: online, with the keystore not answering, and offline.
async fn run_warm(binary: &Path, run: usize, out: &mut Samples) {
    let sandbox = atom_sandbox::start(atom_sandbox::Config { rate_limits: None, ..Default::default() })
        .await
        .expect("the run's sandbox starts");
    let base = sandbox.base_url().trim_end_matches('/').to_string();
    let profile = Profile::new(&format!("warm{run}"), binary, &base);
    // A first run fills the cache (not counted: it is the no-cache row's case).
    first_page(binary, &profile).await;
    out.warm_ms.push(first_page(binary, &profile).await);
    {
        let _frozen = FrozenKeyring::freeze();
        out.frozen_keystore_ms.push(first_page(binary, &profile).await);
    }
    sandbox.shutdown().await;
    out.offline_ms.push(first_page(binary, &profile).await);
}

/// Launch → first page painted (ms), then quit.
async fn first_page(binary: &Path, profile: &Profile) -> f64 {
    let (app, ms) = launch_until(binary, profile, FIRST_PAGE).await;
    app.quit().await;
    ms
}

async fn run_floor(binary: &Path, run: usize, out: &mut Samples) {
    let profile = Profile::new(&format!("floor{run}"), binary, "http://127.0.0.1:9");
    let (app, first) = launch_until(binary, &profile, DOM_CONTENT_LOADED).await;
    out.first_paint_ms.push(first);
    out.dom_ready_ms.push(first);
    app.quit().await;
    out.memory_mib.push(idle_memory_mib(binary, &profile, Duration::from_secs(8)).await);
}

#[tokio::main]
pub async fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    let sandbox = atom_sandbox::start(atom_sandbox::Config {
        auto_approve: true,
        skills: args.skills,
        rate_limits: None,
        test_hooks: true,
        ..Default::default()
    })
    .await
    .expect("the sandbox starts");
    let base = sandbox.base_url().trim_end_matches('/').to_string();
    eprintln!("sandbox with {} skills at {base}", args.skills);

    let deb = |name: &str| args.debs.iter().find(|(n, _)| n == name).and_then(|(_, p)| mib(p));
    let mut floor =
        Samples { deb_mib: deb("floor"), binary_mib: mib(&args.floor).unwrap_or(0.0), ..Default::default() };
    let mut apps: Vec<(String, Samples)> = args
        .apps
        .iter()
        .map(|(n, p)| {
            (n.clone(), Samples { deb_mib: deb(n), binary_mib: mib(p).unwrap_or(0.0), ..Default::default() })
        })
        .collect();
    for run in 0..args.runs {
        eprintln!("run {}/{}: floor", run + 1, args.runs);
        run_floor(&args.floor, run, &mut floor).await;
        for (i, (name, path)) in args.apps.iter().enumerate() {
            eprintln!("run {}/{}: {name}", run + 1, args.runs);
            run_app(path, &base, run, &args.probe, &mut apps[i].1).await;
            run_warm(path, run, &mut apps[i].1).await;
        }
    }
    let text = table(args.runs, args.skills, &floor, &apps);
    println!("{text}");
    if let Some(out) = &args.out {
        std::fs::write(out, &text).expect("the table is written");
    }
}
