//! The HTTP clients: the shared one (through the proxy the environment, the system or the desktop
//! names) and the direct one for this computer's own servers, each built once, on first need.

use std::sync::OnceLock;

use url::Url;

use crate::contract::limits;
use crate::env::is_loopback;
use crate::error::{Error, Result};

pub fn user_agent() -> String {
    format!(
        "ATOM-Marketplace-Desktop/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// The process's one HTTP client, once built (or the reason it could not be).
static SHARED: OnceLock<std::result::Result<reqwest::Client, String>> = OnceLock::new();

/// The proxy the desktop's own settings name for an address (`None`: go direct).
pub type ProxyLookup = Box<dyn Fn(&Url) -> Option<Url> + Send + Sync>;

static DESKTOP_PROXY: OnceLock<ProxyLookup> = OnceLock::new();

/// Where the platform keeps proxy settings that reqwest does not read itself (a Linux desktop's): asked
/// for each new connection. Set it before the first request; the environment's `HTTPS_PROXY`,
/// `HTTP_PROXY` or `ALL_PROXY`, when set, still wins, with its `NO_PROXY`. Returns false if one was
/// already set.
pub fn use_desktop_proxy(lookup: ProxyLookup) -> bool {
    DESKTOP_PROXY.set(lookup).is_ok()
}

/// What the desktop's settings say for `url`: `None` when the platform has no such settings here,
/// `Some(None)` when they say go direct.
pub(crate) fn desktop_proxy(url: &Url) -> Option<Option<Url>> {
    DESKTOP_PROXY.get().map(|lookup| lookup(url))
}

/// The environment variables that name a proxy for reqwest (`NO_PROXY` only makes exceptions).
pub const PROXY_VARIABLES: &[&str] =
    &["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/// Whether the environment names a proxy (reqwest then reads it, and `NO_PROXY`, itself).
fn environment_names_a_proxy() -> bool {
    PROXY_VARIABLES.iter().any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// What every client of the app has: its user agent, timeouts, and no redirects.
fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(user_agent())
        .connect_timeout(limits::CONNECT_TIMEOUT)
        .timeout(limits::REQUEST_TIMEOUT)
        // Credentials must never follow a redirect to another host.
        .redirect(reqwest::redirect::Policy::none())
}

/// Whether a download that started at `first` may go on to `next`: over HTTPS, or over plain HTTP to
/// this computer when it started there (a test's server, a mirror the user runs). A release host
/// elsewhere cannot redirect the app to this computer's ports.
pub fn stays_secure(first: &Url, next: &Url) -> bool {
    crate::env::may_reach(next, is_loopback(first))
}

/// The app's rules for a client that another library builds (the updater's, `src-tauri/src/updates`):
/// the app's user agent and connect timeout, its proxy (the environment's, the system's or the
/// desktop's; none when `direct`, for this computer), the OS's trust store (the same TLS stack), and
/// redirects that stay on HTTPS ([`stays_secure`]), at most [`limits::MAX_DOWNLOAD_REDIRECTS`]. No total
/// timeout: a download of megabytes on a slow line is not an error, a line that stalls for
/// [`limits::READ_TIMEOUT`] is.
pub fn configure_for_downloads(builder: reqwest::ClientBuilder, direct: bool) -> reqwest::ClientBuilder {
    let builder = builder
        .user_agent(user_agent())
        .connect_timeout(limits::CONNECT_TIMEOUT)
        .read_timeout(limits::READ_TIMEOUT)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= limits::MAX_DOWNLOAD_REDIRECTS {
                attempt.error("too many redirects")
            } else if stays_secure(attempt.previous().first().unwrap_or(attempt.url()), attempt.url()) {
                attempt.follow()
            } else {
                attempt.error("a redirect left HTTPS")
            }
        }));
    if direct {
        builder.no_proxy()
    } else {
        with_desktop_proxy(builder)
    }
}

/// The desktop's proxy setting on `builder`, when there is one and the environment names none: setting
/// a proxy turns reqwest's own reading of the environment off, so only when it has nothing to read.
fn with_desktop_proxy(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    if DESKTOP_PROXY.get().is_some() && !environment_names_a_proxy() {
        builder.proxy(reqwest::Proxy::custom(|url| DESKTOP_PROXY.get().and_then(|lookup| lookup(url))))
    } else {
        builder
    }
}

/// A client like the app's own for `url` (the same proxy rule and trust store) that also keeps the
/// server's certificate on each reply, for the sign-in doctor to name its issuer. Built for one check and
/// not kept; it blocks while it loads the trust store.
pub(crate) fn inspecting_client(url: &Url) -> Result<reqwest::Client> {
    let builder = client_builder().tls_info(true);
    let builder = if is_loopback(url) { builder.no_proxy() } else { with_desktop_proxy(builder) };
    builder.build().map_err(|e| Error::Config(format!("cannot set up HTTP: {e}")))
}

/// The process's one HTTP client (a handle: clones share its connection pool). Building one loads the
/// OS's trust store (OpenSSL parses the whole CA bundle: about 100 ms of CPU on this 2-core machine),
/// so it is built once, and only when a request needs it: a catalogue reads its saved pages without
/// it. A caller that arrives while another builds it waits for that one instead of loading the store a
/// second time. Blocks while it builds: async code calls [`client_for`]. It goes through the proxy
/// the environment, the system or the desktop names; never ask it for this computer ([`crate::env::is_loopback`]).
pub(crate) fn http_client() -> Result<reqwest::Client> {
    SHARED
        .get_or_init(|| {
            with_desktop_proxy(client_builder()).build().map_err(|e| format!("cannot set up HTTP: {e}"))
        })
        .clone()
        .map_err(Error::Config)
}

/// The client for this computer's own servers: never through a proxy.
static DIRECT: OnceLock<std::result::Result<reqwest::Client, String>> = OnceLock::new();

fn direct_client() -> Result<reqwest::Client> {
    DIRECT
        .get_or_init(|| client_builder().no_proxy().build().map_err(|e| format!("cannot set up HTTP: {e}")))
        .clone()
        .map_err(Error::Config)
}

/// The client for a request to `url`: direct for this computer, the shared one (and its proxy)
/// otherwise. The first build runs on a blocking thread, not on a runtime worker.
pub(crate) async fn client_for(url: &Url) -> Result<reqwest::Client> {
    let (built, build): (_, fn() -> Result<reqwest::Client>) =
        if is_loopback(url) { (&DIRECT, direct_client) } else { (&SHARED, http_client) };
    if let Some(client) = built.get() {
        return client.clone().map_err(Error::Config);
    }
    tokio::task::spawn_blocking(build)
        .await
        .unwrap_or_else(|_| Err(Error::Config("cannot set up HTTP".into())))
}

/// Whether the shared HTTP client (and with it the trust store) has been built in this process.
pub fn client_built() -> bool {
    SHARED.get().is_some()
}

/// Builds the shared HTTP client now (call it on a thread of its own at start-up, so that the first
/// request does not wait for the trust store).
pub fn prewarm() {
    let _ = http_client();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_stay_on_https_but_for_this_computer_when_they_start_there() {
        let url = |s: &str| Url::parse(s).unwrap();
        let (here, there) = (url("http://127.0.0.1:4000/feed"), url("https://releases.example.com/feed"));
        for ok in ["https://github.com/x", "http://127.0.0.1:4000/f", "http://[::1]/f", "http://localhost/f"]
        {
            assert!(stays_secure(&here, &url(ok)), "{ok} from this computer");
        }
        assert!(stays_secure(&there, &url("https://objects.example.net/app.deb")));
        for bad in [
            "http://github.com/x",
            "http://127.0.0.1.example.com/f",
            "ftp://127.0.0.1/f",
            "file:///etc/passwd",
        ] {
            assert!(!stays_secure(&here, &url(bad)), "{bad}");
        }
        // A release host elsewhere cannot send the app to this computer's ports.
        for local in ["http://127.0.0.1:631/", "http://localhost:9200/_all", "http://[::1]:8080/"] {
            assert!(!stays_secure(&there, &url(local)), "{local} from elsewhere");
        }
    }
}
