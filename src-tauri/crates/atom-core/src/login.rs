//! Sign-in with the system browser: PKCE (S256), the authorization URL, the pending login, and the
//! validation of the callback URL that comes back through the deep link or the loopback listener.
//!
//! The verifier, the challenge, the state and the authorization URL come from the `oauth2` crate; the
//! callback's validation is this module's own, stricter than the crate's: one exact shape, every
//! parameter once, the state compared in constant time, and the issuer checked (RFC 9207) before any
//! token request.

use std::fmt;
use std::time::{Duration, SystemTime};

use oauth2::{AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope};
use serde::Serialize;
use url::Url;

use crate::contract::{limits, paths};
use crate::env::Environment;
pub use crate::error::CallbackError;
use crate::secret::Secret;

/// Where the browser sends the user back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RedirectTarget {
    /// `com.atomagentos.marketplace://oauth/callback`, opened by the OS through the app's URL scheme.
    Scheme,
    /// `http://127.0.0.1:PORT/oauth/callback`, received by the app's one-shot listener (RFC 8252 §7.3).
    Loopback { port: u16 },
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One sign-in waiting for its callback. A new one replaces the old.
pub struct PendingLogin {
    state: String,
    verifier: Secret,
    redirect_uri: String,
    target: RedirectTarget,
    scheme: String,
    /// The path the callback must have: the scheme's (`/callback`) or the loopback's
    /// (`/oauth/callback`), with the server's own tag when it has one (`Environment::redirect_tag`).
    path: String,
    /// The issuer a callback must name, when the environment knows it (RFC 9207).
    issuer: Option<String>,
    require_iss: bool,
    /// Refuse a callback naming an issuer when `issuer` is unknown: a server the user described (a
    /// custom one), whose answers the app cannot otherwise tell from another server's. ATOM's own
    /// service, built in, names no issuer in its guide; its answers are taken whatever `iss` says.
    vouch_for_iss: bool,
    created_at: SystemTime,
    authorize_url: Url,
    /// OpenID Connect's `nonce`, when `openid` is asked for: the ID token must carry it back.
    nonce: Option<String>,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("target", &self.target)
            .field("redirect_uri", &self.redirect_uri)
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl PendingLogin {
    pub fn new(env: &Environment, target: RedirectTarget, scopes: &[&str]) -> PendingLogin {
        let (redirect_uri, path) = match target {
            RedirectTarget::Scheme => (env.scheme_redirect_uri(), env.redirect_path(paths::REDIRECT_PATH)),
            RedirectTarget::Loopback { port } => {
                (env.loopback_redirect_uri(port), env.redirect_path(paths::LOOPBACK_PATH))
            }
        };
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let redirect =
            Url::parse(&redirect_uri).expect("the redirect scheme is checked when the environment is built");
        let client = oauth2::basic::BasicClient::new(ClientId::new(env.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(env.authorize_url.clone()))
            .set_redirect_uri(RedirectUrl::from_url(redirect));
        let mut request = client
            .authorize_url(|| CsrfToken::new_random_len(32))
            .add_scopes(scopes.iter().map(|s| Scope::new(s.to_string())))
            .set_pkce_challenge(challenge);
        // OpenID Connect Core §11: a server grants offline access only when consent is asked for.
        if scopes.contains(&crate::discovery::OFFLINE_ACCESS) {
            request = request.add_extra_param("prompt", "consent");
        }
        // OpenID Connect Core §3.1.2.1: a nonce ties the ID token to this sign-in (a token replayed
        // from another one is refused).
        let nonce = scopes.contains(&"openid").then(|| CsrfToken::new_random_len(32).secret().clone());
        if let Some(nonce) = &nonce {
            request = request.add_extra_param("nonce", nonce.clone());
        }
        let (authorize_url, state) = request.url();
        PendingLogin {
            state: state.secret().clone(),
            verifier: Secret::new(verifier.secret().as_str()),
            redirect_uri,
            target,
            scheme: env.redirect_scheme.to_ascii_lowercase(),
            path,
            issuer: env.issuer.clone(),
            require_iss: env.require_iss,
            vouch_for_iss: env.kind == crate::env::EnvironmentKind::Custom,
            created_at: SystemTime::now(),
            authorize_url,
            nonce,
        }
    }

    /// The nonce the ID token must carry, when `openid` was asked for.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// The URL to open in the system browser. It carries no secret: only the challenge and the state.
    pub fn authorize_url(&self) -> &Url {
        &self.authorize_url
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    pub fn target(&self) -> RedirectTarget {
        self.target
    }

    pub(crate) fn verifier(&self) -> &Secret {
        &self.verifier
    }

    pub fn is_expired(&self, now: SystemTime) -> bool {
        now.duration_since(self.created_at).unwrap_or(Duration::ZERO) > limits::PENDING_LOGIN_TTL
    }

    /// Whether `callback` carries this sign-in's `state` (and so is its answer, genuine or a refusal).
    /// A quick check for listeners; [`PendingLogin::validate`] decides.
    pub fn is_answered_by(&self, callback: &str) -> bool {
        let query = callback.split_once('?').map(|(_, q)| q).unwrap_or("");
        let query = query.split('#').next().unwrap_or("");
        matches!(CallbackParams::parse(query), Ok(CallbackParams { state: Some(state), .. })
            if constant_time_eq(&state, &self.state))
    }

    /// Accepts exactly one shape of callback and returns its authorization code.
    pub fn validate(&self, callback: &str, now: SystemTime) -> Result<Secret, CallbackError> {
        if callback.len() > limits::MAX_CALLBACK_URL {
            return Err(CallbackError::TooLong);
        }
        let url = Url::parse(callback.trim()).map_err(|_| CallbackError::NotAUrl)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(CallbackError::WrongHost);
        }
        match self.target {
            RedirectTarget::Scheme => {
                if url.scheme() != self.scheme {
                    return Err(CallbackError::WrongScheme);
                }
                if url.host_str() != Some(paths::REDIRECT_HOST) {
                    return Err(CallbackError::WrongHost);
                }
                if url.port().is_some() {
                    return Err(CallbackError::WrongPort);
                }
                if url.path() != self.path {
                    return Err(CallbackError::WrongPath);
                }
            }
            RedirectTarget::Loopback { port } => {
                if url.scheme() != "http" {
                    return Err(CallbackError::WrongScheme);
                }
                if url.host_str() != Some("127.0.0.1") {
                    return Err(CallbackError::WrongHost);
                }
                if url.port() != Some(port) {
                    return Err(CallbackError::WrongPort);
                }
                if url.path() != self.path {
                    return Err(CallbackError::WrongPath);
                }
            }
        }
        if url.fragment().is_some() {
            return Err(CallbackError::UnexpectedFragment);
        }
        let params = CallbackParams::parse(url.query().unwrap_or(""))?;
        let state = params.state.ok_or(CallbackError::MissingState)?;
        if !constant_time_eq(&state, &self.state) {
            return Err(CallbackError::StateMismatch);
        }
        // RFC 9207, before anything else of the answer is believed: it must come from this server. An
        // answer that names an issuer when the app knows none for this server is refused too: an
        // honest server that names itself was reached through another one (a mix-up, RFC 9700 §4.4),
        // or the server's settings lack its issuer.
        match (&params.iss, &self.issuer) {
            (Some(iss), Some(mine)) if iss.trim_end_matches('/') != mine => {
                return Err(CallbackError::IssuerMismatch)
            }
            (Some(iss), None) if self.vouch_for_iss => {
                return Err(CallbackError::IssuerUnknown { iss: iss.clone() })
            }
            (None, _) if self.require_iss => return Err(CallbackError::MissingIssuer),
            _ => {}
        }
        if self.is_expired(now) {
            return Err(CallbackError::Expired);
        }
        if let Some(error) = params.error {
            return Err(if error == "access_denied" {
                CallbackError::Denied
            } else {
                CallbackError::ServerError { error, description: params.error_description }
            });
        }
        match params.code {
            Some(code) if !code.is_empty() => Ok(Secret::new(code)),
            _ => Err(CallbackError::MissingCode),
        }
    }
}

#[derive(Default)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl CallbackParams {
    /// Strict query parsing: escapes must decode to UTF-8, and the parameters that matter appear once.
    fn parse(query: &str) -> Result<CallbackParams, CallbackError> {
        let mut out = CallbackParams::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8()
                    .map(|c| c.into_owned())
                    .map_err(|_| CallbackError::BadEncoding)
            };
            let name = decode(raw_name)?;
            let value = decode(raw_value)?;
            let slot = match name.as_str() {
                "code" => &mut out.code,
                "state" => &mut out.state,
                "iss" => &mut out.iss,
                "error" => &mut out.error,
                "error_description" => &mut out.error_description,
                // Others (scope, session_state) are informational.
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(CallbackError::RepeatedParameter { name });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The challenge comes from the `oauth2` crate; this holds it to RFC 7636's own example.
    #[test]
    fn challenge_matches_rfc7636_appendix_b() {
        let verifier = oauth2::PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        assert_eq!(challenge.as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(challenge.method().as_str(), "S256");
    }

    #[test]
    fn authorize_url_has_every_parameter_and_no_secret() {
        let env = Environment::production();
        let p = PendingLogin::new(&env, RedirectTarget::Scheme, &[paths::SCOPE_READ, paths::SCOPE_WRITE]);
        let q: std::collections::HashMap<_, _> = p.authorize_url().query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "atom-desktop");
        assert_eq!(q["redirect_uri"], "com.atomagentos.marketplace://oauth/callback");
        assert_eq!(q["scope"], "marketplace:read marketplace:write");
        assert_eq!(q["code_challenge_method"], "S256");
        let verifier = oauth2::PkceCodeVerifier::new(p.verifier().expose().to_string());
        assert_eq!(q["code_challenge"], *PkceCodeChallenge::from_code_verifier_sha256(&verifier).as_str());
        assert_eq!(q["state"].len(), 43);
        assert!(!p.authorize_url().as_str().contains(p.verifier().expose()));
        assert!(p.authorize_url().as_str().contains("scope=marketplace%3Aread+marketplace%3Awrite"));
        assert!(!format!("{p:?}").contains(p.verifier().expose()));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn scheme_login() -> PendingLogin {
            PendingLogin::new(&Environment::production(), RedirectTarget::Scheme, &[])
        }

        /// An independent, plain reading of what an accepted callback must be.
        fn is_exact_shape(login: &PendingLogin, callback: &str) -> bool {
            let Ok(url) = Url::parse(callback.trim()) else { return false };
            let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let one = |name: &str| {
                let values: Vec<&String> = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v).collect();
                (values.len() == 1).then(|| values[0].clone())
            };
            url.scheme() == "com.atomagentos.marketplace"
                && url.host_str() == Some("oauth")
                && url.port().is_none()
                && url.path() == "/callback"
                && url.fragment().is_none()
                && url.username().is_empty()
                && one("state").as_deref() == Some(login.state.as_str())
                && one("code").is_some_and(|c| !c.is_empty())
        }

        /// Pieces a forger would try, around (or instead of) the genuine parts.
        fn piece() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("com.atomagentos.marketplace://".to_string()),
                Just("COM.ATOMAGENTOS.MARKETPLACE://".to_string()),
                Just("http://127.0.0.1:8080".to_string()),
                Just("oauth".to_string()),
                Just("evil.example".to_string()),
                Just("/callback".to_string()),
                Just("/callback/".to_string()),
                Just(":443".to_string()),
                Just("user:pass@".to_string()),
                Just("?".to_string()),
                Just("&".to_string()),
                Just("#".to_string()),
                Just("code=".to_string()),
                Just("state=".to_string()),
                Just("error=access_denied".to_string()),
                Just("%".to_string()),
                Just("%ff".to_string()),
                Just("%26state%3D".to_string()),
                Just("+".to_string()),
                Just("\u{0}".to_string()),
                "[a-zA-Z0-9_-]{0,12}",
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn any_text_is_refused_or_is_exactly_the_pending_callback(text in "\\PC{0,200}") {
                let login = scheme_login();
                let result = login.validate(&text, SystemTime::now());
                prop_assert!(result.is_err() || is_exact_shape(&login, &text));
            }

            #[test]
            fn forged_callbacks_never_pass(pieces in proptest::collection::vec(piece(), 0..16), use_state in any::<bool>()) {
                let login = scheme_login();
                let mut text: String = pieces.concat();
                if use_state {
                    // The genuine state somewhere in the forgery.
                    text = format!("{text}state={}", login.state);
                }
                let accepted = login.validate(&text, SystemTime::now()).is_ok();
                prop_assert!(!accepted || is_exact_shape(&login, &text), "accepted {text:?}");
                prop_assert_eq!(login.is_answered_by(&text) && !text.contains(&login.state), false);
            }

            #[test]
            fn a_genuine_callback_with_any_change_to_its_state_is_refused(code in "[A-Za-z0-9_-]{1,40}", flip in 0usize..43) {
                let login = scheme_login();
                let mut state: Vec<char> = login.state.chars().collect();
                state[flip] = if state[flip] == 'A' { 'B' } else { 'A' };
                let state: String = state.into_iter().collect();
                let forged = format!("com.atomagentos.marketplace://oauth/callback?code={code}&state={state}");
                prop_assert_eq!(login.validate(&forged, SystemTime::now()), Err(CallbackError::StateMismatch));
                prop_assert!(!login.is_answered_by(&forged));
                let genuine = format!("com.atomagentos.marketplace://oauth/callback?code={code}&state={}", login.state);
                prop_assert!(login.validate(&genuine, SystemTime::now()).is_ok());
            }
        }
    }

    #[test]
    fn the_callback_must_come_from_the_environments_issuer() {
        let env = Environment::sandbox("http://127.0.0.1:4000").unwrap();
        let p = PendingLogin::new(&env, RedirectTarget::Scheme, &[]);
        let link = |iss: Option<&str>| {
            let mut url = format!("com.atomagentos.marketplace://oauth/callback?code=c&state={}", p.state);
            if let Some(iss) = iss {
                url.push_str(&format!(
                    "&iss={}",
                    url::form_urlencoded::byte_serialize(iss.as_bytes()).collect::<String>()
                ));
            }
            url
        };
        let now = SystemTime::now();
        assert!(p.validate(&link(Some("http://127.0.0.1:4000")), now).is_ok());
        assert_eq!(p.validate(&link(Some("https://evil.example")), now), Err(CallbackError::IssuerMismatch));
        assert_eq!(p.validate(&link(None), now), Err(CallbackError::MissingIssuer));
        // A denial from another server is a mix-up too, refused before it is believed.
        let denied = format!(
            "com.atomagentos.marketplace://oauth/callback?error=access_denied&state={}&iss=https%3A%2F%2Fevil.example",
            p.state
        );
        assert_eq!(p.validate(&denied, now), Err(CallbackError::IssuerMismatch));
        // ATOM's own service names no issuer in its guide: its answers cannot be checked, and are not
        // refused for naming one.
        let prod = PendingLogin::new(&Environment::production(), RedirectTarget::Scheme, &[]);
        let url = format!("com.atomagentos.marketplace://oauth/callback?code=c&state={}&iss=x", prod.state);
        assert!(prod.validate(&url, now).is_ok());
        // A server the user described without an issuer: an answer that names one is refused (a
        // mix-up: RFC 9700 §4.4), before any token request.
        let custom = Environment::custom(&crate::CustomEnvironment {
            api_base: "https://api.example.com".into(),
            authorize_url: "https://api.example.com/authorize".into(),
            token_url: "https://api.example.com/token".into(),
            client_id: "desk".into(),
            ..Default::default()
        })
        .unwrap();
        let typed = PendingLogin::new(&custom, RedirectTarget::Scheme, &[]);
        let tag = custom.redirect_tag().unwrap();
        let url = format!("com.atomagentos.marketplace://oauth/callback/{tag}?code=c&state={}", typed.state);
        assert!(typed.validate(&url, now).is_ok());
        assert_eq!(
            typed.validate(&format!("{url}&iss=https%3A%2F%2Fhonest.example"), now),
            Err(CallbackError::IssuerUnknown { iss: "https://honest.example".into() })
        );
        let shared = format!("com.atomagentos.marketplace://oauth/callback?code=c&state={}", typed.state);
        assert_eq!(typed.validate(&shared, now), Err(CallbackError::WrongPath), "its own redirect only");
    }

    #[test]
    fn each_login_has_fresh_state_and_verifier() {
        let env = Environment::production();
        let a = PendingLogin::new(&env, RedirectTarget::Scheme, &[]);
        let b = PendingLogin::new(&env, RedirectTarget::Scheme, &[]);
        assert_ne!(a.state, b.state);
        assert_ne!(a.verifier.expose(), b.verifier.expose());
    }
}
