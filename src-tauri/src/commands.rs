//! The command layer: thin wrappers that take the app state, call the core, and hand errors to the UI
//! as `{code, message, hint, fields}`. Their TypeScript twins are generated (see `bindings.rs`).

use atom_core::markdown::RenderedMarkdown;
use atom_core::{
    ApiKeyScope, AuthState, Category, ErrorInfo, Fetched, Freshness, RateLimitStatus, RateResult,
    RedirectTarget, Review, ReviewPage, ServerMetadata, SkillDetail, SkillPage, SkillQuery, Submission,
    SubmitResult,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};
use ts_rs::TS;

use crate::links;
use crate::outbox::EventBatch;
use crate::state::{App, EnvChoice, EnvironmentView, KeystoreStatus};

type Result<T> = std::result::Result<T, ErrorInfo>;

#[derive(Clone, Debug, Serialize, TS)]
pub struct AppInfo {
    pub version: String,
    pub environment: EnvironmentView,
    pub choice: Option<EnvChoice>,
    /// The embedded sandbox's address, when it runs.
    pub sandbox_url: Option<String>,
    /// Whether this build has the embedded sandbox (development builds; not the packages).
    pub has_sandbox: bool,
    pub auth: AuthState,
    /// A sign-in problem that happened before the window was listening (a cold start with a link).
    pub pending_error: Option<ErrorInfo>,
    /// Whether the OS keystore could be used at start-up.
    pub keystore: KeystoreStatus,
    /// Whether the server answered the last request (`false`: browsing the saved catalogue).
    pub online: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    /// The `com.atomagentos.marketplace://` link, opened by the OS.
    DeepLink,
    /// A one-shot listener on 127.0.0.1 (for when the link does not reach the app).
    Loopback,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct SignInStarted {
    pub method: SignInMethod,
    /// The page opened in the browser; shown so that the user can open it by hand.
    pub authorize_url: String,
    /// Whether the system browser could be started.
    pub opened: bool,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct SignOutResult {
    /// Signed out locally in any case; set when the server could not be told.
    pub warning: Option<ErrorInfo>,
}

#[tauri::command]
pub async fn app_info(app: State<'_, App>) -> Result<AppInfo> {
    app.window_up();
    let session = app.session().await;
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        environment: app.view(&session),
        choice: app.active_choice().await,
        sandbox_url: app.sandbox_base_url().await,
        has_sandbox: crate::embedded::INCLUDED,
        auth: session.current_state(),
        pending_error: app.take_last_error(),
        keystore: app.keystore_status(),
        online: *session.connectivity().borrow(),
    })
}

/// The app's events after number `after`, as soon as there is one (`outbox.rs`); `null`: none, at
/// once, with the latest number.
#[tauri::command]
pub async fn next_events(app: State<'_, App>, after: Option<u64>) -> Result<EventBatch> {
    Ok(app.outbox().after(after, crate::outbox::WAIT).await)
}

#[tauri::command]
pub async fn auth_state(app: State<'_, App>) -> Result<AuthState> {
    Ok(app.session().await.current_state())
}

#[tauri::command]
pub async fn sign_in_browser(
    handle: AppHandle,
    app: State<'_, App>,
    method: SignInMethod,
) -> Result<SignInStarted> {
    let session = app.session().await;
    let target = match method {
        SignInMethod::DeepLink => {
            app.set_loopback(None);
            RedirectTarget::Scheme
        }
        SignInMethod::Loopback => {
            let h = handle.clone();
            let pending = session.clone();
            let listener = crate::loopback::listen(
                move |url| pending.is_pending_callback(url),
                move |url| {
                    tauri::async_runtime::spawn(async move { h.state::<App>().handle_callback(url).await });
                },
            )
            .await
            .map_err(|e| atom_core::Error::Loopback(e.to_string()))?;
            let port = listener.port();
            app.set_loopback(Some(listener));
            RedirectTarget::Loopback { port }
        }
    };
    let url = session.begin_login(target);
    // Only the environment's own authorize page is ever opened.
    let safe = links::is_authorize_page(&url, &session.environment().authorize_url);
    // The opener is watched for a moment (did a browser start?), off the async workers.
    let opened = safe && {
        let (h, u) = (handle.clone(), url.clone());
        tauri::async_runtime::spawn_blocking(move || links::open_in_browser(&h, &u).is_ok())
            .await
            .unwrap_or(false)
    };
    Ok(SignInStarted { method, authorize_url: url.to_string(), opened })
}

#[tauri::command]
pub async fn complete_sign_in(app: State<'_, App>, url: String) -> Result<AuthState> {
    let session = app.session().await;
    let result = session.complete_login(&url).await;
    // A stray or forged address leaves the sign-in (and its loopback listener) waiting.
    if session.pending_target().is_none() {
        app.set_loopback(None);
    }
    result?;
    Ok(session.current_state())
}

#[tauri::command]
pub async fn cancel_sign_in(app: State<'_, App>) -> Result<()> {
    app.session().await.cancel_login();
    app.set_loopback(None);
    Ok(())
}

#[tauri::command]
pub async fn sign_in_api_key(app: State<'_, App>, key: String, scope: ApiKeyScope) -> Result<AuthState> {
    Ok(app.session().await.sign_in_with_api_key(&key, scope).await?)
}

#[tauri::command]
pub async fn sign_out(app: State<'_, App>) -> Result<SignOutResult> {
    let warning = app.session().await.sign_out().await.err().map(ErrorInfo::from);
    Ok(SignOutResult { warning })
}

#[tauri::command]
pub async fn switch_environment(app: State<'_, App>, choice: EnvChoice) -> Result<EnvironmentView> {
    app.switch(choice, true).await
}

#[tauri::command]
pub async fn rate_limit_status(app: State<'_, App>) -> Result<RateLimitStatus> {
    Ok(app.session().await.rate_limits().borrow().clone())
}

// The reads take a `freshness`: `cache_first` paints at once from the saved catalogue (then the UI asks
// `live` when the reply is `stale`); `live` asks the server, and falls back on the cache when it cannot
// be reached (`offline`).

#[tauri::command]
pub async fn list_skills(
    app: State<'_, App>,
    query: SkillQuery,
    freshness: Freshness,
) -> Result<Fetched<SkillPage>> {
    Ok(app.session().await.skills_with(&query, freshness).await?)
}

#[tauri::command]
pub async fn get_skill(
    app: State<'_, App>,
    id: String,
    freshness: Freshness,
) -> Result<Fetched<SkillDetail>> {
    Ok(app.session().await.skill_with(&id, freshness).await?)
}

#[tauri::command]
pub async fn list_categories(app: State<'_, App>, freshness: Freshness) -> Result<Fetched<Vec<Category>>> {
    Ok(app.session().await.categories_with(freshness).await?)
}

#[tauri::command]
pub async fn list_reviews(
    app: State<'_, App>,
    id: String,
    limit: u32,
    offset: u32,
    freshness: Freshness,
) -> Result<Fetched<ReviewPage>> {
    Ok(app.session().await.reviews_with(&id, limit, u64::from(offset), freshness).await?)
}

#[tauri::command]
pub async fn submit_skill(app: State<'_, App>, submission: Submission) -> Result<SubmitResult> {
    Ok(app.session().await.submit(&submission).await?)
}

#[tauri::command]
pub async fn rate_skill(
    app: State<'_, App>,
    id: String,
    rating: u8,
    review: Option<String>,
) -> Result<RateResult> {
    Ok(app.session().await.rate(&id, rating, review.as_deref()).await?)
}

#[tauri::command]
pub async fn post_review(app: State<'_, App>, id: String, rating: u8, review: String) -> Result<Review> {
    Ok(app.session().await.post_review(&id, rating, &review).await?)
}

/// Markdown from the marketplace (or the user's draft) as sanitised HTML. Rendering runs off the main
/// thread within a time budget: hostile input yields `html: None` (show the text as it is), never a
/// frozen window.
#[tauri::command]
pub async fn render_markdown(text: String) -> Result<RenderedMarkdown> {
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

/// Reads a server's OAuth metadata from its address (RFC 8414, then OpenID Connect discovery), for the
/// custom-server form to fill in its endpoints.
#[tauri::command]
pub async fn discover_server(address: String) -> Result<ServerMetadata> {
    Ok(atom_core::discover(&address).await?)
}

/// Opens a web page (a skill's repository or documentation, a link in a description) in the system
/// browser. Only http(s).
#[tauri::command]
pub async fn open_external(handle: AppHandle, url: String) -> Result<()> {
    let Some(web) = links::web_address(&url) else {
        return Err(atom_core::Error::UnsupportedLink.into());
    };
    tauri::async_runtime::spawn_blocking(move || links::open_in_browser(&handle, &web))
        .await
        .unwrap_or_else(|e| Err(e.to_string()))
        .map_err(|e| atom_core::Error::BrowserNotStarted(e).into())
}
