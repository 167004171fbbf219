//! The commands that do real work in the shell (the command list marks them `shell`): each takes the
//! `AppHandle`, then the command's arguments, in the list's order.

use atom_core::markdown::RenderedMarkdown;
use atom_core::{AuthState, RedirectTarget};
use tauri::{AppHandle, Manager};

use super::{AppInfo, Result, SignInCheck, SignInMethod, SignInStarted, SignOutResult};
use crate::error::ShellError;
use crate::links;
use crate::state::{EnvChoice, EnvironmentView, OpenedLink, Shell};
use crate::updates::{UpdateStatus, Updates};
use atom_desktop::doctor::{self, Finding, Verdict};
use atom_desktop::outbox::EventBatch;
use std::sync::Arc;

pub async fn app_info(handle: &AppHandle) -> Result<AppInfo> {
    let shell = handle.state::<Shell>();
    shell.window_up();
    let account = shell.account().await;
    let choice = shell.active().and_then(|a| shell.accounts.saved(&a.id)).map(|s| s.environment);
    Ok(AppInfo {
        version: handle.package_info().version.to_string(),
        environment: shell.servers.view(&account),
        choice,
        sandbox_url: shell.servers.sandbox_base_url().await,
        has_sandbox: crate::embedded::INCLUDED,
        pending_error: shell.sign_in.take_last_error(),
        keystore: shell.sign_in.keystore_status(),
        online: *account.catalogue().connectivity().borrow(),
        accounts: shell.accounts.views(),
        updates: handle.state::<Arc<Updates>>().info(),
    })
}

pub async fn check_for_updates(handle: &AppHandle) -> Result<UpdateStatus> {
    Ok(handle.state::<Arc<Updates>>().check(false).await)
}

pub async fn install_update(handle: &AppHandle) -> Result<UpdateStatus> {
    Ok(handle.state::<Arc<Updates>>().install().await)
}

pub async fn skip_update(handle: &AppHandle, version: String) -> Result<()> {
    handle.state::<Arc<Updates>>().skip(version);
    Ok(())
}

pub async fn set_automatic_updates(handle: &AppHandle, on: bool) -> Result<()> {
    handle.state::<Arc<Updates>>().set_automatic(on);
    Ok(())
}

pub async fn dismiss_updated(handle: &AppHandle) -> Result<()> {
    handle.state::<Arc<Updates>>().dismiss_updated();
    Ok(())
}

/// The app's events after number `after`, as soon as there is one (`outbox.rs`); `null`: none, at
/// once, with the latest number.
pub async fn next_events(handle: &AppHandle, after: Option<u64>) -> Result<EventBatch> {
    Ok(handle.state::<Shell>().outbox().after(after, atom_desktop::outbox::WAIT).await)
}

pub async fn sign_in_browser(
    handle: &AppHandle,
    account: String,
    method: SignInMethod,
) -> Result<SignInStarted> {
    let shell = handle.state::<Shell>();
    let account = shell.account_for(&account).await?;
    let target = match method {
        SignInMethod::DeepLink => {
            shell.sign_in.set_loopback(None);
            RedirectTarget::Scheme
        }
        SignInMethod::Loopback => {
            let h = handle.clone();
            let pending = account.clone();
            let listener = atom_desktop::loopback::listen(
                move |url| pending.is_pending_callback(url),
                move |url| {
                    tauri::async_runtime::spawn(async move { h.state::<Shell>().handle_callback(url).await });
                },
            )
            .await
            .map_err(|e| ShellError::Loopback(e.to_string()))?;
            let port = listener.port();
            shell.sign_in.set_loopback(Some(listener));
            RedirectTarget::Loopback { port }
        }
    };
    let url = account.begin_login(target);
    // Only the environment's own authorize page is ever opened.
    let safe = links::is_authorize_page(&url, &account.environment().authorize_url);
    // The opener is watched for a moment (did a browser start?), off the async workers.
    let opened = safe && {
        let (h, u) = (handle.clone(), url.clone());
        tauri::async_runtime::spawn_blocking(move || crate::platform::open_in_browser(&h, &u).is_ok())
            .await
            .unwrap_or(false)
    };
    Ok(SignInStarted { method, authorize_url: url.to_string(), opened })
}

pub async fn complete_sign_in(handle: &AppHandle, url: String) -> Result<AuthState> {
    let shell = handle.state::<Shell>();
    let account = shell.account_awaiting(&url).await;
    let result = account.complete_login(&url).await;
    // A stray or forged address leaves the sign-in (and its loopback listener) waiting.
    if account.pending_target().is_none() {
        shell.sign_in.set_loopback(None);
    }
    result?;
    Ok(account.current_state())
}

pub async fn cancel_sign_in(handle: &AppHandle, account: String) -> Result<()> {
    let shell = handle.state::<Shell>();
    if let Some(account) = shell.accounts.opened(&account) {
        account.cancel_login();
    }
    shell.sign_in.set_loopback(None);
    Ok(())
}

pub async fn add_account(handle: &AppHandle) -> Result<EnvironmentView> {
    Ok(handle.state::<Shell>().add_account().await?)
}

pub async fn switch_account(handle: &AppHandle, id: String) -> Result<EnvironmentView> {
    Ok(handle.state::<Shell>().activate(&id).await?)
}

pub async fn sign_out_account(handle: &AppHandle, id: String) -> Result<SignOutResult> {
    Ok(SignOutResult { warning: handle.state::<Shell>().sign_out_of(&id).await? })
}

pub async fn remove_account(handle: &AppHandle, id: String) -> Result<SignOutResult> {
    Ok(SignOutResult { warning: handle.state::<Shell>().remove_account(&id).await? })
}

pub async fn rename_account(handle: &AppHandle, id: String, name: String) -> Result<()> {
    Ok(handle.state::<Shell>().rename_account(&id, &name)?)
}

pub async fn sign_out_all(handle: &AppHandle) -> Result<SignOutResult> {
    Ok(SignOutResult { warning: handle.state::<Shell>().sign_out_all().await? })
}

pub async fn switch_environment(handle: &AppHandle, choice: EnvChoice) -> Result<EnvironmentView> {
    Ok(handle.state::<Shell>().switch(choice, true).await?)
}

/// Markdown from the marketplace (or the user's draft) as sanitised HTML. Rendering runs off the main
/// thread within a time budget: hostile input yields `html: None` (show the text as it is), never a
/// frozen window.
pub async fn render_markdown(_: &AppHandle, text: String) -> Result<RenderedMarkdown> {
    use atom_core::markdown::{cap_input, render_within, RENDER_BUDGET};
    let truncated = cap_input(&text).1;
    let work = tauri::async_runtime::spawn_blocking(move || render_within(&text, RENDER_BUDGET));
    // The renderer checks its budget as it goes; this is the backstop if a step overruns it.
    let backstop = RENDER_BUDGET + std::time::Duration::from_millis(500);
    match tokio::time::timeout(backstop, work).await {
        Ok(Ok(rendered)) => Ok(rendered),
        _ => Ok(RenderedMarkdown { html: None, truncated }),
    }
}

/// Opens a web page (a skill's repository or documentation, a link in a description) in the system
/// browser. Only http(s).
pub async fn open_external(handle: &AppHandle, url: String) -> Result<()> {
    let Some(web) = links::web_address(&url) else {
        return Err(ShellError::UnsupportedLink.into());
    };
    let handle = handle.clone();
    tauri::async_runtime::spawn_blocking(move || crate::platform::open_in_browser(&handle, &web))
        .await
        .unwrap_or_else(|e| Err(e.to_string()))
        .map_err(|e| ShellError::BrowserNotStarted(e).into())
}

pub async fn take_link(handle: &AppHandle) -> Result<Option<OpenedLink>> {
    Ok(handle.state::<Shell>().opened.take())
}

pub async fn skill_link(_handle: &AppHandle, id: String) -> Result<String> {
    Ok(atom_core::skill_link(&id)?)
}

pub async fn server_redirects(_: &AppHandle, settings: atom_core::CustomEnvironment) -> Result<Vec<String>> {
    Ok(atom_core::Environment::custom(&settings)?.redirect_uris())
}

/// How long the keystore check waits on a keystore that does not answer (an unlock prompt).
const DOCTOR_KEYSTORE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long the server is given to answer the doctor's request.
const DOCTOR_SERVER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The sign-in doctor's checks, side by side, off the window's thread: the link handler and a link's
/// round trip, the loopback fallback's, the keystore and the account's own entry in it, the way to the
/// window's server and its account (atom-desktop's `doctor`).
pub async fn check_sign_in(handle: &AppHandle) -> Result<SignInCheck> {
    Ok(told(handle, run_checks(handle).await))
}

/// "Register again": this app becomes the handler of its links for this user, then the checks run again.
/// A registration that fails is the first finding.
pub async fn register_link_handler(handle: &AppHandle) -> Result<SignInCheck> {
    let registered = crate::platform::register_scheme(handle);
    let mut findings = run_checks(handle).await;
    if let Err(e) = registered {
        let failed = Finding::new(
            "Register again",
            Verdict::Problem,
            format!("the link handler could not be written ({e})"),
        )
        .with_fix("Reinstall the app's package, which registers it for every user.");
        findings.insert(0, failed);
    }
    Ok(told(handle, findings))
}

async fn run_checks(handle: &AppHandle) -> Vec<Finding> {
    let shell = handle.state::<Shell>();
    let store = shell.servers.store();
    let account = shell.account().await;
    let keystore = doctor::keystore::check_within(store, DOCTOR_KEYSTORE_WAIT);
    let loopback = async { doctor::round_trip::loopback_finding(doctor::round_trip::loopback_trip().await) };
    // This account's own entry, read back as the next start reads it (its value dropped at once).
    let kept = async {
        let kept = match tokio::time::timeout(DOCTOR_KEYSTORE_WAIT, account.kept_sign_in()).await {
            Ok(kept) => kept,
            Err(_) => atom_core::KeptSignIn::Unreadable(atom_core::StoreError::Timeout(DOCTOR_KEYSTORE_WAIT)),
        };
        doctor::keystore::kept_finding(&kept, account.store_kind())
    };
    let (keystore, kept, (link, trip), loopback, network) =
        tokio::join!(keystore, kept, check_links(handle), loopback, check_network(&account));
    let quota = account.rate_limits().borrow().clone();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let account = doctor::account::finding(&account.current_state(), account.token_times(), &quota, now);
    let mut findings = vec![link, trip, loopback, keystore, kept];
    findings.extend(network);
    findings.push(account);
    findings
}

/// The link handler, then (when it is this app) a link sent through the desktop's opener and timed
/// back (`round_trip.rs`).
async fn check_links(handle: &AppHandle) -> (Finding, Finding) {
    use doctor::round_trip::{self, Trip};
    let link =
        tauri::async_runtime::spawn_blocking(crate::platform::check_link_handler).await.unwrap_or_else(|e| {
            Finding::new(doctor::LINK_HANDLER, Verdict::NotChecked, format!("the check stopped: {e}"))
        });
    if link.verdict == Verdict::Problem {
        return (link, round_trip::skipped());
    }
    let pings = &handle.state::<Shell>().pings;
    let nonce = round_trip::nonce();
    let Ok(Ok(url)) = atom_core::ping_link(&nonce).map(|l| url::Url::parse(&l)) else {
        return (link, round_trip::finding(Trip::OpenerFailed("no link could be made".into()), false));
    };
    let arrived = pings.expect(&nonce);
    let sent = std::time::Instant::now();
    let opener = handle.clone();
    let opened =
        tauri::async_runtime::spawn_blocking(move || crate::platform::hand_link_to_desktop(&opener, &url))
            .await;
    let trip = match opened {
        Ok(Err(why)) => Trip::OpenerFailed(why),
        Err(e) => Trip::OpenerFailed(e.to_string()),
        Ok(Ok(())) => {
            match tokio::time::timeout(round_trip::WAIT.saturating_sub(sent.elapsed()), arrived).await {
                Ok(Ok(at)) => Trip::Back(at.duration_since(sent)),
                _ => Trip::NotBack,
            }
        }
    };
    pings.forget(&nonce);
    (link, round_trip::finding(trip, crate::platform::CAN_REGISTER_LINKS))
}

/// The proxy, name lookup, answer, metadata and clock of the account's server.
async fn check_network(account: &atom_core::Account) -> Vec<Finding> {
    use atom_core::probe;
    let env = account.environment();
    let url = env.marketplace_base();
    let route = probe::proxy_route(&url);
    let (lookup, answer) = tokio::join!(probe::lookup(&url), probe::ask(env, DOCTOR_SERVER_WAIT));
    doctor::network::findings(&route, &lookup, &answer)
}

/// The findings with the report to copy.
fn told(handle: &AppHandle, findings: Vec<Finding>) -> SignInCheck {
    let app = format!("ATOM Marketplace {}", handle.package_info().version);
    let report = doctor::report::report_text(&app, &findings);
    SignInCheck { findings, report, can_register: crate::platform::CAN_REGISTER_LINKS }
}
