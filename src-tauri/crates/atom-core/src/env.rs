//! Environments: which servers the client talks to, as which OAuth client, within which limits.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::contract::paths;
use crate::error::Error;
use crate::ratelimit::Quotas;
use crate::secret::Secret;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum EnvironmentKind {
    Production,
    Sandbox,
    Custom,
}

/// How token requests are encoded: JSON as ATOM's guide shows, or form-encoded as RFC 6749 says
/// (for standard OAuth servers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TokenEncoding {
    #[default]
    Json,
    Form,
}

/// What a user types in (or discovery fills in) to point the app at another ATOM-compatible server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CustomEnvironment {
    pub name: String,
    /// The API host; the marketplace lives at `{api_base}/api/public/v1/marketplace`.
    pub api_base: String,
    /// The authorization server's issuer identifier (RFC 8414), when known: discovery fills it. A
    /// callback's `iss` must then equal it (RFC 9207).
    #[serde(default)]
    pub issuer: Option<String>,
    pub authorize_url: String,
    pub token_url: String,
    /// RFC 7009 revocation. Without one, sign-out cannot tell the server, and says so.
    #[serde(default)]
    pub revoke_url: Option<String>,
    /// A desktop app is a public client (RFC 8252 §8.5): it has a client ID and no secret, so the
    /// settings a user types in have no secret either (nothing to lose on restart, nothing to leak).
    pub client_id: String,
    /// Defaults to `com.atomagentos.marketplace`.
    #[serde(default)]
    pub redirect_scheme: Option<String>,
    #[serde(default)]
    pub token_encoding: TokenEncoding,
    /// The scopes to ask for, space-separated; the marketplace's two by default.
    #[serde(default)]
    pub scopes: Option<String>,
    /// The server says its authorization responses carry `iss` (RFC 9207): a callback without it is
    /// then refused.
    #[serde(default)]
    pub iss_parameter_supported: bool,
    /// An OpenID Connect server's signing keys (its discovery's `jwks_uri`): with `openid` among the
    /// scopes, the ID token that comes with a sign-in is verified against them and names the account.
    #[serde(default)]
    pub jwks_uri: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Environment {
    pub kind: EnvironmentKind,
    pub name: String,
    pub api_base: Url,
    /// The issuer identifier, when the server publishes one (RFC 8414); ATOM's guide names none.
    pub issuer: Option<String>,
    /// Callbacks must carry `iss` (the server advertises RFC 9207 support).
    pub require_iss: bool,
    pub authorize_url: Url,
    pub token_url: Url,
    /// RFC 7009; `None` when the server has none (sign-out then warns that the server was not told).
    pub revoke_url: Option<Url>,
    /// Where an OpenID Connect server publishes its signing keys; set with an issuer only.
    pub jwks_uri: Option<Url>,
    /// The scopes a sign-in asks for.
    pub scopes: Vec<String>,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub redirect_scheme: String,
    pub token_encoding: TokenEncoding,
    pub quotas: Quotas,
}

/// What the app calls ATOM's service, its sandbox, and a custom server the user did not name.
pub const PRODUCTION_NAME: &str = "ATOM";
pub const SANDBOX_NAME: &str = "Sandbox";
pub const UNNAMED_SERVER: &str = "Custom";

impl CustomEnvironment {
    /// The name the app shows for this server: the user's, cleaned as every shown name is
    /// (`text.rs`), or "Custom".
    pub fn display_name(&self) -> String {
        crate::text::clean_name(&self.name, crate::text::NAME_MAX).unwrap_or_else(|| UNNAMED_SERVER.into())
    }
}

/// Which server an environment is: computed once by [`Environment::server_key`], and what decides its
/// keystore entries, its first account, its catalogue and its cache folder.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ServerKey(String);

impl ServerKey {
    /// ATOM's service's key, without building its environment.
    pub fn production() -> ServerKey {
        ServerKey("production".into())
    }

    /// The embedded sandbox's key, whatever port it listens on this run.
    pub fn sandbox() -> ServerKey {
        ServerKey("sandbox".into())
    }

    /// The key as it was saved (`settings.json` keeps each account's), for an account whose
    /// environment cannot be opened now: its keystore entries can still be found by name.
    pub fn saved(key: &str) -> ServerKey {
        ServerKey(key.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A folder name for it (`custom:host:port:client:tag` → `custom_host_port_client_tag`): letters,
    /// digits, `.`, `-` and `_` only, never `.` or `..` alone.
    pub fn folder_name(&self) -> String {
        let name: String = self
            .0
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || "-_".contains(c) { c } else { '_' })
            .collect();
        name
    }
}

impl std::fmt::Display for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether the app may send a request to `url` for a server that is (`local`) or is not on this
/// computer: HTTPS anywhere; plain HTTP only to this computer, and only for a server that is itself
/// here (the sandbox, a server the user runs). A server elsewhere can name this computer's ports in its
/// settings or metadata (`http://127.0.0.1:631/token`), and would have the app reach them for it.
pub fn may_reach(url: &Url, local: bool) -> bool {
    url.scheme() == "https" || (url.scheme() == "http" && local && is_loopback(url))
}

fn parse_url(field: &str, s: &str, local: bool) -> Result<Url, Error> {
    let url = Url::parse(s.trim()).map_err(|_| Error::Config(format!("{field} is not a valid URL")))?;
    if may_reach(&url, local) {
        return Ok(url);
    }
    Err(Error::Config(if url.scheme() == "http" && is_loopback(&url) {
        format!(
            "{field} is plain http on this computer, and the server is not on this computer: the app \
             does not reach this computer's ports for a server elsewhere"
        )
    } else {
        format!("{field} must use https (plain http only for a server on this computer)")
    }))
}

impl Environment {
    /// ATOM's production service, with the hosts from its guide.
    pub fn production() -> Environment {
        let url = |s: &str| Url::parse(s).expect("built-in URL");
        Environment {
            kind: EnvironmentKind::Production,
            name: PRODUCTION_NAME.into(),
            api_base: url(paths::PRODUCTION_API),
            issuer: None,
            require_iss: false,
            authorize_url: url(paths::PRODUCTION_AUTHORIZE),
            token_url: url(paths::PRODUCTION_TOKEN),
            revoke_url: Some(url(paths::PRODUCTION_REVOKE)),
            jwks_uri: None,
            scopes: marketplace_scopes(),
            client_id: paths::CLIENT_ID.into(),
            client_secret: None,
            redirect_scheme: paths::REDIRECT_SCHEME.into(),
            token_encoding: TokenEncoding::Json,
            quotas: Quotas::default(),
        }
    }

    /// A sandbox server at `base_url` (for example `http://127.0.0.1:PORT`), which serves every path.
    /// It is its own issuer and names itself in every callback (RFC 9207), as its metadata says.
    pub fn sandbox(base_url: &str) -> Result<Environment, Error> {
        let base = parse_url("the sandbox URL", base_url, true)?;
        let join = |p: &str| base.join(p).map_err(|_| Error::Config("the sandbox URL is not a base".into()));
        Ok(Environment {
            kind: EnvironmentKind::Sandbox,
            name: SANDBOX_NAME.into(),
            issuer: Some(base.as_str().trim_end_matches('/').to_string()),
            require_iss: true,
            authorize_url: join(paths::AUTHORIZE)?,
            token_url: join(paths::TOKEN)?,
            revoke_url: Some(join(paths::REVOKE)?),
            jwks_uri: None,
            scopes: marketplace_scopes(),
            api_base: base,
            client_id: paths::CLIENT_ID.into(),
            client_secret: None,
            redirect_scheme: paths::REDIRECT_SCHEME.into(),
            token_encoding: TokenEncoding::Json,
            quotas: Quotas::default(),
        })
    }

    pub fn custom(c: &CustomEnvironment) -> Result<Environment, Error> {
        // A server on this computer is one whose API is here: only then may its addresses be plain
        // http on this computer.
        let local = Url::parse(c.api_base.trim()).is_ok_and(|u| is_loopback(&u));
        let api_base = parse_url("API URL", &c.api_base, local)?;
        let revoke_url = match c.revoke_url.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(u) => Some(parse_url("revocation URL", u, local)?),
            None => None,
        };
        let issuer = match c.issuer.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(i) => Some(parse_url("issuer", i, local)?.as_str().trim_end_matches('/').to_string()),
            None => None,
        };
        let jwks_uri = match c.jwks_uri.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(u) if issuer.is_some() => Some(parse_url("signing keys URL", u, local)?),
            _ => None,
        };
        let scopes: Vec<String> = match c.scopes.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => s.split_whitespace().map(str::to_string).collect(),
            None => marketplace_scopes(),
        };
        if scopes.iter().any(|s| !s.chars().all(|ch| ch.is_ascii_graphic() && ch != '"' && ch != '\\')) {
            return Err(Error::Config(
                "scopes are words of printable characters, separated by spaces".into(),
            ));
        }
        let scheme =
            c.redirect_scheme.clone().filter(|s| !s.is_empty()).unwrap_or(paths::REDIRECT_SCHEME.into());
        let scheme_ok = scheme.starts_with(|ch: char| ch.is_ascii_alphabetic())
            && scheme.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '+' | '-' | '.'));
        if !scheme_ok {
            return Err(Error::Config("the redirect scheme may hold only letters, digits, + - and .".into()));
        }
        if c.client_id.trim().is_empty() {
            return Err(Error::Config("client ID is required".into()));
        }
        Ok(Environment {
            kind: EnvironmentKind::Custom,
            name: c.display_name(),
            require_iss: c.iss_parameter_supported && issuer.is_some(),
            issuer,
            authorize_url: parse_url("authorize URL", &c.authorize_url, local)?,
            token_url: parse_url("token URL", &c.token_url, local)?,
            revoke_url,
            jwks_uri,
            scopes,
            api_base,
            client_id: c.client_id.trim().into(),
            client_secret: None,
            redirect_scheme: scheme,
            token_encoding: c.token_encoding,
            quotas: Quotas::default(),
        })
    }

    /// The same environment as a confidential client, for library users whose server registered them
    /// so (the desktop app never is one).
    pub fn with_client_secret(mut self, secret: Secret) -> Environment {
        self.client_secret = Some(secret);
        self
    }

    /// The marketplace base URL, ending in a slash so that relative paths join under it.
    pub fn marketplace_base(&self) -> Url {
        let mut url = self.api_base.clone();
        let path = format!("{}{}/", url.path().trim_end_matches('/'), paths::MARKETPLACE);
        url.set_path(&path);
        url.set_query(None);
        url
    }

    /// Which server this is, as everything that depends on "which server" sees it: its keystore
    /// entries, its first account, its catalogue and the catalogue's cache folder. A sandbox sign-in
    /// can never overwrite a production token. A custom server's key is bound to the endpoints that
    /// would receive its secrets (issuer, token and revocation endpoints) and to its API's host and
    /// client ID: change one, and it is another server, whose stored refresh token is not found, so
    /// it is never sent to the new address. Its name, scopes and authorize page are settings of the
    /// same server.
    pub fn server_key(&self) -> ServerKey {
        match self.kind {
            EnvironmentKind::Production => ServerKey::production(),
            EnvironmentKind::Sandbox => ServerKey::sandbox(),
            EnvironmentKind::Custom => ServerKey({
                use sha2::{Digest, Sha256};
                let host = self.api_base.host_str().unwrap_or("unknown");
                let port = self.api_base.port().map(|p| format!(":{p}")).unwrap_or_default();
                let endpoints = format!(
                    "{}|{}|{}",
                    self.issuer.as_deref().unwrap_or(""),
                    self.token_url,
                    self.revoke_url.as_ref().map(Url::as_str).unwrap_or("")
                );
                let digest = Sha256::digest(endpoints.as_bytes());
                let tag: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
                format!("custom:{host}{port}:{}:{tag}", self.client_id)
            }),
        }
    }

    /// The keystore namespace of the environment's first account: its [`ServerKey`].
    pub fn namespace(&self) -> String {
        self.server_key().0
    }

    /// The last part of this server's redirect URIs, when it needs one of its own (RFC 9700 §4.4):
    /// a server whose callbacks do not name their issuer (RFC 9207) could otherwise bounce the browser
    /// to another server's authorize page and receive the code that server sends back to the one
    /// redirect URI every environment shared. ATOM's service keeps the guide's redirect URI, and a
    /// server that names itself in every callback (the sandbox, a custom server with RFC 9207) needs
    /// none: its `iss` is checked.
    pub fn redirect_tag(&self) -> Option<String> {
        if self.kind != EnvironmentKind::Custom || self.require_iss {
            return None;
        }
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.server_key().0.as_bytes());
        Some(digest[..4].iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The custom-scheme redirect URI: `com.atomagentos.marketplace://oauth/callback`, or
    /// `…/oauth/callback/<tag>` for a server with a [`Environment::redirect_tag`].
    pub fn scheme_redirect_uri(&self) -> String {
        format!(
            "{}://{}{}",
            self.redirect_scheme,
            paths::REDIRECT_HOST,
            self.redirect_path(paths::REDIRECT_PATH)
        )
    }

    /// The loopback redirect URI on `port` (RFC 8252 §7.3), with the server's tag as the scheme's.
    pub fn loopback_redirect_uri(&self, port: u16) -> String {
        format!("http://127.0.0.1:{port}{}", self.redirect_path(paths::LOOPBACK_PATH))
    }

    /// The redirect URIs this app uses with the server, as its administrator registers them (the
    /// loopback one on any port, RFC 8252 §7.3).
    pub fn redirect_uris(&self) -> Vec<String> {
        vec![
            self.scheme_redirect_uri(),
            format!("http://127.0.0.1{}", self.redirect_path(paths::LOOPBACK_PATH)),
        ]
    }

    /// `path`, then `/<tag>` when the server has a redirect of its own.
    pub fn redirect_path(&self, path: &str) -> String {
        match self.redirect_tag() {
            Some(tag) => format!("{path}/{tag}"),
            None => path.to_string(),
        }
    }

    /// What a server's answer names as its issuer must be this one (RFC 9207).
    pub fn is_own_issuer(&self, iss: &str) -> bool {
        self.issuer.as_deref().is_some_and(|mine| mine == iss.trim_end_matches('/'))
    }
}

/// The marketplace's scopes, asked for unless an environment says otherwise.
pub fn marketplace_scopes() -> Vec<String> {
    vec![paths::SCOPE_READ.to_string(), paths::SCOPE_WRITE.to_string()]
}

/// Whether `url` names this computer: `localhost`, 127.0.0.0/8 or `::1`. A proxy reaches such an
/// address on *its* machine, not ours: a request sent there would carry the authorization code, the
/// PKCE verifier, tokens and API keys off this computer in clear text, and a sign-in "to this computer"
/// would succeed against the proxy's. So these always connect directly, whatever a proxy setting says.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(url::Host::Domain(name)) => name.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_uses_the_guides_hosts() {
        let p = Environment::production();
        assert_eq!(p.authorize_url.as_str(), "https://atomagentos.com/oauth/authorize");
        assert_eq!(p.token_url.as_str(), "https://api.atomagentos.com/oauth/token");
        assert_eq!(p.marketplace_base().as_str(), "https://api.atomagentos.com/api/public/v1/marketplace/");
        assert_eq!(p.scheme_redirect_uri(), "com.atomagentos.marketplace://oauth/callback");
        assert!(p.client_secret.is_none(), "a desktop app is a public client");
    }

    #[test]
    fn sandbox_serves_everything_from_one_base() {
        let s = Environment::sandbox("http://127.0.0.1:4000").unwrap();
        assert_eq!(s.token_url.as_str(), "http://127.0.0.1:4000/oauth/token");
        assert_eq!(
            s.marketplace_base().join("skills").unwrap().as_str(),
            "http://127.0.0.1:4000/api/public/v1/marketplace/skills"
        );
        assert_ne!(s.namespace(), Environment::production().namespace());
    }

    #[test]
    fn custom_refuses_plain_http_off_this_computer() {
        let mut c = CustomEnvironment {
            name: "Staging".into(),
            api_base: "http://staging.example.com".into(),
            authorize_url: "https://staging.example.com/oauth/authorize".into(),
            token_url: "https://staging.example.com/oauth/token".into(),
            client_id: "desk".into(),
            ..Default::default()
        };
        assert!(matches!(Environment::custom(&c), Err(Error::Config(_))));
        c.api_base = "https://staging.example.com".into();
        let env = Environment::custom(&c).unwrap();
        assert_eq!(env.revoke_url, None, "no revocation endpoint unless one is given or discovered");
        assert!(env.namespace().starts_with("custom:staging.example.com:desk:"));
        assert_eq!(env.scopes, ["marketplace:read", "marketplace:write"]);
        c.redirect_scheme = Some("bad scheme".into());
        assert!(Environment::custom(&c).is_err());
    }

    /// A server elsewhere cannot point the app at this computer's ports: not its token, revocation,
    /// signing-keys or authorize address, nor its issuer. A server on this computer can.
    #[test]
    fn plain_http_to_this_computer_only_for_a_server_on_this_computer() {
        let remote = CustomEnvironment {
            api_base: "https://api.example.com".into(),
            issuer: Some("https://api.example.com".into()),
            authorize_url: "https://api.example.com/authorize".into(),
            token_url: "https://api.example.com/token".into(),
            client_id: "desk".into(),
            ..Default::default()
        };
        assert!(Environment::custom(&remote).is_ok());
        for local_port in [
            CustomEnvironment { token_url: "http://127.0.0.1:631/token".into(), ..remote.clone() },
            CustomEnvironment { revoke_url: Some("http://localhost:9200/_delete".into()), ..remote.clone() },
            CustomEnvironment { jwks_uri: Some("http://[::1]:8080/keys".into()), ..remote.clone() },
            CustomEnvironment { authorize_url: "http://127.0.0.2/authorize".into(), ..remote.clone() },
            CustomEnvironment { issuer: Some("http://127.0.0.1:3000".into()), ..remote.clone() },
        ] {
            let Err(Error::Config(why)) = Environment::custom(&local_port) else { panic!("{local_port:?}") };
            assert!(why.contains("this computer's ports"), "{why}");
        }
        let here = CustomEnvironment {
            api_base: "http://127.0.0.1:8080".into(),
            issuer: Some("http://127.0.0.1:8080".into()),
            authorize_url: "http://127.0.0.1:8080/authorize".into(),
            token_url: "http://127.0.0.1:8080/token".into(),
            revoke_url: Some("http://localhost:8080/revoke".into()),
            client_id: "desk".into(),
            ..Default::default()
        };
        assert!(Environment::custom(&here).is_ok(), "a server the user runs here");
        assert!(may_reach(&Url::parse("https://127.0.0.1/x").unwrap(), false), "https is https");
    }

    #[test]
    fn a_custom_servers_keystore_entry_follows_its_endpoints() {
        let c = CustomEnvironment {
            api_base: "https://api.example.com".into(),
            authorize_url: "https://login.example.com/authorize".into(),
            token_url: "https://login.example.com/token".into(),
            revoke_url: Some("https://login.example.com/revoke".into()),
            client_id: "desk".into(),
            ..Default::default()
        };
        let base = Environment::custom(&c).unwrap().namespace();
        assert_eq!(Environment::custom(&c).unwrap().namespace(), base, "stable for the same settings");
        for changed in [
            CustomEnvironment { token_url: "https://evil.example/token".into(), ..c.clone() },
            CustomEnvironment { revoke_url: Some("https://evil.example/revoke".into()), ..c.clone() },
            CustomEnvironment { revoke_url: None, ..c.clone() },
            CustomEnvironment { issuer: Some("https://login.example.com".into()), ..c.clone() },
        ] {
            assert_ne!(Environment::custom(&changed).unwrap().namespace(), base, "{changed:?}");
        }
    }

    #[test]
    fn custom_scopes_and_issuer() {
        let c = CustomEnvironment {
            api_base: "https://api.example.com".into(),
            issuer: Some("https://login.example.com/".into()),
            authorize_url: "https://login.example.com/authorize".into(),
            token_url: "https://login.example.com/token".into(),
            client_id: "desk".into(),
            scopes: Some(" marketplace:read  offline_access ".into()),
            iss_parameter_supported: true,
            ..Default::default()
        };
        let env = Environment::custom(&c).unwrap();
        assert_eq!(env.scopes, ["marketplace:read", "offline_access"]);
        assert_eq!(env.issuer.as_deref(), Some("https://login.example.com"));
        assert!(env.require_iss && env.is_own_issuer("https://login.example.com"));
        assert!(!env.is_own_issuer("https://evil.example"));
        let bad = CustomEnvironment { scopes: Some("a \"b\"".into()), ..c };
        assert!(Environment::custom(&bad).is_err());
    }
}
