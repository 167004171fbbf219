//! The benchmark's samples and the table it prints: medians, ranges and ratios against the floor.

#[derive(Default)]
pub(crate) struct Samples {
    pub(crate) deb_mib: Option<f64>,
    pub(crate) binary_mib: f64,
    pub(crate) memory_mib: Vec<f64>,
    pub(crate) first_paint_ms: Vec<f64>,
    pub(crate) dom_ready_ms: Vec<f64>,
    pub(crate) sign_in_ms: Vec<f64>,
    pub(crate) sign_in_open_ms: Vec<f64>,
    pub(crate) sign_in_browser_ms: Vec<f64>,
    pub(crate) sign_in_return_ms: Vec<f64>,
    pub(crate) rate_ms: Vec<f64>,
    pub(crate) rate_ipc: Vec<f64>,
    pub(crate) rate_http: Vec<f64>,
    pub(crate) switch_ms: Vec<f64>,
    pub(crate) link_ms: Vec<f64>,
    pub(crate) first_start_memory_mib: Vec<f64>,
    pub(crate) search_ms: Vec<f64>,
    pub(crate) frames: Vec<f64>,
    pub(crate) scroll_ms: Vec<f64>,
    pub(crate) warm_ms: Vec<f64>,
    pub(crate) frozen_keystore_ms: Vec<f64>,
    pub(crate) offline_ms: Vec<f64>,
}

pub(crate) fn sorted(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

pub(crate) fn median(v: &[f64]) -> Option<f64> {
    let s = sorted(v);
    let n = s.len();
    (n > 0).then(|| if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 })
}

pub(crate) fn percentile(v: &[f64], p: f64) -> Option<f64> {
    let s = sorted(v);
    (!s.is_empty()).then(|| s[((s.len() - 1) as f64 * p).round() as usize])
}

/// One frame at 60 Hz, in ms.
pub(crate) const FRAME_MS: f64 = 16.7;
/// A frame time read over this is over [`FRAME_MS`] for certain: the page's clock reads whole ms, so a
/// frame read 17 ms took between 16 and 18.
pub(crate) const LATE_FOR_CERTAIN_MS: f64 = 17.5;

/// The share of `frames` over `ms`, in %.
pub(crate) fn share(frames: &[f64], ms: f64) -> Option<f64> {
    (!frames.is_empty())
        .then(|| 100.0 * frames.iter().filter(|f| **f > ms).count() as f64 / frames.len() as f64)
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

/// How a row sums up its samples.
#[derive(Clone, Copy)]
enum Stat {
    /// The median, with the runs' range beside it.
    Median,
    /// The slowest run.
    Max,
    /// The share over one frame at 60 Hz (16.7 ms), in %, as read.
    OverFrame,
    /// The share over one frame for certain, in %: read at 18 ms or more. The page's clock reads whole
    /// milliseconds (WebKit rounds it), so a frame read 17 ms took between 16 and 18.
    LateForCertain,
    /// The 95th percentile.
    P95,
}

impl Stat {
    fn of(self, v: &[f64]) -> Option<f64> {
        match self {
            Stat::Median => median(v),
            Stat::Max => v.iter().copied().reduce(f64::max),
            Stat::OverFrame => share(v, FRAME_MS),
            Stat::LateForCertain => share(v, LATE_FOR_CERTAIN_MS),
            Stat::P95 => percentile(v, 0.95),
        }
    }

    /// The runs' range, for the medians of more than one run.
    fn spread(self, v: &[f64], digits: usize) -> String {
        let s = sorted(v);
        match (self, s.first(), s.last()) {
            (Stat::Median, Some(lo), Some(hi)) if s.len() > 1 => format!("{lo:.digits$}–{hi:.digits$}"),
            _ => "–".into(),
        }
    }
}

pub(crate) fn table(runs: usize, skills: usize, floor: &Samples, apps: &[(String, Samples)]) -> String {
    let mut t = String::new();
    let names: Vec<&str> = apps.iter().map(|(n, _)| n.as_str()).collect();
    t += &format!("| Measure ({} runs) | floor |", runs);
    for n in &names {
        t += &format!(" {n} | {n}: range of runs | {n} / floor |");
    }
    t += " target |\n|---|---:|";
    for _ in &names {
        t += "---:|---:|---:|";
    }
    t += "---|\n";
    type Get = fn(&Samples) -> Vec<f64>;
    // (label, samples, how summed up, digits, compared with the floor, target)
    type Row<'a> = (&'a str, Get, Stat, usize, bool, &'a str);
    use Stat::*;
    let rows: Vec<Row> = vec![
        (".deb size (MiB)", |s| s.deb_mib.into_iter().collect(), Median, 2, true, "guard: ≤ 1.5× floor"),
        ("binary size (MiB)", |s| vec![s.binary_mib], Median, 2, true, "guard: ≤ 1.5× floor"),
        (
            "idle memory, PSS of all processes (MiB)",
            |s| s.memory_mib.clone(),
            Median,
            1,
            true,
            "≤ 1.1× floor",
        ),
        (
            "idle memory, first start on a fresh profile (MiB)",
            |s| s.first_start_memory_mib.clone(),
            Median,
            1,
            true,
            "≤ 1.1× floor",
        ),
        (
            "launch → first page painted, no cache (first run) (floor: DOMContentLoaded) (ms)",
            |s| s.first_paint_ms.clone(),
            Median,
            0,
            true,
            "≤ 1.2× floor",
        ),
        ("… the same, slowest run (ms)", |s| s.first_paint_ms.clone(), Max, 0, true, ""),
        ("launch → first page, warm cache (ms)", |s| s.warm_ms.clone(), Median, 0, true, "≤ 1.1× floor"),
        (
            "launch → first page, warm cache, keystore not answering (ms)",
            |s| s.frozen_keystore_ms.clone(),
            Median,
            0,
            true,
            "same as warm",
        ),
        (
            "launch → first page, warm cache, offline (ms)",
            |s| s.offline_ms.clone(),
            Median,
            0,
            true,
            "same as warm",
        ),
        ("launch → DOMContentLoaded (ms)", |s| s.dom_ready_ms.clone(), Median, 0, true, ""),
        ("sign-in: click → signed in (ms)", |s| s.sign_in_ms.clone(), Median, 0, false, "≤ 150 ms"),
        (
            "… click → the browser started (the app starting the desktop's browser through GIO; the fake browser's shell start included) (ms)",
            |s| s.sign_in_open_ms.clone(),
            Median,
            0,
            false,
            "",
        ),
        (
            "… the browser's pages (the fake browser: curl, not the app) (ms)",
            |s| s.sign_in_browser_ms.clone(),
            Median,
            0,
            false,
            "",
        ),
        (
            "… link handed back → signed in painted (the desktop, the second process, the code exchange) (ms)",
            |s| s.sign_in_return_ms.clone(),
            Median,
            0,
            false,
            "",
        ),
        (
            "rate a skill: click → new average painted (ms)",
            |s| s.rate_ms.clone(),
            Median,
            0,
            false,
            "≤ 50 ms",
        ),
        ("rate a skill: IPC calls", |s| s.rate_ipc.clone(), Median, 0, false, "1"),
        ("rate a skill: HTTP requests to the server", |s| s.rate_http.clone(), Median, 0, false, "1"),
        (
            "switch account → its catalogue painted (ms)",
            |s| s.switch_ms.clone(),
            Median,
            0,
            false,
            "≤ 100 ms",
        ),
        ("link → skill page painted (second process) (ms)", |s| s.link_ms.clone(), Median, 0, false, ""),
        (
            "search typed → results painted, incl. 250 ms debounce (ms)",
            |s| s.search_ms.clone(),
            Median,
            0,
            false,
            "",
        ),
        (
            "scroll whole list: time to the end, all rows loaded (ms)",
            |s| s.scroll_ms.clone(),
            Median,
            0,
            false,
            "",
        ),
        ("scroll: frames over 16.7 ms, as read (%)", |s| s.frames.clone(), OverFrame, 1, false, "≤ 3 %"),
        (
            "scroll: frames over 16.7 ms for certain (read ≥ 18 ms: the page's clock has 1 ms steps) (%)",
            |s| s.frames.clone(),
            LateForCertain,
            1,
            false,
            "≤ 3 %",
        ),
        ("scroll: frame time p95 (ms)", |s| s.frames.clone(), P95, 1, false, ""),
    ];
    for (label, get, stat, digits, compare, target) in rows {
        // The warm-cache and first-start rows have no floor run of their own: they are compared with
        // the floor's first paint (its DOMContentLoaded) or its idle memory.
        let f = stat.of(&get(floor)).or_else(|| {
            compare.then(|| {
                if label.contains("memory") {
                    median(&floor.memory_mib)
                } else if label.contains("launch") {
                    median(&floor.first_paint_ms)
                } else {
                    // A size not measured (no `--deb`): nothing to compare with.
                    None
                }
            })?
        });
        t += &format!("| {label} | {} |", if compare { cell(f, digits) } else { "–".into() });
        for (_, s) in apps {
            let v = get(s);
            let a = stat.of(&v);
            let r = if compare { ratio(a, f) } else { "–".into() };
            t += &format!(" {} | {} | {r} |", cell(a, digits), stat.spread(&v, digits));
        }
        t += &format!(" {target} |\n");
    }
    // Each run's idle memory, for the first-start question (docs/benchmarks.md).
    for (name, s) in apps {
        let each = |v: &[f64]| v.iter().map(|m| format!("{m:.1}")).collect::<Vec<_>>().join(", ");
        t += &format!(
            "\n{name}: idle memory by run {} (first start: {}); the floor's {}.\n",
            each(&s.memory_mib),
            each(&s.first_start_memory_mib),
            each(&floor.memory_mib)
        );
    }
    let frames: usize = apps.first().map(|(_, s)| s.frames.len()).unwrap_or(0);
    t += &format!(
        "\n{} skills; {} scroll frames per variant in all; one viewport per frame.\n",
        skills, frames
    );
    t
}
