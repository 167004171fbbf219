//! The benchmark itself (Unix only; main.rs says why).

use atom_webdriver as webdriver;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use webdriver::{FrozenKeyring, RunningApp};

const USAGE: &str = "usage: bench-desktop --floor BIN --app NAME=BIN [--app NAME=BIN…] [--deb NAME=FILE…] \
                     [--runs N] [--skills N] [--out FILE]";

struct Args {
    floor: PathBuf,
    apps: Vec<(String, PathBuf)>,
    debs: Vec<(String, PathBuf)>,
    runs: usize,
    skills: usize,
    out: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args =
        Args { floor: PathBuf::new(), apps: vec![], debs: vec![], runs: 5, skills: 10_000, out: None };
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
        let settings = json!({"environment": {"kind": "custom", "settings": {
            "name": "Bench sandbox", "api_base": sandbox,
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

const SEARCH: &str = r#"
const [q] = arguments;
const count = () => document.querySelector('[data-testid=result-count]')?.textContent ?? '';
const before = count();
window.__bench = null;
const input = document.querySelector('[data-testid=search]');
const t0 = performance.now();
input.value = q;
input.dispatchEvent(new Event('input', { bubbles: true }));
const check = () => {
  const c = count();
  if (c !== before && c !== 'Loading…' && document.querySelector('[data-testid=skill-row]')) {
    requestAnimationFrame(() => { window.__bench = performance.now() - t0; });
  } else setTimeout(check, 1);
};
check();
"#;

const SCROLL: &str = r#"
const s = document.querySelector('[data-testid=skill-scroller]');
window.__bench = null;
const frames = [];
let last = 0;
const t0 = performance.now();
const frame = (now) => {
  frames.push(now - last);
  last = now;
  if (s.scrollTop + s.clientHeight >= s.scrollHeight - 2) {
    // At the end: wait for the last rows' page too.
    const settle = () => document.querySelector('[data-testid=skill-list] .skeleton')
      ? requestAnimationFrame(settle)
      : (window.__bench = { frames, ms: performance.now() - t0, rows: s.scrollHeight / 84 });
    settle();
    return;
  }
  s.scrollTop += s.clientHeight;
  requestAnimationFrame(frame);
};
requestAnimationFrame((now) => { last = now; s.scrollTop += s.clientHeight; requestAnimationFrame(frame); });
"#;

const SIGN_IN: &str = r#"
window.__bench = null;
const t0 = performance.now();
document.querySelector('[data-testid=sign-in-browser]').click();
const check = () => {
  const s = document.querySelector('[data-testid=auth-state]');
  if (s && s.dataset.state === 'signed_in') requestAnimationFrame(() => { window.__bench = performance.now() - t0; });
  else setTimeout(check, 1);
};
check();
"#;

const RESULT: &str = "return window.__bench";

#[derive(Default)]
struct Samples {
    deb_mib: Option<f64>,
    binary_mib: f64,
    memory_mib: Vec<f64>,
    first_paint_ms: Vec<f64>,
    dom_ready_ms: Vec<f64>,
    sign_in_ms: Vec<f64>,
    search_ms: Vec<f64>,
    frames: Vec<f64>,
    scroll_ms: Vec<f64>,
    warm_ms: Vec<f64>,
    frozen_keystore_ms: Vec<f64>,
    offline_ms: Vec<f64>,
}

fn sorted(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

fn median(v: &[f64]) -> Option<f64> {
    let s = sorted(v);
    let n = s.len();
    (n > 0).then(|| if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 })
}

fn percentile(v: &[f64], p: f64) -> Option<f64> {
    let s = sorted(v);
    (!s.is_empty()).then(|| s[((s.len() - 1) as f64 * p).round() as usize])
}

fn mib(path: &Path) -> Option<f64> {
    std::fs::metadata(path).ok().map(|m| m.len() as f64 / (1024.0 * 1024.0))
}

/// One run of the app: first paint, sign-in, search, scroll; then its idle memory.
async fn run_app(binary: &Path, sandbox: &str, run: usize, out: &mut Samples) {
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
    let ms = app.poll(RESULT, Duration::from_secs(30)).await.and_then(|v| v.as_f64()).expect("signed in");
    out.sign_in_ms.push(ms);
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

    // Sign out, so that the next run starts signed out too (the keystore outlives the profile).
    app.click("[data-testid=nav-account]").await;
    app.click("[data-testid=sign-out]").await;
    app.wait_attribute("[data-testid=auth-state]", "data-state", "signed_out").await;
    app.quit().await;

    out.memory_mib.push(idle_memory_mib(binary, &profile, Duration::from_secs(8)).await);
}

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

fn cell(v: Option<f64>, digits: usize) -> String {
    v.map(|v| format!("{v:.digits$}")).unwrap_or_else(|| "–".into())
}

fn ratio(app: Option<f64>, floor: Option<f64>) -> String {
    match (app, floor) {
        (Some(a), Some(f)) if f > 0.0 => format!("{:.2}×", a / f),
        _ => "–".into(),
    }
}

fn table(args: &Args, floor: &Samples, apps: &[(String, Samples)]) -> String {
    let mut t = String::new();
    let names: Vec<&str> = apps.iter().map(|(n, _)| n.as_str()).collect();
    t += &format!("| Measure (median of {} runs) | floor |", args.runs);
    for n in &names {
        t += &format!(" {n} | {n} / floor |");
    }
    t += " target |\n|---|---:|";
    for _ in &names {
        t += "---:|---:|";
    }
    t += "---|\n";
    type Row<'a> = (&'a str, fn(&Samples) -> Option<f64>, usize, bool, &'a str);
    let rows: Vec<Row> = vec![
        (".deb size (MiB)", |s: &Samples| s.deb_mib, 2, true, "≤ 1.3× floor"),
        ("binary size (MiB)", |s: &Samples| Some(s.binary_mib), 2, true, ""),
        (
            "idle memory, PSS of all processes (MiB)",
            |s: &Samples| median(&s.memory_mib),
            1,
            true,
            "≤ 1.15× floor",
        ),
        (
            "launch → first page painted, no cache (first run) (floor: DOMContentLoaded) (ms)",
            |s: &Samples| median(&s.first_paint_ms),
            0,
            true,
            "≤ 1.5× floor",
        ),
        (
            "… the same, slowest run (ms)",
            |s: &Samples| s.first_paint_ms.iter().copied().reduce(f64::max),
            0,
            true,
            "≤ 1.5× floor",
        ),
        ("launch → first page, warm cache (ms)", |s: &Samples| median(&s.warm_ms), 0, true, "≤ 1.2× floor"),
        (
            "launch → first page, warm cache, keystore not answering (ms)",
            |s: &Samples| median(&s.frozen_keystore_ms),
            0,
            true,
            "same as warm",
        ),
        (
            "launch → first page, warm cache, offline (ms)",
            |s: &Samples| median(&s.offline_ms),
            0,
            true,
            "same as warm",
        ),
        ("launch → DOMContentLoaded (ms)", |s: &Samples| median(&s.dom_ready_ms), 0, true, ""),
        ("sign-in: click → signed in (ms)", |s: &Samples| median(&s.sign_in_ms), 0, false, "≤ 300 ms"),
        (
            "search typed → results painted, incl. 250 ms debounce (ms)",
            |s: &Samples| median(&s.search_ms),
            0,
            false,
            "",
        ),
        (
            "scroll whole list: time to the end, all rows loaded (ms)",
            |s: &Samples| median(&s.scroll_ms),
            0,
            false,
            "",
        ),
        (
            "scroll: frames over 16.7 ms (%)",
            |s: &Samples| {
                (!s.frames.is_empty()).then(|| {
                    100.0 * s.frames.iter().filter(|f| **f > 16.7).count() as f64 / s.frames.len() as f64
                })
            },
            1,
            false,
            "",
        ),
        ("scroll: frame time p95 (ms)", |s: &Samples| percentile(&s.frames, 0.95), 1, false, ""),
    ];
    for (label, get, digits, compare, target) in rows {
        // The warm-cache rows have no floor run of their own: they are compared with the floor's first
        // paint (its DOMContentLoaded), as the no-cache row is.
        let f = get(floor).or_else(|| compare.then(|| median(&floor.first_paint_ms)).flatten());
        t += &format!("| {label} | {} |", if compare { cell(f, digits) } else { "–".into() });
        for (_, s) in apps {
            let a = get(s);
            t += &format!(" {} | {} |", cell(a, digits), if compare { ratio(a, f) } else { "–".into() });
        }
        t += &format!(" {target} |\n");
    }
    let frames: usize = apps.first().map(|(_, s)| s.frames.len()).unwrap_or(0);
    t += &format!(
        "\n{} skills; {} scroll frames per variant in all; one viewport per frame.\n",
        args.skills, frames
    );
    t
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
            run_app(path, &base, run, &mut apps[i].1).await;
            run_warm(path, run, &mut apps[i].1).await;
        }
    }
    let text = table(&args, &floor, &apps);
    println!("{text}");
    if let Some(out) = &args.out {
        std::fs::write(out, &text).expect("the table is written");
    }
}
