//! Environments: which servers the client talks to, as which OAuth client, within which limits.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::contract::{limits, paths};
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

/// How often the session may ask for tokens, whatever lifetimes the server states: a server that says
/// its tokens live a nanosecond (or half a second, or none) must not get a refresh storm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshPacing {
    /// A lifetime shorter than this is planned as if it were this long: the refresh is scheduled from
    /// it, while the token's real expiry stands (a call the server refuses brings a refresh then).
    pub lifetime_floor: Duration,
    /// The least time between two refreshes of one session; a refresh asked for sooner waits for it.
    pub min_gap: Duration,
}

impl Default for RefreshPacing {
    fn default() -> Self {
        RefreshPacing { lifetime_floor: limits::REFRESH_LIFETIME_FLOOR, min_gap: limits::REFRESH_MIN_GAP }
    }
}

impl RefreshPacing {
    /// No floor and no gap: every lifetime taken at its word (tests of seconds-long tokens).
    pub const NONE: RefreshPacing = RefreshPacing { lifetime_floor: Duration::ZERO, min_gap: Duration::ZERO };
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
    pub pacing: RefreshPacing,
}

fn parse_url(field: &str, s: &str) -> Result<Url, Error> {
    let url = Url::parse(s.trim()).map_err(|_| Error::Config(format!("{field} is not a valid URL")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(Error::Config(format!("{field} must use https (plain http only on this computer)"))),
    }
}

impl Environment {
    /// ATOM's production service, with the hosts from its guide.
    pub fn production() -> Environment {
        let url = |s: &str| Url::parse(s).expect("built-in URL");
        Environment {
            kind: EnvironmentKind::Production,
            name: "ATOM".into(),
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
            pacing: RefreshPacing::default(),
        }
    }

    /// A sandbox server at `base_url` (for example `http://127.0.0.1:PORT`), which serves every path.
    /// It is its own issuer and names itself in every callback (RFC 9207), as its metadata says.
    pub fn sandbox(base_url: &str) -> Result<Environment, Error> {
        let base = parse_url("the sandbox URL", base_url)?;
        let join = |p: &str| base.join(p).map_err(|_| Error::Config("the sandbox URL is not a base".into()));
        Ok(Environment {
            kind: EnvironmentKind::Sandbox,
            name: "Sandbox".into(),
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
            pacing: RefreshPacing::default(),
        })
    }

    pub fn custom(c: &CustomEnvironment) -> Result<Environment, Error> {
        let api_base = parse_url("API URL", &c.api_base)?;
        let revoke_url = match c.revoke_url.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(u) => Some(parse_url("revocation URL", u)?),
            None => None,
        };
        let issuer = match c.issuer.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(i) => Some(parse_url("issuer", i)?.as_str().trim_end_matches('/').to_string()),
            None => None,
        };
        let jwks_uri = match c.jwks_uri.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(u) if issuer.is_some() => Some(parse_url("signing keys URL", u)?),
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
            name: if c.name.trim().is_empty() { "Custom".into() } else { c.name.trim().into() },
            require_iss: c.iss_parameter_supported && issuer.is_some(),
            issuer,
            authorize_url: parse_url("authorize URL", &c.authorize_url)?,
            token_url: parse_url("token URL", &c.token_url)?,
            revoke_url,
            jwks_uri,
            scopes,
            api_base,
            client_id: c.client_id.trim().into(),
            client_secret: None,
            redirect_scheme: scheme,
            token_encoding: c.token_encoding,
            quotas: Quotas::default(),
            pacing: RefreshPacing::default(),
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

    /// The custom-scheme redirect URI: `com.atomagentos.marketplace://oauth/callback`.
    pub fn scheme_redirect_uri(&self) -> String {
        format!("{}://{}{}", self.redirect_scheme, paths::REDIRECT_HOST, paths::REDIRECT_PATH)
    }

    /// Keystore entries are namespaced per environment, so that a sandbox sign-in can never
    /// overwrite a production token. A custom server's name is bound to the endpoints that would
    /// receive its secrets (issuer, token and revocation endpoints): change one, and the stored refresh
    /// token is not found, so it is never sent to the new address.
    pub fn namespace(&self) -> String {
        match self.kind {
            EnvironmentKind::Production => "production".into(),
            EnvironmentKind::Sandbox => "sandbox".into(),
            EnvironmentKind::Custom => {
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
            }
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
