//! Signed updates, through the maintained updater (`tauri-plugin-updater`): a check in the background
//! at start and then daily (automatic checks on in packages, off in development builds), or when the
//! user asks; the window is told by the `update` event and shows the offer; the user installs it,
//! skips it or leaves it for later. The library downloads the artifact and verifies its minisign
//! signature with the public key built into the app, bound to the announced version
//! (`requireSignedVersion`), before anything is installed; this module adds the rules in
//! [`policy`]: only a greater version, a feed and downloads on HTTPS (plain HTTP only on this
//! computer), the app's own HTTP stack (trust store, proxy, redirects that stay on HTTPS), an install
//! kind that the app may replace (a package of its own; not a development build, not one a package
//! manager updates).

pub mod policy;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use semver::Version;
use serde::Serialize;
use tauri::{AppHandle, Manager};
use tauri_plugin_updater::UpdaterExt;
use time::format_description::well_known::Rfc3339;
use ts_rs::TS;
use url::Url;

use atom_core::contract::limits;
use atom_core::http::download::{self, Bounds, DownloadError};

use crate::state::{Shell, UpdateSettings};
use atom_core::{ErrorCode, ErrorInfo};
use atom_desktop::outbox::Event;
use atom_desktop::progress::Progress;
use policy::{InstallKind, Offer};

/// Where an update check or install stands, as the window's update notice shows it (its event: `update`).
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UpdateStatus {
    /// Nothing checked yet in this run.
    Idle,
    Checking,
    UpToDate,
    Available {
        offer: Offer,
    },
    Downloading {
        offer: Offer,
        progress: Progress,
    },
    /// Verified, and being installed (the system may ask for an administrator's password).
    Installing {
        offer: Offer,
    },
    Restarting {
        offer: Offer,
    },
    /// The last check or install failed; `offer` is still there to try again when it was an install.
    Failed {
        offer: Option<Offer>,
        problem: ErrorInfo,
    },
    /// Someone else updates this install; the check was not made.
    Managed {
        by: String,
    },
    /// This build checks only when a feed is named (`ATOM_UPDATE_FEED`): development builds.
    Unavailable {
        reason: String,
    },
}

impl Event for UpdateStatus {
    const NAME: &'static str = "update";
}

/// The updater's part of `app_info`.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct UpdateInfo {
    /// The version running (the package's).
    pub version: String,
    pub kind: InstallKind,
    /// Automatic checks.
    pub automatic: bool,
    pub status: UpdateStatus,
    /// The version skipped by the user, not offered again.
    pub skipped: Option<String>,
    /// Set after an update until the user closes the notice: the version it came from.
    pub updated_from: Option<String>,
}

pub struct Updates {
    handle: AppHandle,
    kind: InstallKind,
    current: Version,
    /// The feed (validated), or why there is none.
    feed: Result<Url, String>,
    status: parking_lot::Mutex<UpdateStatus>,
    /// The release of the last check, ready to download.
    pending: parking_lot::Mutex<Option<tauri_plugin_updater::Update>>,
    /// One check or install at a time.
    busy: tokio::sync::Mutex<()>,
    /// Automatic checks turned on or off, or the status changed.
    wake: tokio::sync::Notify,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The feed this build reads: `ATOM_UPDATE_FEED`, else the one in the app's configuration
/// (`plugins.updater.endpoints`); HTTPS only, or plain HTTP on this computer.
///
/// Why a release build honours `ATOM_UPDATE_FEED`: a company that mirrors the project's releases (no
/// way out to GitHub from its network) points its installs at the mirror, and the installed-package
/// test points the installed app at its own feed. It cannot make the app install anything the project
/// did not sign: every package is verified against the public key built into the app (which only a
/// development build lets a variable replace), bound to the announced version, and only a greater
/// version is installed. Who can set the app's environment can already run code as the user.
fn feed_url(handle: &AppHandle) -> Result<Url, String> {
    let named = std::env::var("ATOM_UPDATE_FEED").ok().filter(|s| !s.is_empty());
    let configured =
        || handle.config().plugins.0.get("updater")?.get("endpoints")?.get(0)?.as_str().map(str::to_string);
    let Some(text) = named.or_else(configured) else {
        return Err("This build names no update feed.".into());
    };
    let url = Url::parse(&text).map_err(|e| format!("The update feed's address is not valid ({e})."))?;
    if !policy::feed_allowed(&url) {
        return Err("The update feed must be on HTTPS.".into());
    }
    Ok(url)
}

impl Updates {
    pub fn new(handle: AppHandle) -> Updates {
        let kind = policy::detect(&policy::this_install());
        let current = handle.package_info().version.clone();
        let feed = feed_url(&handle);
        let status = match (&kind, &feed) {
            (InstallKind::Managed { by }, _) => UpdateStatus::Managed { by: by.clone() },
            (InstallKind::Development, Err(_)) => UpdateStatus::Unavailable {
                reason: "Development builds check for updates only when ATOM_UPDATE_FEED names a feed."
                    .into(),
            },
            (_, Err(reason)) => UpdateStatus::Unavailable { reason: reason.clone() },
            _ => UpdateStatus::Idle,
        };
        Updates {
            handle,
            kind,
            current,
            feed,
            status: parking_lot::Mutex::new(status),
            pending: parking_lot::Mutex::new(None),
            busy: tokio::sync::Mutex::new(()),
            wake: tokio::sync::Notify::new(),
        }
    }

    fn shell(&self) -> tauri::State<'_, Shell> {
        self.handle.state::<Shell>()
    }

    fn set(&self, status: UpdateStatus) {
        *self.status.lock() = status.clone();
        self.shell().outbox().push(status);
        // The automatic checks wait while an offer is open or a check runs: they look again.
        self.wake.notify_waiters();
    }

    /// Sets the status and answers with it.
    fn settle(&self, status: UpdateStatus) -> UpdateStatus {
        self.set(status.clone());
        status
    }

    /// Whether automatic checks are on: the user's choice, else the install's default.
    fn automatic(&self, saved: &UpdateSettings) -> bool {
        saved.automatic.unwrap_or(self.kind.checks_by_default())
    }

    pub fn info(&self) -> UpdateInfo {
        let saved = self.shell().settings.updates();
        UpdateInfo {
            version: self.current.to_string(),
            kind: self.kind.clone(),
            automatic: self.automatic(&saved),
            status: self.status.lock().clone(),
            skipped: saved.skipped,
            updated_from: saved.updated_from,
        }
    }

    /// At start: notes an update that was installed since the last run (for the window's notice), then
    /// runs the automatic checks, the first once the window is up (never on the first paint's path).
    pub fn start(self: &Arc<Self>) {
        let current = self.current.to_string();
        tracing::info!("ATOM Marketplace {current} starting ({:?})", self.kind);
        self.shell().settings.change_updates(|saved| {
            let before = saved.last_version.as_deref().and_then(|v| Version::parse(v).ok());
            if before.as_ref().is_some_and(|before| before < &self.current) {
                saved.updated_from = saved.last_version.clone();
            }
            saved.last_version = Some(current);
        });
        let this = self.clone();
        tauri::async_runtime::spawn(async move { this.automatic_checks().await });
    }

    async fn automatic_checks(self: Arc<Self>) {
        self.shell().window_is_up().await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        loop {
            let saved = self.shell().settings.updates();
            if !self.automatic(&saved)
                || !matches!(
                    self.status.lock().clone(),
                    UpdateStatus::Idle | UpdateStatus::UpToDate | UpdateStatus::Failed { .. }
                )
            {
                self.wake.notified().await;
                continue;
            }
            let now = now_secs();
            let due = policy::next_check(now, saved.last_check);
            if due > now {
                let _ = tokio::time::timeout(Duration::from_secs(due - now), self.wake.notified()).await;
                continue;
            }
            if !*self.shell().account().await.catalogue().connectivity().borrow() {
                // Never when offline: look again in a while (the check itself would say so too).
                let _ = tokio::time::timeout(Duration::from_secs(300), self.wake.notified()).await;
                continue;
            }
            // Saved before the check: a check that takes the app down (it was killed for its memory,
            // say) is not run again at the next start.
            self.shell().settings.change_updates(|saved| saved.last_check = Some(now));
            let status = self.check(true).await;
            if let UpdateStatus::Failed { ref problem, .. } = status {
                if problem.code == ErrorCode::UpdateOffline {
                    // Could not reach the feed: again in an hour, not a day.
                    let retry =
                        now.saturating_sub(policy::CHECK_EVERY.as_secs()) + policy::RETRY_AFTER.as_secs();
                    self.shell().settings.change_updates(|saved| saved.last_check = Some(retry));
                }
            }
        }
    }

    /// The plugin, for what it does with a release the app has read: choose this install's package,
    /// apply the version rule, verify the signature and install. It makes no request of its own: the
    /// app reads the feed and the package (`download.rs`), so no endpoint of plain HTTP ever reaches
    /// it, and the configuration needs no `dangerousInsecureTransportProtocol`.
    fn updater(&self) -> Result<tauri_plugin_updater::Updater, ErrorInfo> {
        let mut builder = self
            .handle
            .updater_builder()
            .version_comparator(|current, release| policy::is_update(&current, &release.version));
        // Development builds (the tests) may verify with a throwaway key; packages only with theirs.
        if cfg!(debug_assertions) {
            if let Some(key) = std::env::var("ATOM_UPDATE_PUBKEY").ok().filter(|k| !k.is_empty()) {
                builder = builder.pubkey(key);
            }
        }
        builder.build().map_err(|e| policy::describe(&e))
    }

    /// The app's own client for the feed and the package: the rules the plugin's gets (user agent,
    /// proxy, trust store, redirects that stay on HTTPS), reading within bounds (`download.rs`).
    fn client(feed: &Url) -> Result<reqwest::Client, ErrorInfo> {
        let direct = atom_core::env::is_loopback(feed);
        atom_core::http::configure_for_downloads(reqwest::Client::builder(), direct).build().map_err(|e| {
            ErrorInfo::new(ErrorCode::UpdateFeed, format!("The update feed cannot be used ({e})."))
        })
    }

    /// Asks the feed for a newer version. `automatic`: a skipped version stays quiet. The feed is read
    /// by the app (at most 4 MiB, within a minute) and handed to the plugin, which reads the release
    /// from it as its own check would.
    pub async fn check(&self, automatic: bool) -> UpdateStatus {
        let now = self.status.lock().clone();
        if let UpdateStatus::Managed { .. } | UpdateStatus::Unavailable { .. } = now {
            return now;
        }
        // One check at a time. The user's own waits for an automatic one in progress and then asks
        // itself: the automatic one keeps a skipped version quiet, and its answer must not stand for the
        // user's (it did, when "automatic" was switched on just before "Check for updates").
        let _one = if automatic {
            let Ok(one) = self.busy.try_lock() else { return self.status.lock().clone() };
            one
        } else {
            self.busy.lock().await
        };
        let Ok(feed) = self.feed.clone() else { return self.status.lock().clone() };
        self.set(UpdateStatus::Checking);
        let status = match self.read_feed(&feed).await {
            Err(problem) => UpdateStatus::Failed { offer: None, problem },
            Ok(None) => UpdateStatus::UpToDate,
            Ok(Some(update)) if !policy::download_allowed(&feed, &update.download_url) => {
                UpdateStatus::Failed {
                    offer: None,
                    problem: ErrorInfo::new(
                        ErrorCode::UpdateRefused,
                        "The update was refused: its download is not on HTTPS.",
                    )
                    .with_hint("Nothing was installed. The publisher's feed needs fixing."),
                }
            }
            Ok(Some(update)) => {
                let date = update.date.and_then(|d| d.format(&Rfc3339).ok());
                let offer =
                    Offer::new(&update.current_version, &update.version, update.body.as_deref(), date);
                let skipped = automatic
                    && self.shell().settings.updates().skipped.as_deref() == Some(update.version.as_str());
                *self.pending.lock() = Some(update);
                if skipped {
                    UpdateStatus::UpToDate
                } else {
                    UpdateStatus::Available { offer }
                }
            }
        };
        self.settle(status)
    }

    /// The release the feed announces, if it is an update for this install.
    async fn read_feed(&self, feed: &Url) -> Result<Option<tauri_plugin_updater::Update>, ErrorInfo> {
        let updater = self.updater()?;
        let bounds = Bounds { max_bytes: limits::UPDATE_FEED_MAX, deadline: limits::UPDATE_FEED_DEADLINE };
        let body = download::fetch(&Self::client(feed)?, feed, bounds, |_, _| {}).await.map_err(|e| {
            tracing::warn!("update check: {e}");
            policy::describe_feed(&e)
        })?;
        let Some(body) = body else { return Ok(None) };
        let json: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| policy::describe(&tauri_plugin_updater::Error::ReleaseNotFound))?;
        updater.restore_update(json).map_err(|e| {
            tracing::warn!("update check: {e}");
            policy::describe_check(&e)
        })
    }

    /// Downloads the offered update, verifies it, installs it and restarts into it. A refusal leaves
    /// everything as it was and says why.
    pub async fn install(&self) -> UpdateStatus {
        let Ok(_one) = self.busy.try_lock() else { return self.status.lock().clone() };
        let Some(update) = self.pending.lock().clone() else {
            return self.status.lock().clone();
        };
        let offer = match self.status.lock().clone() {
            UpdateStatus::Available { offer } | UpdateStatus::Failed { offer: Some(offer), .. } => offer,
            other => return other,
        };
        let failed = |problem: ErrorInfo| UpdateStatus::Failed { offer: Some(offer.clone()), problem };
        let mut told = Progress::default();
        self.set(UpdateStatus::Downloading { offer: offer.clone(), progress: told });
        let bounds =
            Bounds { max_bytes: limits::UPDATE_PACKAGE_MAX, deadline: limits::UPDATE_PACKAGE_DEADLINE };
        let client = match self
            .feed
            .as_ref()
            .map_err(|e| ErrorInfo::new(ErrorCode::UpdateFeed, e.clone()))
            .and_then(Self::client)
        {
            Ok(client) => client,
            Err(problem) => return self.settle(failed(problem)),
        };
        let downloaded = download::fetch(&client, &update.download_url, bounds, |received, total| {
            let progress = Progress::new(received, total);
            if told.worth_telling(&progress) {
                told = progress;
                self.set(UpdateStatus::Downloading { offer: offer.clone(), progress });
            }
        })
        .await;
        let bytes = match downloaded {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return self.settle(failed(policy::describe_download(&DownloadError::Status(204)))),
            Err(e) => {
                tracing::warn!("update download: {e}");
                return self.settle(failed(policy::describe_download(&e)));
            }
        };
        // The signature, bound to the announced version, before anything else (`install` checks again).
        if let Err(e) = update.verify(&bytes) {
            tracing::warn!("update download: {e}");
            return self.settle(failed(policy::describe(&e)));
        }
        if !self.kind.can_install() {
            return self.settle(failed(ErrorInfo::new(ErrorCode::UpdateUnavailable, "The update downloaded and its signature verified, but a development build does not replace itself.").with_hint("Install the package to get updates.")));
        }
        self.set(UpdateStatus::Installing { offer: offer.clone() });
        // Said before the install: on Windows the installer takes over and the app exits inside it.
        let from = self.current.to_string();
        let mut previous = None;
        self.shell().settings.change_updates(|saved| previous = saved.updated_from.replace(from));
        let problem = match tauri::async_runtime::spawn_blocking(move || update.install(bytes)).await {
            Ok(Ok(())) => {
                self.set(UpdateStatus::Restarting { offer });
                // Give the window a moment to show it, then start the new version.
                tokio::time::sleep(Duration::from_millis(300)).await;
                self.handle.restart()
            }
            Ok(Err(e)) => {
                tracing::warn!("update install: {e}");
                policy::describe(&e)
            }
            Err(_) => ErrorInfo::new(ErrorCode::UpdateInstall, "The update could not be installed."),
        };
        self.shell().settings.change_updates(|saved| saved.updated_from = previous);
        self.settle(failed(problem))
    }

    /// The offered version is not offered again by the automatic checks.
    pub fn skip(&self, version: String) {
        self.shell().settings.change_updates(|saved| saved.skipped = Some(version));
        // (The lock is let go before `set` takes it again.)
        let offered = matches!(*self.status.lock(), UpdateStatus::Available { .. });
        if offered {
            self.set(UpdateStatus::UpToDate);
        }
    }

    pub fn set_automatic(&self, on: bool) {
        self.shell().settings.change_updates(|saved| saved.automatic = Some(on));
        self.wake.notify_waiters();
    }

    pub fn dismiss_updated(&self) {
        self.shell().settings.change_updates(|saved| saved.updated_from = None);
    }
}
