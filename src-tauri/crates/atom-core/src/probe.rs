//! What the sign-in doctor asks about the way to a server (issue 42): the proxy a request to it goes
//! through and where that setting came from, whether the server's name resolves, and one request's
//! answer: reached or why not (a certificate this computer does not trust, a proxy that refuses), how
//! long it took, the server's clock against this computer's, and the server's metadata when it names an
//! issuer, with the certificate it showed (the doctor names its issuer: a company's inspecting proxy
//! shows its own). Nothing here holds a credential: the request is anonymous.

use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use url::Url;

use crate::discovery::{check_metadata, metadata_urls};
use crate::env::is_loopback;
use crate::error::{Error, Result};
use crate::http::{desktop_proxy, inspecting_client, read_body, PROXY_VARIABLES};
use crate::Environment;

/// How long the name lookup may take before the doctor says it did not answer.
pub const LOOKUP_WAIT: Duration = Duration::from_secs(5);

/// Where the proxy setting in effect for a server came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxySource {
    /// An environment variable (`HTTPS_PROXY`, …), read by the HTTP library itself.
    Environment(&'static str),
    /// The desktop's network settings (GNOME's, on Linux).
    Desktop,
    /// Windows' or macOS' network settings, read by the HTTP library; which proxy they name for this
    /// server is not told.
    System,
    /// Nothing names a proxy, or the server is on this computer.
    None,
}

/// The proxy a request to a server goes through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyRoute {
    pub source: ProxySource,
    /// The proxy, without any user name or password in it; `None`: straight to the server (or, for
    /// [`ProxySource::System`], not known here).
    pub proxy: Option<Url>,
    /// `NO_PROXY` named this server, so the environment's proxy is not used for it.
    pub excepted: bool,
}

/// The environment variables that name a proxy for a URL of `scheme`, in the order the HTTP library
/// reads them.
fn proxy_variables(scheme: &str) -> &'static [&'static str] {
    if scheme == "https" {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    }
}

/// Whether a `NO_PROXY` list names `host`: `*`, the host itself, or a domain it is in (`example.com`
/// and `.example.com` both cover `api.example.com`).
pub fn no_proxy_names(list: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    list.split(',').map(|e| e.trim().trim_start_matches('.').trim_end_matches('.').to_ascii_lowercase()).any(
        |entry| {
            entry == "*"
                || (!entry.is_empty()
                    && (host == entry || host.strip_suffix(&entry).is_some_and(|rest| rest.ends_with('.'))))
        },
    )
}

/// The URL without its user name and password.
fn without_userinfo(mut url: Url) -> Url {
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// The proxy the app's requests to `url` go through, as the HTTP client decides it
/// (`http::client`): none for this computer; the environment's variables when one is set (unless
/// `NO_PROXY` names the host); else the desktop's settings where the platform has them, or the system's.
pub fn proxy_route(url: &Url) -> ProxyRoute {
    let route = |source, proxy| ProxyRoute { source, proxy, excepted: false };
    if is_loopback(url) {
        return route(ProxySource::None, None);
    }
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let named = proxy_variables(url.scheme()).iter().find_map(|name| var(name).map(|v| (*name, v)));
    let any_variable = PROXY_VARIABLES.iter().any(|name| var(name).is_some());
    if let Some((name, value)) = named {
        let host = url.host_str().unwrap_or_default();
        let excepted =
            ["NO_PROXY", "no_proxy"].iter().filter_map(|n| var(n)).any(|l| no_proxy_names(&l, host));
        let proxy = Url::parse(value.trim())
            .or_else(|_| Url::parse(&format!("http://{}", value.trim())))
            .ok()
            .map(without_userinfo);
        return ProxyRoute {
            source: ProxySource::Environment(name),
            proxy: proxy.filter(|_| !excepted),
            excepted,
        };
    }
    if any_variable {
        // A variable for the other scheme only: the library reads the environment, and goes direct.
        return route(ProxySource::None, None);
    }
    if let Some(proxy) = desktop_proxy(url) {
        return route(ProxySource::Desktop, proxy.map(without_userinfo));
    }
    if cfg!(any(windows, target_os = "macos")) {
        route(ProxySource::System, None)
    } else {
        route(ProxySource::None, None)
    }
}

/// A name lookup of a server's host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub host: String,
    pub took: Duration,
    /// The addresses, or what went wrong; `Ok` and empty for a host that is an address already.
    pub result: std::result::Result<Vec<IpAddr>, String>,
}

/// Looks `url`'s host up as the system's resolver does, for at most [`LOOKUP_WAIT`].
pub async fn lookup(url: &Url) -> Lookup {
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
    let started = Instant::now();
    let result = if host.parse::<IpAddr>().is_ok() {
        Ok(Vec::new())
    } else {
        let port = url.port_or_known_default().unwrap_or(443);
        match tokio::time::timeout(LOOKUP_WAIT, tokio::net::lookup_host((host.as_str(), port))).await {
            Ok(Ok(addrs)) => {
                let mut ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
                ips.dedup();
                if ips.is_empty() {
                    Err("no address".into())
                } else {
                    Ok(ips)
                }
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer in {} s", LOOKUP_WAIT.as_secs())),
        }
    };
    Lookup { host, took: started.elapsed(), result }
}

/// What one anonymous request to the server found.
#[derive(Debug)]
pub struct Answer {
    /// What was asked: the server's metadata when it names an issuer, else its list of categories.
    pub url: Url,
    pub took: Duration,
    pub result: Result<Answered>,
}

/// A server that answered.
#[derive(Debug)]
pub struct Answered {
    pub status: u16,
    /// The server's clock minus this computer's, in whole seconds, from its `Date` (at the middle of
    /// the request); `None` when it sent none.
    pub clock_skew_secs: Option<i64>,
    /// The metadata's check, when the server names an issuer: it names itself, with HTTPS endpoints.
    pub metadata: Option<Result<()>>,
    /// The certificate the server (or whatever answered in its name) showed, in DER; `None` over plain
    /// HTTP.
    pub certificate: Option<Vec<u8>>,
}

/// The clock skew a reply's `Date` shows: the server's time minus `midpoint`, in whole seconds.
pub fn clock_skew(date: &str, midpoint: SystemTime) -> Option<i64> {
    let at = httpdate::parse_http_date(date.trim()).ok()?;
    Some(match at.duration_since(midpoint) {
        Ok(ahead) => ahead.as_secs() as i64,
        Err(behind) => -(behind.duration().as_secs() as i64),
    })
}

/// Asks the server once, anonymously, the way the app's own requests go (its client, proxy and trust
/// store): its metadata when `env` names an issuer (RFC 8414's address), else its categories. A server
/// that has not answered within `wait` is a network error that says so.
pub async fn ask(env: &Environment, wait: Duration) -> Answer {
    let target = match &env.issuer {
        Some(issuer) => metadata_urls(issuer).map(|[(source, url), _]| (url, Some((issuer.clone(), source)))),
        None => env
            .marketplace_base()
            .join(crate::contract::paths::CATEGORIES)
            .map(|url| (url, None))
            .map_err(|e| Error::Config(e.to_string())),
    };
    let (url, issuer) = match target {
        Ok(t) => t,
        Err(e) => {
            return Answer { url: env.marketplace_base(), took: Duration::ZERO, result: Err(e) };
        }
    };
    // The request's time counts from when it is sent: the client's set-up (the trust store) is not the
    // server's.
    let mut started = Instant::now();
    let result = async {
        let for_url = url.clone();
        let http = tokio::task::spawn_blocking(move || inspecting_client(&for_url))
            .await
            .map_err(|e| Error::Config(format!("cannot set up HTTP: {e}")))??;
        started = Instant::now();
        let sent = SystemTime::now();
        let resp = http
            .get(url.clone())
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(Error::from_reqwest)?;
        let status = resp.status().as_u16();
        let midpoint = sent + started.elapsed() / 2;
        let clock_skew_secs = resp
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|d| clock_skew(d, midpoint));
        let certificate = resp
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|info| info.peer_certificate())
            .map(<[u8]>::to_vec);
        let body = read_body(resp).await?;
        let metadata = issuer.map(|(issuer, source)| {
            if status == 200 {
                check_metadata(&issuer, source, &body).map(|_| ())
            } else {
                Err(Error::Discovery(format!("the server publishes no OAuth metadata here (HTTP {status})")))
            }
        });
        Ok(Answered { status, clock_skew_secs, metadata, certificate })
    };
    let result = tokio::time::timeout(wait, result)
        .await
        .unwrap_or_else(|_| Err(Error::Network(format!("no answer in {} s", wait.as_secs()))));
    Answer { url, took: started.elapsed(), result }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_names_a_host_its_domains_or_everything() {
        for (list, host) in [
            ("api.example.com", "api.example.com"),
            ("example.com", "api.example.com"),
            (".example.com", "api.example.com"),
            ("localhost, .example.com ", "API.example.com"),
            ("*", "anything.org"),
        ] {
            assert!(no_proxy_names(list, host), "{list} / {host}");
        }
        for (list, host) in
            [("example.com", "badexample.com"), ("", "example.com"), ("api.example.com", "example.com")]
        {
            assert!(!no_proxy_names(list, host), "{list} / {host}");
        }
    }

    #[test]
    fn the_skew_is_the_servers_clock_minus_this_ones() {
        let now = httpdate::parse_http_date("Mon, 07 Dec 2026 12:00:00 GMT").unwrap();
        assert_eq!(clock_skew("Mon, 07 Dec 2026 12:10:00 GMT", now), Some(600));
        assert_eq!(clock_skew("Mon, 07 Dec 2026 11:59:30 GMT", now), Some(-30));
        assert_eq!(clock_skew(" Mon, 07 Dec 2026 12:00:00 GMT", now), Some(0));
        assert_eq!(clock_skew("yesterday", now), None);
    }

    #[test]
    fn a_proxy_is_shown_without_its_password() {
        let url = without_userinfo(Url::parse("http://user:s3cret@proxy.corp:3128").unwrap());
        assert_eq!(url.as_str(), "http://proxy.corp:3128/");
    }

    #[test]
    fn this_computer_is_reached_directly() {
        let route = proxy_route(&Url::parse("http://127.0.0.1:4000/").unwrap());
        assert_eq!(route, ProxyRoute { source: ProxySource::None, proxy: None, excepted: false });
    }
}
