//! The update rules that need no window or network, each tested here: which versions are offered,
//! what the window is shown of a feed's release, where a feed may be, how the install was made (and so
//! whether the app may replace itself), when the next automatic check is due, and what each failure
//! tells the user.

use std::time::Duration;

use atom_core::markdown::{render_within, RenderedMarkdown, RENDER_BUDGET};
use atom_core::{ErrorCode, ErrorInfo};
use semver::Version;
use serde::Serialize;
use ts_rs::TS;
use url::Url;
use ErrorCode::*;

/// [chosen] Automatic checks: at most one per this interval, kept across restarts.
pub const CHECK_EVERY: Duration = Duration::from_secs(24 * 3600);
/// [chosen] After a check that could not reach the feed, the next automatic one waits this long.
pub const RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Whether `offered` is an update for `current`: a greater SemVer version, and a pre-release only for
/// an install that is itself on one (a stable install is never offered a beta). Equal or lower: never.
pub fn is_update(current: &Version, offered: &Version) -> bool {
    offered > current && (offered.pre.is_empty() || !current.pre.is_empty())
}

/// A release the feed offers, as the window shows it.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct Offer {
    pub version: String,
    /// The version running now.
    pub current: String,
    /// The release notes, rendered by the app's safe Markdown renderer (`html: None`: show `notes`).
    pub rendered: Option<RenderedMarkdown>,
    /// The notes as the feed wrote them (at most the renderer's limit), for when rendering gave up.
    pub notes: Option<String>,
    /// When it was published (RFC 3339), if the feed says.
    pub date: Option<String>,
}

impl Offer {
    pub fn new(current: &str, version: &str, notes: Option<&str>, date: Option<String>) -> Offer {
        let notes = notes.map(str::trim).filter(|n| !n.is_empty());
        Offer {
            version: version.to_string(),
            current: current.to_string(),
            rendered: notes.map(|n| render_within(n, RENDER_BUDGET)),
            notes: notes.map(|n| atom_core::markdown::cap_input(n).0.to_string()),
            date,
        }
    }
}

/// Whether the app may read a feed at `url` (HTTPS; plain HTTP only on this computer).
pub fn feed_allowed(url: &Url) -> bool {
    atom_core::http::stays_secure(url, url)
}

/// Whether a feed at `feed` may send the app to download `url`: HTTPS, or plain HTTP on this computer
/// for a feed on this computer (a test's). A feed elsewhere cannot point the app at this computer.
pub fn download_allowed(feed: &Url, url: &Url) -> bool {
    atom_core::http::stays_secure(feed, url)
}

/// What a feed that could not be read means to the user.
pub fn describe_feed(error: &atom_core::http::download::DownloadError) -> ErrorInfo {
    use atom_core::http::download::DownloadError as E;
    match error {
        E::Unreachable(_) => ErrorInfo::new(UpdateOffline, "The update server could not be reached."),
        E::TooLarge { max } => ErrorInfo::new(
            UpdateFeed,
            format!(
                "The update feed was refused: it is larger than any feed ({} MiB) and was not read.",
                max / (1024 * 1024)
            ),
        ),
        E::TooSlow(after) => ErrorInfo::new(
            UpdateFeed,
            format!("The update feed was not read: it was still arriving after {} s.", after.as_secs()),
        ),
        E::Redirected => {
            ErrorInfo::new(UpdateRefused, "The update feed was refused: it was redirected away from HTTPS.")
        }
        E::Status(_) | E::Broken(_) => ErrorInfo::new(UpdateFeed, "The update feed could not be read."),
    }
}

/// What a package that could not be downloaded means to the user.
pub fn describe_download(error: &atom_core::http::download::DownloadError) -> ErrorInfo {
    use atom_core::http::download::DownloadError as E;
    match error {
        E::Unreachable(_) => ErrorInfo::new(UpdateOffline, "The update server could not be reached."),
        E::TooLarge { max } => ErrorInfo::new(
            UpdateRefused,
            format!(
                "The update was refused: it is larger than any release of the app ({} MiB).",
                max / (1024 * 1024)
            ),
        ),
        E::Redirected => ErrorInfo::new(
            UpdateRefused,
            "The update was refused: the download was redirected away from HTTPS.",
        ),
        E::TooSlow(after) => ErrorInfo::new(
            UpdateBroken,
            format!("The download took longer than {} minutes and was stopped.", after.as_secs() / 60),
        )
        .with_hint("Nothing was installed. Try again when the connection is steadier."),
        E::Broken(_) => {
            ErrorInfo::new(UpdateBroken, "The download broke off before it was complete, and was refused.")
        }
        E::Status(_) => ErrorInfo::new(UpdateBroken, "The update could not be downloaded.")
            .with_hint("Nothing was installed. Try again later."),
    }
}

/// How this copy of the app was installed, and so who updates it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InstallKind {
    /// A development build (`cargo tauri dev`, the tests): checks only when a feed is named, and
    /// never replaces itself.
    Development,
    /// A package the app can replace itself from: `deb`, `rpm`, `appimage`, `msi`, `nsis`, `app`.
    Package { format: String },
    /// Updated by someone else: Flatpak, Snap, a distribution's repository, or a build not made by the
    /// project's packager.
    Managed { by: String },
}

impl InstallKind {
    pub fn can_install(&self) -> bool {
        matches!(self, InstallKind::Package { .. })
    }

    /// Automatic checks' default: on in packages, off in development builds.
    pub fn checks_by_default(&self) -> bool {
        self.can_install()
    }
}

/// What is known about the install, read by [`detect`] (kept apart so that each case is tested).
#[derive(Default)]
pub struct InstallFacts {
    pub debug_build: bool,
    /// The package format Tauri's bundler wrote into the binary (`deb`, `msi`, …), if any.
    pub bundle: Option<&'static str>,
    /// A distribution that builds the app names its package manager when it builds
    /// (`ATOM_UPDATES_MANAGED_BY`).
    pub managed_by: Option<&'static str>,
    pub flatpak: bool,
    pub snap: bool,
    /// An apt or dnf repository that names the app is configured: that package manager updates it.
    pub repository: Option<&'static str>,
}

pub fn detect(facts: &InstallFacts) -> InstallKind {
    let managed = |by: &str| InstallKind::Managed { by: by.to_string() };
    if facts.debug_build {
        return InstallKind::Development;
    }
    if let Some(by) = facts.managed_by {
        return managed(by);
    }
    if facts.flatpak {
        return managed("Flatpak");
    }
    if facts.snap {
        return managed("Snap");
    }
    match facts.bundle {
        Some(format @ ("deb" | "rpm")) => match facts.repository {
            Some(by) => managed(by),
            None => InstallKind::Package { format: format.to_string() },
        },
        Some(format) => InstallKind::Package { format: format.to_string() },
        None => managed("whoever built this copy"),
    }
}

/// The facts of this process.
pub fn this_install() -> InstallFacts {
    use tauri::utils::config::BundleType;
    let bundle = tauri::utils::platform::bundle_type().map(|b| match b {
        BundleType::Deb => "deb",
        BundleType::Rpm => "rpm",
        BundleType::AppImage => "appimage",
        BundleType::Msi => "msi",
        BundleType::Nsis => "nsis",
        BundleType::App | BundleType::Dmg => "app",
    });
    let names_us = |dir: &str| {
        std::fs::read_dir(dir).into_iter().flatten().flatten().any(|entry| {
            std::fs::read_to_string(entry.path()).is_ok_and(|text| text.contains("atom-marketplace"))
        })
    };
    let repository = match bundle {
        Some("deb") if names_us("/etc/apt/sources.list.d") => Some("apt"),
        Some("rpm") if names_us("/etc/yum.repos.d") => Some("dnf"),
        _ => None,
    };
    InstallFacts {
        debug_build: cfg!(debug_assertions),
        bundle,
        managed_by: option_env!("ATOM_UPDATES_MANAGED_BY"),
        flatpak: std::env::var_os("FLATPAK_ID").is_some() || std::path::Path::new("/.flatpak-info").exists(),
        snap: std::env::var_os("SNAP").is_some(),
        repository,
    }
}

/// When the next automatic check is due (seconds since the epoch): [`CHECK_EVERY`] after the last
/// one, now if there was none, or if the clock went back past it.
pub fn next_check(now: u64, last: Option<u64>) -> u64 {
    match last {
        Some(last) if last <= now => last.saturating_add(CHECK_EVERY.as_secs()),
        _ => now,
    }
}

const NOTHING_INSTALLED: &str = "Nothing was installed: this version keeps running as it was.";

/// What a failure of a check means: a reply that is not a feed is the feed's fault.
pub fn describe_check(error: &tauri_plugin_updater::Error) -> ErrorInfo {
    match error {
        tauri_plugin_updater::Error::Reqwest(e) if e.is_decode() || e.is_body() => {
            describe(&tauri_plugin_updater::Error::ReleaseNotFound)
        }
        other => describe(other),
    }
}

/// What a failure of the updater library means to the user.
pub fn describe(error: &tauri_plugin_updater::Error) -> ErrorInfo {
    use tauri_plugin_updater::Error as E;
    match error {
        E::Minisign(_) | E::SignedVersionMismatch { .. } | E::MissingSignedVersion | E::Base64(_) | E::SignatureUtf8(_) => {
            ErrorInfo::new(UpdateRefused, "The update was refused: its signature does not match this app's release key, so it is not from the app's publisher or was changed on the way.")
        }
        E::Reqwest(e) if e.is_body() || e.is_decode() => ErrorInfo::new(UpdateBroken, "The download broke off before it was complete, and was refused."),
        E::Reqwest(e) if e.is_redirect() => ErrorInfo::new(UpdateRefused, "The update was refused: the download was redirected away from HTTPS."),
        E::Reqwest(e) if e.is_connect() || e.is_timeout() => ErrorInfo::new(UpdateOffline, "The update server could not be reached."),
        E::Reqwest(_) | E::Network(_) => ErrorInfo::new(UpdateBroken, "The update could not be downloaded.").with_hint("Nothing was installed. Try again later."),
        E::Serialization(_) | E::ReleaseNotFound | E::Semver(_) | E::UrlParse(_) => ErrorInfo::new(UpdateFeed, "The update feed could not be read."),
        E::TargetNotFound(_) | E::TargetsNotFound(_) => ErrorInfo::new(UpdateNoPackage, "The latest release has no package for this kind of install."),
        E::InvalidUpdaterFormat | E::PackageInstallFailed | E::Io(_) | E::TempDirNotFound => ErrorInfo::new(UpdateInstall, format!("The update was downloaded and verified, but could not be installed ({error}).")),
        other => ErrorInfo::new(UpdateInstall, format!("The update could not be installed ({other}).")).with_hint(NOTHING_INSTALLED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn only_a_greater_version_is_an_update_and_betas_only_for_betas() {
        assert!(is_update(&v("0.1.0"), &v("0.1.1")));
        assert!(is_update(&v("0.9.9"), &v("0.10.0")), "numbers, not text");
        assert!(!is_update(&v("0.1.1"), &v("0.1.1")));
        assert!(!is_update(&v("0.1.1"), &v("0.1.0")));
        assert!(!is_update(&v("0.1.0"), &v("0.2.0-beta.1")), "a stable install is offered no beta");
        assert!(is_update(&v("0.2.0-beta.1"), &v("0.2.0-beta.2")));
        assert!(is_update(&v("0.2.0-beta.2"), &v("0.2.0")));
        assert!(!is_update(&v("0.2.0"), &v("0.2.0-rc.1")), "a pre-release of this version is older");
    }

    proptest! {
        #[test]
        fn an_update_is_never_lower_or_equal_and_never_both_ways(
            a in (0u64..5, 0u64..5, 0u64..5, proptest::option::of("[a-z]{1,3}\\.[0-9]")),
            b in (0u64..5, 0u64..5, 0u64..5, proptest::option::of("[a-z]{1,3}\\.[0-9]")),
        ) {
            let make = |(x, y, z, pre): (u64, u64, u64, Option<String>)| {
                Version::parse(&match pre { Some(p) => format!("{x}.{y}.{z}-{p}"), None => format!("{x}.{y}.{z}") }).unwrap()
            };
            let (a, b) = (make(a), make(b));
            if is_update(&a, &b) {
                prop_assert!(b > a);
                prop_assert!(!is_update(&b, &a));
            }
            prop_assert!(!is_update(&a, &a));
        }

        #[test]
        fn any_notes_become_safe_bounded_html(notes in "(?s).{0,300}") {
            let offer = Offer::new("0.1.0", "0.1.1", Some(&notes), None);
            if let Some(html) = offer.rendered.and_then(|r| r.html) {
                let lower = html.to_lowercase();
                prop_assert!(!lower.contains("<script") && !lower.contains("<img") && !lower.contains("href=\"javascript"));
            }
        }
    }

    #[test]
    fn hostile_notes_are_text_and_huge_notes_are_cut() {
        let hostile = "# 0.1.1\n\n**bold**\n\n<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))";
        let offer = Offer::new("0.1.0", "0.1.1", Some(hostile), Some("2026-12-05T12:00:00Z".into()));
        let html = offer.rendered.as_ref().and_then(|r| r.html.clone()).unwrap();
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(
            !html.contains("<script") && !html.contains("<img") && !html.contains("href=\"javascript"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"), "raw HTML shows as text: {html}");

        let huge = "word ".repeat(1_000_000);
        let offer = Offer::new("0.1.0", "0.1.1", Some(&huge), None);
        assert!(offer.rendered.as_ref().unwrap().truncated);
        assert_eq!(offer.notes.as_ref().unwrap().chars().count(), atom_core::markdown::MAX_INPUT_CHARS);

        for empty in [None, Some(""), Some("  \n")] {
            let offer = Offer::new("0.1.0", "0.1.1", empty, None);
            assert_eq!((offer.rendered, offer.notes), (None, None));
        }
    }

    #[test]
    fn the_install_decides_who_updates() {
        let facts = |f: fn(&mut InstallFacts)| {
            let mut facts = InstallFacts::default();
            f(&mut facts);
            detect(&facts)
        };
        let package = |f: &str| InstallKind::Package { format: f.into() };
        let managed = |by: &str| InstallKind::Managed { by: by.into() };
        assert_eq!(facts(|f| f.bundle = Some("deb")), package("deb"));
        assert_eq!(facts(|f| f.bundle = Some("nsis")), package("nsis"));
        assert_eq!(facts(|f| f.bundle = Some("appimage")), package("appimage"));
        assert_eq!(
            facts(|f| {
                f.bundle = Some("deb");
                f.repository = Some("apt");
            }),
            managed("apt")
        );
        assert_eq!(
            facts(|f| {
                f.bundle = Some("deb");
                f.flatpak = true;
            }),
            managed("Flatpak")
        );
        assert_eq!(facts(|f| f.snap = true), managed("Snap"));
        assert_eq!(
            facts(|f| {
                f.bundle = Some("rpm");
                f.managed_by = Some("Fedora's dnf");
            }),
            managed("Fedora's dnf")
        );
        assert_eq!(facts(|_| ()), managed("whoever built this copy"));
        assert_eq!(
            facts(|f| {
                f.bundle = Some("deb");
                f.debug_build = true;
            }),
            InstallKind::Development
        );
        assert!(package("deb").checks_by_default() && !InstallKind::Development.checks_by_default());
    }

    #[test]
    fn automatic_checks_are_a_day_apart_whatever_the_clock_did() {
        let day = CHECK_EVERY.as_secs();
        assert_eq!(next_check(1_000, None), 1_000);
        assert_eq!(next_check(1_000, Some(900)), 900 + day);
        assert_eq!(next_check(1_000 + day, Some(1_000)), 1_000 + day);
        assert_eq!(next_check(1_000, Some(5_000)), 1_000, "a last check in the future: the clock went back");
        assert_eq!(next_check(1, Some(u64::MAX - 1)), 1);
    }

    #[test]
    fn feeds_are_https_but_for_this_computer() {
        assert!(feed_allowed(
            &Url::parse("https://github.com/a/b/releases/latest/download/latest.json").unwrap()
        ));
        assert!(feed_allowed(&Url::parse("http://127.0.0.1:4000/updates/latest.json").unwrap()));
        assert!(!feed_allowed(&Url::parse("http://updates.example.com/latest.json").unwrap()));
        // A feed elsewhere cannot send the download to this computer's ports; one here can.
        let (here, there) = (
            Url::parse("http://127.0.0.1:4000/latest.json").unwrap(),
            Url::parse("https://releases.example.com/latest.json").unwrap(),
        );
        let local_package = Url::parse("http://127.0.0.1:631/app.deb").unwrap();
        assert!(download_allowed(&here, &local_package));
        assert!(!download_allowed(&there, &local_package));
        assert!(download_allowed(&there, &Url::parse("https://objects.example.net/app.deb").unwrap()));
    }

    /// Each way a bounded read can end says what it is: a feed too big or too slow is the server's
    /// fault; a package too big is refused for good (no "Try again"), one too slow or broken may be tried
    /// again.
    #[test]
    fn feeds_and_packages_that_do_not_fit_their_bounds_are_said() {
        use atom_core::http::download::DownloadError as E;
        let big = E::TooLarge { max: 4 * 1024 * 1024 };
        assert_eq!(describe_feed(&big).code, UpdateFeed);
        assert!(describe_feed(&big).message.contains("4 MiB"), "{}", describe_feed(&big).message);
        assert_eq!(describe_feed(&E::TooSlow(Duration::from_secs(60))).code, UpdateFeed);
        assert_eq!(describe_feed(&E::Unreachable("refused".into())).code, UpdateOffline);
        assert_eq!(describe_download(&E::TooLarge { max: 64 * 1024 * 1024 }).code, UpdateRefused);
        assert_eq!(describe_download(&E::TooSlow(Duration::from_secs(1800))).code, UpdateBroken);
        assert_eq!(describe_download(&E::Broken("eof".into())).code, UpdateBroken);
        assert_eq!(describe_download(&E::Redirected).code, UpdateRefused);
    }

    /// The feed as the updater reads it (its own parser, the one `check` runs), and what each way a
    /// reply can be wrong tells the user.
    #[test]
    fn feed_replies_are_read_by_the_updater_and_each_fault_is_said() {
        use tauri_plugin_updater::{Error, RemoteRelease};
        let read = |text: &str| -> Result<RemoteRelease, Error> {
            let value: serde_json::Value = serde_json::from_str(text)?;
            Ok(serde_json::from_value(value)?)
        };
        let platform = r#"{"url": "https://example.com/a.deb", "signature": "c2ln"}"#;
        let good =
            format!(r#"{{"version": "v0.2.0", "notes": "n", "platforms": {{"linux-x86_64": {platform}}}}}"#);
        let release = read(&good).unwrap();
        assert_eq!(release.version, Version::new(0, 2, 0), "a leading v is read");
        assert!(release.download_url("linux-x86_64").is_ok());
        // A platform the feed does not have.
        let missing = release.download_url("windows-x86_64").unwrap_err();
        assert_eq!(describe(&missing).code, UpdateNoPackage);
        assert!(describe(&Error::TargetsNotFound(vec!["linux-x86_64-deb".into()]))
            .message
            .contains("no package"));
        // Not JSON, not a release, not a version, no URL: the feed's fault, said as such.
        for bad in [
            "{\"version\": \"0.2.0\", \"platforms\": {tru".to_string(),
            "[]".to_string(),
            format!(r#"{{"version": "soon", "platforms": {{"linux-x86_64": {platform}}}}}"#),
            r#"{"version": "0.2.0", "platforms": {"linux-x86_64": {"signature": "c2ln"}}}"#.to_string(),
            r#"{"version": "0.2.0"}"#.to_string(),
        ] {
            let error = read(&bad).expect_err(&bad);
            assert_eq!(describe(&error).code, UpdateFeed, "{bad}: {error}");
        }
        // Huge notes are read (the offer bounds them, above).
        let huge = format!(
            r#"{{"version": "0.2.0", "notes": "{}", "url": "https://example.com/a.deb", "signature": "c2ln"}}"#,
            "x".repeat(2_000_000)
        );
        assert_eq!(read(&huge).unwrap().notes.map(|n| n.len()), Some(2_000_000));
        // A signature problem is a refusal, never "try again".
        let mismatch = Error::SignedVersionMismatch { signed: "0.1.0".into(), announced: "0.2.0".into() };
        assert_eq!(describe(&mismatch).code, UpdateRefused);
        assert_eq!(describe(&Error::MissingSignedVersion).code, UpdateRefused);
    }
}
