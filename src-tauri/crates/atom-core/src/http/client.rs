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

/// The process's one HTTP client (a handle: clones share its connection pool). Building one loads the
/// OS's trust store (OpenSSL parses the whole CA bundle: about 100 ms of CPU on this 2-core machine),
/// so it is built once, and only when a request needs it: a session reads its saved catalogue without
/// it. A caller that arrives while another builds it waits for that one instead of loading the store a
/// second time. Blocks while it builds: async code calls [`client_for`]. It goes through the proxy
/// the environment, the system or the desktop names; never ask it for this computer ([`crate::env::is_loopback`]).
pub(crate) fn http_client() -> Result<reqwest::Client> {
    SHARED
        .get_or_init(|| {
            let mut builder = client_builder();
            if DESKTOP_PROXY.get().is_some() && !environment_names_a_proxy() {
                // Setting a proxy turns reqwest's own reading of the environment off: only when it
                // has nothing to read.
                builder = builder
                    .proxy(reqwest::Proxy::custom(|url| DESKTOP_PROXY.get().and_then(|lookup| lookup(url))));
            }
            builder.build().map_err(|e| format!("cannot set up HTTP: {e}"))
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
