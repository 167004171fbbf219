//! The OAuth 2.0 authorization server: authorize (consent page), token, revoke.
//! Authorization Code with PKCE S256 only (RFC 6749, RFC 7636, RFC 8252 for native apps, RFC 7009).
//!
//! `clients` (who may ask), `store` (what is remembered), `pages` (what the browser sees),
//! `authorize` and `token` (the endpoints); this file holds the helpers they share.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::contract::{limits, SCOPE_READ, SCOPE_WRITE};
use crate::demo::DEMO_USER_ID;
use crate::error::OAuthError;
use crate::{db, unix_now_ms, AppState};

mod authorize;
mod clients;
mod pages;
mod store;
mod token;

pub use authorize::{authorize, decide, metadata};
pub use clients::{client, redirect_allowed, Client, CLIENTS};
pub use store::{BearerCheck, Grant, OAuthStore, TokenKind, TokenStatus};
pub use token::{revoke, token};

use pages::{consent_html, error_page, page};
use store::{persist, AuthCode, Consent};

pub fn hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

fn random_token(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The S256 transform of RFC 7636 §4.2.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn is_base64url(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_verifier(s: &str) -> bool {
    (limits::CODE_VERIFIER_MIN..=limits::CODE_VERIFIER_MAX).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn loopback_redirect_matches_any_port_but_only_the_registered_path() {
        let c = client("atom-desktop").unwrap();
        assert!(redirect_allowed(c, "http://127.0.0.1:51234/oauth/callback"));
        assert!(redirect_allowed(c, "http://127.0.0.1/oauth/callback"));
        assert!(redirect_allowed(c, "com.atomagentos.marketplace://oauth/callback"));
        assert!(!redirect_allowed(c, "http://127.0.0.1:51234/other"));
        assert!(!redirect_allowed(c, "http://localhost:51234/oauth/callback"));
        assert!(!redirect_allowed(c, "https://127.0.0.1:51234/oauth/callback"));
        assert!(!redirect_allowed(c, "http://127.0.0.1:5/oauth/callback?x=1"));
        assert!(!redirect_allowed(c, "http://user@127.0.0.1:5/oauth/callback"));
        assert!(!redirect_allowed(c, "com.atomagentos.marketplace://oauth/callback/x"));
    }

    #[test]
    fn the_desktop_client_may_give_a_server_a_redirect_of_its_own() {
        let c = client("atom-desktop").unwrap();
        assert!(redirect_allowed(c, "com.atomagentos.marketplace://oauth/callback/0a1b2c3d"));
        assert!(redirect_allowed(c, "http://127.0.0.1:51234/oauth/callback/0a1b2c3d"));
        for refused in [
            "com.atomagentos.marketplace://oauth/callback/0A1B2C3D",
            "com.atomagentos.marketplace://oauth/callback/0a1b2c3",
            "com.atomagentos.marketplace://oauth/callback/0a1b2c3d/0a1b2c3d",
            "com.atomagentos.marketplace://oauth/other/0a1b2c3d",
            "http://127.0.0.1:5/oauth/callback/0a1b2c3d?x=1",
        ] {
            assert!(!redirect_allowed(c, refused), "{refused}");
        }
        let confidential = client("atom-test-confidential").unwrap();
        assert!(!redirect_allowed(confidential, "https://client.example.test/callback/0a1b2c3d"));
    }

    use super::pages::html_escape;

    #[test]
    fn escapes_html() {
        assert_eq!(
            html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
