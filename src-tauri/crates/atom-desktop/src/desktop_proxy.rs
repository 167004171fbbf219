//! A Linux desktop's own proxy setting (GNOME's Settings → Network → Network Proxy), which the HTTP
//! client does not read: asked of GIO's proxy resolver for each new connection, as WebKit asks it for
//! the window's own requests. The environment's `HTTPS_PROXY`, when set, still wins (atom-core's
//! `use_desktop_proxy`).
//!
//! Only in a GNOME session, where GIO answers from GNOME's settings with its small `gnome` resolver.
//! Elsewhere GIO would answer through libproxy, a larger library with helpers of its own whose cost to
//! the app was not measured; there the environment's `HTTPS_PROXY` is the setting.

use gio::prelude::*;
use url::Url;

/// Whether this is a GNOME session (`XDG_CURRENT_DESKTOP` is a list: "ubuntu:GNOME", "GNOME-Classic:GNOME").
pub fn gnome_session(current_desktop: Option<&str>) -> bool {
    current_desktop.is_some_and(|list| list.split(':').any(|d| d.eq_ignore_ascii_case("gnome")))
}

/// The proxy the desktop names for `url`; `None` for a direct connection, or when it cannot say. A
/// SOCKS proxy is passed over (the HTTP client speaks HTTP proxies only) for the next one named. The
/// HTTP client asks on the thread that opens the connection (and, for a plain-HTTP server, at each
/// request, for the proxy's credentials): in GNOME's automatic mode the answer comes from the proxy
/// script (through glib-networking's PAC runner), which may take a moment the first time. Connections
/// are pooled, so for an HTTPS server it is asked again only for a new one.
pub fn proxy_for(url: &Url) -> Option<Url> {
    let proxies = gio::ProxyResolver::default().lookup(url.as_str(), gio::Cancellable::NONE).ok()?;
    for proxy in proxies {
        if proxy.as_str() == "direct://" {
            return None;
        }
        match Url::parse(proxy.as_str()) {
            Ok(p) if matches!(p.scheme(), "http" | "https") => return Some(p),
            _ => continue,
        }
    }
    None
}

/// Hands [`proxy_for`] to the HTTP client, in a GNOME session. Before the first request.
pub fn install() {
    if gnome_session(std::env::var("XDG_CURRENT_DESKTOP").ok().as_deref()) {
        atom_core::http::use_desktop_proxy(Box::new(proxy_for));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn a_gnome_session_is_recognised_in_the_desktop_list() {
        for yes in ["GNOME", "ubuntu:GNOME", "GNOME-Classic:GNOME", "gnome"] {
            assert!(gnome_session(Some(yes)), "{yes}");
        }
        for no in ["KDE", "XFCE", "X-Cinnamon", "GNOME-Flashback", ""] {
            assert!(!gnome_session(Some(no)), "{no}");
        }
        assert!(!gnome_session(None));
    }

    const CHILD: &str = "desktop_proxy::tests::child_asks_gio";

    /// Run in a child process by the test below, with GNOME's settings in a key file it wrote.
    #[test]
    #[ignore = "a child process of the GNOME-settings test, which gives it its environment"]
    fn child_asks_gio() {
        let Ok(urls) = std::env::var("ATOM_TEST_PROXY_URLS") else { return };
        for url in urls.split(' ') {
            let proxy = proxy_for(&Url::parse(url).unwrap());
            println!("PROXY {url} {}", proxy.map_or("direct".to_string(), |p| p.to_string()));
        }
    }

    /// GNOME's proxy settings as a user sets them in Settings, in GSettings' key-file back end (the same
    /// schema dconf stores), read by GIO's own `gnome` resolver in a child process.
    #[test]
    fn gnome_proxy_settings_are_read_through_gio() {
        let schemas = std::path::Path::new("/usr/share/glib-2.0/schemas/org.gnome.system.proxy.gschema.xml");
        assert!(schemas.exists(), "gsettings-desktop-schemas is installed (scripts/setup.sh)");
        let urls = "https://atomagentos.com/api http://staging.example:8080/ https://build.internal.example/ http://localhost:4000/";
        let manual = "[system/proxy]\nmode='manual'\nignore-hosts=['localhost', '*.internal.example']\n\
                      [system/proxy/https]\nhost='proxy.corp.example'\nport=3128\n\
                      [system/proxy/http]\nhost='web-proxy.corp.example'\nport=8080\n";
        let seen = ask_in_child(manual, urls);
        assert_eq!(
            seen,
            [
                "https://atomagentos.com/api http://proxy.corp.example:3128/",
                "http://staging.example:8080/ http://web-proxy.corp.example:8080/",
                "https://build.internal.example/ direct",
                "http://localhost:4000/ direct",
            ]
        );
        // Proxy turned off in Settings: every address direct.
        let none =
            "[system/proxy]\nmode='none'\n[system/proxy/https]\nhost='proxy.corp.example'\nport=3128\n";
        assert!(ask_in_child(none, urls).iter().all(|line| line.ends_with(" direct")));
    }

    /// What [`child_asks_gio`] answers for `urls` with `keyfile` as the GSettings store.
    fn ask_in_child(keyfile: &str, urls: &str) -> Vec<String> {
        let config =
            std::env::temp_dir().join(format!("atom-gnome-proxy-{}-{:x}", std::process::id(), keyfile.len()));
        let store = config.join("glib-2.0/settings");
        std::fs::create_dir_all(&store).unwrap();
        std::fs::write(store.join("keyfile"), keyfile).unwrap();
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--exact", CHILD, "--ignored", "--nocapture", "--test-threads=1"]);
        for var in atom_core::http::PROXY_VARIABLES.iter().chain(&["NO_PROXY", "no_proxy"]) {
            cmd.env_remove(var);
        }
        cmd.env("XDG_CURRENT_DESKTOP", "GNOME")
            .env("GSETTINGS_BACKEND", "keyfile")
            .env("XDG_CONFIG_HOME", &config)
            .env("ATOM_TEST_PROXY_URLS", urls);
        let out = cmd.output().expect("the child runs");
        let _ = std::fs::remove_dir_all(&config);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<String> =
            stdout.lines().filter_map(|l| l.split_once("PROXY ")).map(|(_, line)| line.to_string()).collect();
        assert!(
            !lines.is_empty(),
            "the child said nothing: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        lines
    }
}
