//! Environments: which servers the client talks to, as which OAuth client, within which limits.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::contract::{limits, paths};
use crate::error::Error;
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub per_minute: u32,
    pub per_day: u32,
}

/// The client-side rate limits, per credential kind; the guide's by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    pub anonymous: Quota,
    pub api_key: Quota,
    pub oauth: Quota,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            anonymous: Quota { per_minute: limits::ANON_PER_MINUTE, per_day: limits::ANON_PER_DAY },
            api_key: Quota { per_minute: limits::API_KEY_PER_MINUTE, per_day: limits::API_KEY_PER_DAY },
            oauth: Quota { per_minute: limits::OAUTH_PER_MINUTE, per_day: limits::OAUTH_PER_DAY },
        }
    }
}

/// What a user types in to point the app at another ATOM-compatible server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CustomEnvironment {
    pub name: String,
    /// The API host; the marketplace lives at `{api_base}/api/public/v1/marketplace`.
    pub api_base: String,
    pub authorize_url: String,
    pub token_url: String,
    /// Defaults to `{api_base}/oauth/revoke`.
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
}

#[derive(Clone, Debug)]
pub struct Environment {
    pub kind: EnvironmentKind,
    pub name: String,
    pub api_base: Url,
    pub authorize_url: Url,
    pub token_url: Url,
    pub revoke_url: Url,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub redirect_scheme: String,
    pub token_encoding: TokenEncoding,
    pub quotas: Quotas,
}

fn parse_url(field: &str, s: &str) -> Result<Url, Error> {
    let url = Url::parse(s.trim()).map_err(|_| Error::Config(format!("{field} is not a valid URL")))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
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
            authorize_url: url(paths::PRODUCTION_AUTHORIZE),
            token_url: url(paths::PRODUCTION_TOKEN),
            revoke_url: url(paths::PRODUCTION_REVOKE),
            client_id: paths::CLIENT_ID.into(),
            client_secret: None,
            redirect_scheme: paths::REDIRECT_SCHEME.into(),
            token_encoding: TokenEncoding::Json,
            quotas: Quotas::default(),
        }
    }

    /// A sandbox server at `base_url` (for example `http://127.0.0.1:PORT`), which serves every path.
    pub fn sandbox(base_url: &str) -> Result<Environment, Error> {
        let base = parse_url("the sandbox URL", base_url)?;
        let join = |p: &str| base.join(p).map_err(|_| Error::Config("the sandbox URL is not a base".into()));
        Ok(Environment {
            kind: EnvironmentKind::Sandbox,
            name: "Sandbox".into(),
            authorize_url: join(paths::AUTHORIZE)?,
            token_url: join(paths::TOKEN)?,
            revoke_url: join(paths::REVOKE)?,
            api_base: base,
            client_id: paths::CLIENT_ID.into(),
            client_secret: None,
            redirect_scheme: paths::REDIRECT_SCHEME.into(),
            token_encoding: TokenEncoding::Json,
            quotas: Quotas::default(),
        })
    }

    pub fn custom(c: &CustomEnvironment) -> Result<Environment, Error> {
        let api_base = parse_url("API URL", &c.api_base)?;
        let revoke_url = match c.revoke_url.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(u) => parse_url("revocation URL", u)?,
            None => {
                api_base.join(paths::REVOKE).map_err(|_| Error::Config("API URL is not a base".into()))?
            }
        };
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
            authorize_url: parse_url("authorize URL", &c.authorize_url)?,
            token_url: parse_url("token URL", &c.token_url)?,
            revoke_url,
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

    /// The custom-scheme redirect URI: `com.atomagentos.marketplace://oauth/callback`.
    pub fn scheme_redirect_uri(&self) -> String {
        format!("{}://{}{}", self.redirect_scheme, paths::REDIRECT_HOST, paths::REDIRECT_PATH)
    }

    /// Keystore entries are namespaced per environment, so that a sandbox sign-in can never
    /// overwrite a production token.
    pub fn namespace(&self) -> String {
        match self.kind {
            EnvironmentKind::Production => "production".into(),
            EnvironmentKind::Sandbox => "sandbox".into(),
            EnvironmentKind::Custom => {
                let host = self.api_base.host_str().unwrap_or("unknown");
                let port = self.api_base.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!("custom:{host}{port}:{}", self.client_id)
            }
        }
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
        assert_eq!(env.revoke_url.as_str(), "https://staging.example.com/oauth/revoke");
        assert_eq!(env.namespace(), "custom:staging.example.com:desk");
        c.redirect_scheme = Some("bad scheme".into());
        assert!(Environment::custom(&c).is_err());
    }
}
