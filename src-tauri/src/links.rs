//! Where the app's window may go, and what opens in the system browser instead.
//!
//! - The window shows only the app's own pages: any other navigation (a link in a description or the
//!   submit preview, "Open Link" in a context menu, a script) is refused, and a web address among them
//!   is handed to the system browser; new windows are never opened.
//! - The system browser opens only web pages (http and https, no user name or password in them).
//! - Sign-in opens only the environment's own authorize page.

use tauri::{AppHandle, Manager};
use url::Url;

/// Whether `url` is one of the app's own pages: the bundled front end (`tauri://localhost` on Linux and
/// macOS, `http(s)://tauri.localhost` on Windows) or, in development, the dev server's origin.
pub fn is_app_page(url: &Url, dev_server: Option<&Url>) -> bool {
    let bundled = match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    };
    bundled || dev_server.is_some_and(|dev| dev.origin() == url.origin())
}

/// A web address the system browser may open: http or https, a host, no credentials.
pub fn web_address(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none();
    ok.then_some(url)
}

/// Whether `url` is the environment's authorize page (the one page sign-in opens).
pub fn is_authorize_page(url: &Url, authorize: &Url) -> bool {
    matches!(url.scheme(), "https" | "http")
        && url.scheme() == authorize.scheme()
        && url.host_str() == authorize.host_str()
        && url.port_or_known_default() == authorize.port_or_known_default()
        && url.path() == authorize.path()
}

fn dev_server(handle: &AppHandle) -> Option<Url> {
    if cfg!(debug_assertions) {
        handle.config().build.dev_url.clone()
    } else {
        None
    }
}

/// The window's navigation guard: the app's own pages load; a web page opens in the system browser
/// instead; anything else is refused.
pub fn on_navigation(handle: &AppHandle, url: &Url) -> bool {
    if is_app_page(url, dev_server(handle).as_ref()) {
        return true;
    }
    tracing::info!(
        "kept the window on the app; {} goes to the system browser if it is a web page",
        url.scheme()
    );
    if let Some(web) = web_address(url.as_str()) {
        // Off the main thread: the opener is watched for a moment.
        let handle = handle.clone();
        std::thread::spawn(move || {
            if let Err(e) = crate::platform::open_in_browser(&handle, &web) {
                tracing::warn!("the system browser could not be started: {e}");
            }
        });
    }
    false
}

/// The window's new-window guard: never a second window; a web page opens in the system browser.
pub fn on_new_window(handle: &AppHandle, url: &Url) {
    on_navigation(handle, url);
}

/// The main window, built here rather than from the configuration alone, so that its guards are set
/// before it loads anything, and so that its page gets `boot` (the saved first screen, `boot.rs`) as it
/// loads.
pub fn build_main_window(app: &tauri::App, boot: Option<String>) -> tauri::Result<()> {
    let config = app.config().app.windows.iter().find(|w| w.label == "main").cloned().unwrap_or_default();
    let (nav, new_window) = (app.handle().clone(), app.handle().clone());
    let mut builder = tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?;
    if let Some(script) = boot {
        builder = builder.initialization_script(script);
    }
    builder
        .on_navigation(move |url| on_navigation(&nav, url))
        .on_new_window(move |url, _features| {
            on_new_window(&new_window, &url);
            tauri::webview::NewWindowResponse::Deny
        })
        .build()?;
    Ok(())
}

/// Brings the main window forward (a link arrived, or a second launch).
pub fn focus_main_window(handle: &AppHandle) {
    if let Some(window) = handle.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn only_the_apps_own_pages_stay_in_the_window() {
        let dev = url("http://localhost:5173");
        assert!(is_app_page(&url("tauri://localhost/"), None));
        assert!(is_app_page(&url("tauri://localhost/index.html#x"), None));
        assert!(is_app_page(&url("http://tauri.localhost/"), None));
        assert!(is_app_page(&url("http://localhost:5173/src/App.svelte"), Some(&dev)));
        for other in [
            "https://example.com/",
            "http://localhost:5173/",
            "tauri://evil.example/",
            "about:blank",
            "data:text/html,<h1>hi</h1>",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ] {
            assert!(!is_app_page(&url(other), None), "{other}");
        }
        assert!(!is_app_page(&url("http://localhost:5174/"), Some(&dev)), "another port is another origin");
    }

    #[test]
    fn the_browser_opens_only_web_pages() {
        assert!(web_address("https://docs.example.com/a?b#c").is_some());
        assert!(web_address(" http://example.com ").is_some());
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "mailto:a@example.com",
            "com.atomagentos.marketplace://oauth/callback?code=x",
            "https://user:pass@example.com/",
            "not a url",
            "",
        ] {
            assert!(web_address(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn sign_in_opens_only_the_authorize_page() {
        let authorize = url("https://atomagentos.com/oauth/authorize");
        assert!(is_authorize_page(&url("https://atomagentos.com/oauth/authorize?state=x"), &authorize));
        assert!(!is_authorize_page(&url("https://atomagentos.com/other"), &authorize));
        assert!(!is_authorize_page(&url("http://atomagentos.com/oauth/authorize"), &authorize));
        assert!(!is_authorize_page(&url("https://atomagentos.com:8443/oauth/authorize"), &authorize));
        assert!(!is_authorize_page(&url("https://evil.example/oauth/authorize"), &authorize));
    }
}
