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

use crate::state::{events, Shell, UpdateSettings};
use policy::{InstallKind, Offer, Problem};

/// Where the window's update notice stands.
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
        #[ts(type = "number")]
        received: u64,
        #[ts(type = "number | null")]
        total: Option<u64>,
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
        problem: Problem,
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

/// The feed this build reads: `ATOM_UPDATE_FEED` (tests, a mirror), else the one in the app's
/// configuration (`plugins.updater.endpoints`); HTTPS only, or plain HTTP on this computer.
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
        self.shell().outbox().push(events::UPDATE, status);
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
            let status = self.check(true).await;
            let last = match status {
                UpdateStatus::Failed { ref problem, .. } if problem.kind == "offline" => {
                    now.saturating_sub(policy::CHECK_EVERY.as_secs()) + policy::RETRY_AFTER.as_secs()
                }
                _ => now,
            };
            self.shell().settings.change_updates(|saved| saved.last_check = Some(last));
        }
    }

    fn updater(&self, feed: &Url) -> Result<tauri_plugin_updater::Updater, Problem> {
        let direct = atom_core::env::is_loopback(feed);
        let mut builder = self
            .handle
            .updater_builder()
            .endpoints(vec![feed.clone()])
            .map_err(|e| Problem::new("feed", format!("The update feed cannot be used ({e})."), ""))?
            .version_comparator(|current, release| policy::is_update(&current, &release.version))
            .configure_client(move |client| atom_core::http::configure_for_downloads(client, direct));
        // Development builds (the tests) may verify with a throwaway key; packages only with theirs.
        if cfg!(debug_assertions) {
            if let Some(key) = std::env::var("ATOM_UPDATE_PUBKEY").ok().filter(|k| !k.is_empty()) {
                builder = builder.pubkey(key);
            }
        }
        builder.build().map_err(|e| policy::describe(&e))
    }

    /// Asks the feed for a newer version. `automatic`: a skipped version stays quiet.
    pub async fn check(&self, automatic: bool) -> UpdateStatus {
        let now = self.status.lock().clone();
        if let UpdateStatus::Managed { .. } | UpdateStatus::Unavailable { .. } = now {
            return now;
        }
        let Ok(_one) = self.busy.try_lock() else { return self.status.lock().clone() };
        let Ok(feed) = self.feed.clone() else { return self.status.lock().clone() };
        self.set(UpdateStatus::Checking);
        let status = match self.updater(&feed) {
            Err(problem) => UpdateStatus::Failed { offer: None, problem },
            Ok(updater) => match updater.check().await {
                Ok(None) => UpdateStatus::UpToDate,
                Ok(Some(update)) if !policy::feed_allowed(&update.download_url) => UpdateStatus::Failed {
                    offer: None,
                    problem: Problem::new(
                        "refused",
                        "The update was refused: its download is not on HTTPS.",
                        "Nothing was installed. The publisher's feed needs fixing.",
                    ),
                },
                Ok(Some(update)) => {
                    let date = update.date.and_then(|d| d.format(&Rfc3339).ok());
                    let offer =
                        Offer::new(&update.current_version, &update.version, update.body.as_deref(), date);
                    let skipped = automatic
                        && self.shell().settings.updates().skipped.as_deref()
                            == Some(update.version.as_str());
                    *self.pending.lock() = Some(update);
                    if skipped {
                        UpdateStatus::UpToDate
                    } else {
                        UpdateStatus::Available { offer }
                    }
                }
                Err(e) => {
                    tracing::warn!("update check: {e}");
                    UpdateStatus::Failed { offer: None, problem: policy::describe_check(&e) }
                }
            },
        };
        self.settle(status)
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
        let failed = |problem: Problem| UpdateStatus::Failed { offer: Some(offer.clone()), problem };
        self.set(UpdateStatus::Downloading { offer: offer.clone(), received: 0, total: None });
        let mut received = 0u64;
        let mut shown = 0u64;
        let downloaded = update
            .download(
                |chunk, total| {
                    received += chunk as u64;
                    // A step per 2 % (or per 256 KiB when the size is unknown).
                    let step = total.map_or(256 * 1024, |t| (t / 50).max(1));
                    if received - shown >= step {
                        shown = received;
                        self.set(UpdateStatus::Downloading { offer: offer.clone(), received, total });
                    }
                },
                || {},
            )
            .await;
        let bytes = match downloaded {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!("update download: {e}");
                return self.settle(failed(policy::describe(&e)));
            }
        };
        if !self.kind.can_install() {
            return self.settle(failed(Problem::new(
                "unavailable",
                "The update downloaded and its signature verified, but a development build does not replace itself.",
                "Install the package to get updates.",
            )));
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
            Err(_) => Problem::new("install", "The update could not be installed.", ""),
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
