//! The registered clients and their redirect URIs.

/// A registered OAuth client.
pub struct Client {
    pub id: &'static str,
    pub name: &'static str,
    /// `None` for public clients (native apps ship no secret, RFC 8252 §8.5).
    pub secret: Option<&'static str>,
    pub redirect_uris: &'static [&'static str],
}

/// A loopback redirect URI registered this way matches any port (RFC 8252 §7.3).
const LOOPBACK_PREFIX: &str = "http://127.0.0.1/";

pub const CLIENTS: &[Client] = &[
    Client {
        id: "atom-desktop",
        name: "ATOM Marketplace Desktop",
        secret: None,
        redirect_uris: &["com.atomagentos.marketplace://oauth/callback", "http://127.0.0.1/oauth/callback"],
    },
    Client {
        id: "atom-test-confidential",
        name: "ATOM Sandbox Test Client (confidential)",
        secret: Some("sandbox-secret"),
        redirect_uris: &["https://client.example.test/callback", "http://127.0.0.1/oauth/callback"],
    },
];

pub fn client(id: &str) -> Option<&'static Client> {
    CLIENTS.iter().find(|c| c.id == id)
}

/// Exact match with a registered URI, or a loopback URI on any port with a registered loopback path.
pub fn redirect_allowed(client: &Client, uri: &str) -> bool {
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
