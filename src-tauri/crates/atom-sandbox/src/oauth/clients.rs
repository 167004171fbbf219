//! The registered clients and their redirect URIs.

/// A registered OAuth client.
pub struct Client {
    pub id: &'static str,
    pub name: &'static str,
    /// `None` for public clients (native apps ship no secret, RFC 8252 §8.5).
    pub secret: Option<&'static str>,
    pub redirect_uris: &'static [&'static str],
    /// Also registered: each redirect URI followed by `/<tag>`, 8 lowercase hex digits. The desktop
    /// app gives a server it knows without an issuer a redirect of its own this way (RFC 9700 §4.4);
    /// a deployment registers the exact one the app shows.
    pub tagged_redirects: bool,
}

/// A loopback redirect URI registered this way matches any port (RFC 8252 §7.3).
const LOOPBACK_PREFIX: &str = "http://127.0.0.1/";

pub const CLIENTS: &[Client] = &[
    Client {
        id: "atom-desktop",
        name: "ATOM Marketplace Desktop",
        secret: None,
        redirect_uris: &["com.atomagentos.marketplace://oauth/callback", "http://127.0.0.1/oauth/callback"],
        tagged_redirects: true,
    },
    Client {
        id: "atom-test-confidential",
        name: "ATOM Sandbox Test Client (confidential)",
        secret: Some("sandbox-secret"),
        redirect_uris: &["https://client.example.test/callback", "http://127.0.0.1/oauth/callback"],
        tagged_redirects: false,
    },
];

pub fn client(id: &str) -> Option<&'static Client> {
    CLIENTS.iter().find(|c| c.id == id)
}

/// Exact match with a registered URI, or a loopback URI on any port with a registered loopback path;
/// for a client with tagged redirects, either followed by `/<8 lowercase hex>`.
pub fn redirect_allowed(client: &Client, uri: &str) -> bool {
    if registered(client, uri) {
        return true;
    }
    let tagged = uri.rsplit_once('/').filter(|(_, tag)| {
        tag.len() == 8 && tag.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    client.tagged_redirects && tagged.is_some_and(|(base, _)| registered(client, base))
}

fn registered(client: &Client, uri: &str) -> bool {
    if client.redirect_uris.contains(&uri) {
        return true;
    }
    let Ok(url) = url::Url::parse(uri) else { return false };
    url.scheme() == "http"
        && url.host_str() == Some("127.0.0.1")
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        && client
            .redirect_uris
            .iter()
            .filter_map(|r| r.strip_prefix(LOOPBACK_PREFIX))
            .any(|path| url.path() == format!("/{path}"))
}
