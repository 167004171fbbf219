//! Reading a server's error replies: the marketplace's (every shape ATOM has used, and RFC 6750's
//! `WWW-Authenticate` challenge) and the OAuth endpoints' (RFC 6749 §5.2). Never fails, and whatever
//! the reply holds reaches the window bounded.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, OAuthStep};

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.chars().take(500).collect()),
        _ => None,
    }
}

/// The most field errors one reply brings to the window.
pub const FIELDS_MAX: usize = 50;

/// A field error as the window gets it: the name cut to 64 characters, the message to 300.
fn bounded_field(name: &str, message: &str) -> (String, String) {
    (name.chars().take(64).collect(), message.chars().take(300).collect())
}

fn fields_of(details: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(map) = details.get("fields").and_then(Value::as_object) {
        for (k, v) in map.iter().take(FIELDS_MAX) {
            let message = match v {
                Value::String(s) => s.clone(),
                Value::Array(items) => items.iter().take(10).filter_map(text).collect::<Vec<_>>().join("; "),
                other => other.to_string().chars().take(300).collect(),
            };
            let (k, message) = bounded_field(k, &message);
            out.insert(k, message);
        }
    }
    out
}

/// `{"detail":[{"loc":["body","name"],"msg":"..."}]}`, as FastAPI services answer.
fn fields_of_detail_list(items: &[Value]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for item in items {
        let field = item
            .get("loc")
            .and_then(Value::as_array)
            .and_then(|loc| loc.iter().rev().find_map(|p| p.as_str().map(str::to_string)))
            .unwrap_or_else(|| "body".into());
        if let Some(msg) = item.get("msg").and_then(text) {
            let (field, msg) = bounded_field(&field, &msg);
            out.entry(field).or_insert(msg);
        }
        if out.len() == FIELDS_MAX {
            break;
        }
    }
    out
}

/// Reads a marketplace error reply of any shape ATOM has used, or none; never fails.
pub fn parse_api_error(status: u16, body: &[u8], retry_after: Option<Duration>) -> Error {
    // Only a proxy answers 407: a plain-HTTP request went through one that wants a password.
    if status == 407 {
        return Error::ProxyWantsPassword;
    }
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let mut code = String::new();
    let mut message = None;
    let mut fields = BTreeMap::new();
    let mut request_id = None;
    if let Some(v) = &json {
        match v.get("error") {
            // The documented envelope.
            Some(err @ Value::Object(_)) => {
                code = err.get("code").and_then(Value::as_str).unwrap_or_default().to_string();
                message = err.get("message").and_then(text);
                fields = err.get("details").map(fields_of).unwrap_or_default();
                request_id = v.pointer("/meta/request_id").and_then(Value::as_str).map(str::to_string);
            }
            // `{"error":"...","detail":"..."}` and OAuth-style `{"error","error_description"}`.
            Some(Value::String(e)) => {
                code = e.clone();
                message =
                    v.get("detail").and_then(text).or_else(|| v.get("error_description").and_then(text));
            }
            _ => {}
        }
        if code.is_empty() {
            if let Some(c) = v.get("error_code").and_then(Value::as_str) {
                code = c.to_string();
            }
        }
        if message.is_none() {
            message = v.get("message").and_then(text);
        }
        match v.get("detail") {
            Some(Value::Array(items)) if fields.is_empty() => {
                fields = fields_of_detail_list(items);
                if code.is_empty() && !fields.is_empty() {
                    code = "VALIDATION_ERROR".into();
                }
            }
            Some(d @ Value::String(_)) if message.is_none() => message = text(d),
            Some(d @ Value::Object(_)) if message.is_none() => {
                message = d
                    .get("message")
                    .and_then(text)
                    .or_else(|| Some(d.to_string().chars().take(300).collect()))
            }
            _ => {}
        }
    }
    if status == 429 || code == "RATE_LIMIT_EXCEEDED" {
        let from_body = json
            .as_ref()
            .and_then(|v| v.pointer("/error/details/retry_after"))
            .and_then(Value::as_u64)
            .map(Duration::from_secs);
        let wait = retry_after.or(from_body).unwrap_or(Duration::from_secs(60));
        return Error::RateLimited { retry_after: wait.min(crate::contract::limits::MAX_SERVER_WAIT) };
    }
    let message = message.unwrap_or_else(|| match status {
        401 => "Authentication is required.".into(),
        403 => "This credential is not allowed to do that.".into(),
        404 => "Not found.".into(),
        500..=599 => format!("The server failed (HTTP {status})."),
        _ => format!("The request failed (HTTP {status})."),
    });
    Error::Api { status, code, message, fields, request_id }
}

/// Reads an RFC 6750 `WWW-Authenticate: Bearer error="…", error_description="…"` challenge, among
/// any others the header holds.
pub fn bearer_challenge(header: &str) -> Option<(String, Option<String>)> {
    let (_, params) =
        challenges(header)?.into_iter().find(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))?;
    let param = |name: &str| params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v);
    let error = param("error")?.chars().take(64).collect::<String>();
    let description = param("error_description").map(|d| d.chars().take(300).collect::<String>());
    Some((error, description))
}

/// An authentication scheme and its parameters, as a `WWW-Authenticate` header names them.
type Challenge = (String, Vec<(String, String)>);

/// The challenges of a `WWW-Authenticate` header (RFC 9110 §11.6.1): each scheme with its parameters,
/// values unquoted (`\"` is a quote). A token not followed by `=` starts the next challenge. `None`
/// for a header that does not parse (an unterminated quoted string).
fn challenges(header: &str) -> Option<Vec<Challenge>> {
    let is_token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~/".contains(c);
    let mut out: Vec<Challenge> = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.is_empty() {
            return Some(out);
        }
        let end = rest.find(|c: char| !is_token(c)).unwrap_or(rest.len());
        if end == 0 {
            // Not a token (a stray character): skip it.
            rest = &rest[rest.chars().next().map_or(1, char::len_utf8)..];
            continue;
        }
        let token = &rest[..end];
        let after = rest[end..].trim_start();
        match (after.strip_prefix('='), out.last_mut()) {
            (Some(value), Some((_, params))) if !value.starts_with('=') => {
                let value = value.trim_start();
                let (value, tail) = match value.strip_prefix('"') {
                    Some(quoted) => unquote(quoted)?,
                    None => {
                        let end = value.find(',').unwrap_or(value.len());
                        (value[..end].trim().to_string(), &value[end..])
                    }
                };
                params.push((token.to_string(), value));
                rest = tail;
            }
            // A token68 (`Negotiate abc==`): the credentials' form, no parameters to read.
            (Some(_), Some(_)) => {
                let end = after.find(',').unwrap_or(after.len());
                rest = &after[end..];
            }
            _ => {
                out.push((token.to_string(), Vec::new()));
                rest = after;
            }
        }
    }
}

/// A quoted string's value, from just after its opening quote, and what follows its closing one.
fn unquote(s: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &s[i + 1..])),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    None
}

/// Adds what a `WWW-Authenticate` challenge says to an API error whose body did not say it.
pub fn with_bearer_challenge(error: Error, header: Option<&str>) -> Error {
    let Some((challenge, description)) = header.and_then(bearer_challenge) else { return error };
    match error {
        Error::Api { status, code, message, fields, request_id } if code.is_empty() || code == challenge => {
            let message = match description {
                Some(d) if code.is_empty() => d,
                _ => message,
            };
            Error::Api { status, code: challenge, message, fields, request_id }
        }
        other => other,
    }
}

/// Reads an OAuth endpoint error reply (RFC 6749 §5.2), or whatever else came back, for `step`.
pub fn parse_oauth_error(status: u16, body: &[u8], step: OAuthStep) -> Error {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if let Some(error) = json.as_ref().and_then(|v| v.get("error")).and_then(Value::as_str) {
        let error: String = error.chars().take(64).collect();
        let description = json
            .as_ref()
            .and_then(|v| v.get("error_description"))
            .and_then(text)
            .unwrap_or_else(|| error.replace('_', " "));
        return Error::OAuth { status, error, description, step };
    }
    match status {
        500..=599 => Error::Api {
            status,
            code: String::new(),
            message: format!("The sign-in server failed (HTTP {status})."),
            fields: BTreeMap::new(),
            request_id: None,
        },
        _ => Error::BadResponse(format!("HTTP {status} from the sign-in server")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_envelope() {
        let body =
            br#"{"success":false,"error":{"code":"VALIDATION_ERROR","message":"Some fields are invalid.",
            "details":{"fields":{"name":"too short"}}},"meta":{"timestamp":"t","request_id":"r-1"}}"#;
        let e = parse_api_error(422, body, None);
        assert_eq!(e.code(), "validation");
        assert_eq!(e.to_string(), "Some fields are invalid.");
        let info = e.info();
        assert_eq!(info.fields["name"], "too short");
        assert_eq!(info.request_id.as_deref(), Some("r-1"));
    }

    #[test]
    fn reads_every_other_shape_atom_has_used() {
        let e = parse_api_error(401, br#"{"error_code":"INVALID_API_KEY","message":"bad key"}"#, None);
        assert_eq!((e.code().as_str(), e.to_string()), ("invalid_api_key", "bad key".to_string()));
        let e = parse_api_error(404, br#"{"error":"NOT_FOUND","detail":"no such skill"}"#, None);
        assert_eq!((e.code().as_str(), e.to_string()), ("not_found", "no such skill".to_string()));
        let e = parse_api_error(400, br#"{"detail":"Bad filter"}"#, None);
        assert_eq!((e.code().as_str(), e.to_string()), ("validation", "Bad filter".to_string()));
        let e = parse_api_error(422, br#"{"detail":[{"loc":["body","version"],"msg":"not semver"}]}"#, None);
        assert_eq!(e.code(), "validation");
        assert_eq!(e.info().fields["version"], "not semver");
        let e = parse_api_error(500, br#"{"detail":{"reason":"db down"}}"#, None);
        assert_eq!(e.code(), "server_error");
    }

    #[test]
    fn unknown_and_garbage_bodies_fall_back_on_the_status() {
        for (status, body, code) in [
            (503, &b"<html>Bad gateway</html>"[..], "server_error"),
            (403, &b""[..], "insufficient_scope"),
            (418, &b"{\"weird\": true}"[..], "api_error"),
            (404, &b"\xff\xfe\x00"[..], "not_found"),
            (409, &b"[1,2,3]"[..], "conflict"),
            (407, &b"<html>Proxy Authentication Required</html>"[..], "proxy"),
        ] {
            let e = parse_api_error(status, body, None);
            assert_eq!(e.code(), code, "{status}");
            assert!(!e.to_string().contains("<html>"));
        }
    }

    #[test]
    fn rate_limit_prefers_retry_after_header() {
        let body =
            br#"{"error":{"code":"RATE_LIMIT_EXCEEDED","message":"slow","details":{"retry_after":9}}}"#;
        let e = parse_api_error(429, body, Some(Duration::from_secs(3)));
        assert!(matches!(e, Error::RateLimited { retry_after } if retry_after == Duration::from_secs(3)));
        let e = parse_api_error(429, body, None);
        assert_eq!(e.info().retry_after_secs, Some(9));
        assert!(e.hint().contains("9 s"));
    }

    #[test]
    fn oauth_errors_carry_the_guides_fixes() {
        let e = parse_oauth_error(
            400,
            br#"{"error":"invalid_grant","error_description":"code expired"}"#,
            OAuthStep::SignIn,
        );
        assert_eq!(e.code(), "invalid_grant");
        assert!(e.hint().contains("10 minutes"));
        let e = parse_oauth_error(401, br#"{"error":"invalid_client"}"#, OAuthStep::SignIn);
        assert_eq!(e.code(), "invalid_client");
        assert!(e.hint().contains("client ID or secret"));
        assert_eq!(parse_oauth_error(502, b"<html>", OAuthStep::SignIn).code(), "server_error");
        assert_eq!(parse_oauth_error(200, b"nonsense", OAuthStep::SignIn).code(), "bad_response");
    }

    #[test]
    fn hints_fit_the_step_that_failed() {
        let body = br#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#;
        let at_sign_in = parse_oauth_error(400, body, OAuthStep::SignIn);
        let at_refresh = parse_oauth_error(400, body, OAuthStep::Refresh);
        assert!(at_sign_in.hint().contains("10 minutes"), "a sign-in code's troubles");
        assert!(!at_refresh.hint().contains("code"), "a refresh is not about codes: {}", at_refresh.hint());
        assert!(at_refresh.hint().starts_with("Sign in again"));
        // Re-authentication keeps the server's words and the advice apart.
        let e = Error::NeedsReauth(Box::new(at_refresh));
        assert_eq!(e.to_string(), "your session has ended (grant request is invalid)");
        assert!(e.hint().starts_with("Sign in again"));
        assert!(!e.info().message.contains("Sign in again"));
    }

    #[test]
    fn a_form_only_server_refusing_json_points_at_the_setting() {
        let body = br#"{"error":"invalid_request","error_description":"only application/x-www-form-urlencoded content-type bodies are supported"}"#;
        let e = parse_oauth_error(400, body, OAuthStep::SignIn);
        assert_eq!(e.code(), "token_encoding");
        assert!(e.hint().contains("form"), "{}", e.hint());
    }

    /// Quoted strings with escapes (RFC 9110 §5.6.4), and several challenges in one header (§11.6.1),
    /// the Bearer one anywhere among them.
    #[test]
    fn bearer_challenges_with_escapes_or_among_others_are_read() {
        assert_eq!(
            bearer_challenge(
                r#"Bearer realm="say \"hi\", please", error="invalid_token", error_description="The token \"x\" expired""#
            ),
            Some(("invalid_token".into(), Some(r#"The token "x" expired"#.into())))
        );
        assert_eq!(
            bearer_challenge(
                r#"Basic realm="api, v1", charset="UTF-8", Bearer error="insufficient_scope", scope="write""#
            ),
            Some(("insufficient_scope".into(), None))
        );
        assert_eq!(
            bearer_challenge(r#"Bearer error="invalid_token", Basic realm="x""#),
            Some(("invalid_token".into(), None))
        );
        assert_eq!(
            bearer_challenge(
                r#"Newauth realm="apps", type=1, title="Login to \"apps\"", bearer error=invalid_token"#
            ),
            Some(("invalid_token".into(), None))
        );
        assert_eq!(bearer_challenge(r#"Basic realm="x", Negotiate abc=="#), None);
    }

    /// A server's field errors reach the window bounded: at most [`FIELDS_MAX`] fields, names and messages
    /// cut to length, whatever the reply holds.
    #[test]
    fn field_errors_are_bounded() {
        let fields: serde_json::Map<String, Value> =
            (0..1000).map(|i| (format!("{i}{}", "n".repeat(500)), Value::String("m".repeat(5000)))).collect();
        let body = serde_json::json!({"error": {"code": "VALIDATION_ERROR", "message": "x", "details": {"fields": fields}}});
        let info = parse_api_error(422, body.to_string().as_bytes(), None).info();
        assert_eq!(info.fields.len(), FIELDS_MAX);
        assert!(info.fields.iter().all(|(k, v)| k.chars().count() <= 64 && v.chars().count() <= 300));
        let detail: Vec<Value> = (0..1000)
            .map(|i| serde_json::json!({"loc": ["body", format!("f{i}")], "msg": "m".repeat(5000)}))
            .collect();
        let info =
            parse_api_error(422, serde_json::json!({"detail": detail}).to_string().as_bytes(), None).info();
        assert_eq!(info.fields.len(), FIELDS_MAX);
        assert!(info.fields.values().all(|v| v.chars().count() <= 300));
    }

    #[test]
    fn bearer_challenges_are_read() {
        assert_eq!(
            bearer_challenge(
                r#"Bearer realm="api", error="invalid_token", error_description="The access token expired""#
            ),
            Some(("invalid_token".into(), Some("The access token expired".into())))
        );
        assert_eq!(
            bearer_challenge("Bearer error=insufficient_scope"),
            Some(("insufficient_scope".into(), None))
        );
        assert_eq!(bearer_challenge(r#"Basic realm="x""#), None);
        assert_eq!(bearer_challenge("Bearer"), None);
        assert_eq!(bearer_challenge(r#"Bearer error="unterminated"#), None);
        let plain = parse_api_error(401, br#""#, None);
        let e = with_bearer_challenge(plain, Some(r#"Bearer error="invalid_token""#));
        assert_eq!(e.code(), "token_invalid");
        let e = parse_api_error(401, br#"{"error":"invalid_token"}"#, None);
        assert_eq!(e.code(), "token_invalid", "RFC 6750's code in a body");
        let e = with_bearer_challenge(
            parse_api_error(403, b"", None),
            Some(r#"Bearer error="insufficient_scope""#),
        );
        assert_eq!(e.code(), "insufficient_scope");
        assert!(e.hint().contains("can only browse"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const CODES: &[&str] = &[
            "invalid_api_key",
            "auth_required",
            "token_invalid",
            "token_expired",
            "insufficient_scope",
            "not_found",
            "conflict",
            "validation",
            "rate_limited",
            "too_large",
            "server_error",
            "api_error",
            "invalid_grant",
            "invalid_client",
            "invalid_scope",
            "oauth_error",
            "bad_response",
            "token_encoding",
            // 407, whatever the body: a proxy on the way wants a password.
            "proxy",
        ];

        /// JSON of any shape, with the names error replies use so that the interesting branches run.
        fn json() -> impl Strategy<Value = Value> {
            let name = prop_oneof![
                Just("error".to_string()),
                Just("code".to_string()),
                Just("message".to_string()),
                Just("details".to_string()),
                Just("fields".to_string()),
                Just("detail".to_string()),
                Just("error_code".to_string()),
                Just("error_description".to_string()),
                Just("loc".to_string()),
                Just("msg".to_string()),
                Just("retry_after".to_string()),
                Just("meta".to_string()),
                Just("request_id".to_string()),
                "\\PC{0,8}",
            ];
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<f64>()
                    .prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
                "\\PC{0,600}".prop_map(Value::String),
                Just(Value::String("RATE_LIMIT_EXCEEDED".into())),
                Just(Value::String("INVALID_API_KEY".into())),
            ];
            leaf.prop_recursive(4, 64, 6, move |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    proptest::collection::btree_map(name.clone(), inner, 0..6)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        /// The shapes ATOM has used, with arbitrary contents.
        fn shaped() -> impl Strategy<Value = Value> {
            (json(), json(), json(), "\\PC{0,700}").prop_flat_map(|(a, b, c, text)| {
                prop_oneof![
                    Just(serde_json::json!({"success": false, "error": {"code": text, "message": a, "details": b}, "meta": c})),
                    Just(serde_json::json!({"error": text, "detail": a})),
                    Just(serde_json::json!({"error": text, "error_description": a})),
                    Just(serde_json::json!({"error_code": text, "message": a})),
                    Just(serde_json::json!({"detail": a})),
                    Just(serde_json::json!({"detail": [{"loc": a, "msg": b}, c]})),
                ]
            })
        }

        fn body() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
                shaped().prop_map(|v| serde_json::to_vec(&v).unwrap()),
                proptest::collection::vec(any::<u8>(), 0..300),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1000))]

            #[test]
            fn any_api_error_reply_is_read_without_panic_and_within_bounds(
                status in 100u16..600, body in body(), retry in proptest::option::of(any::<u64>()),
            ) {
                let e = parse_api_error(status, &body, retry.map(Duration::from_secs));
                let info = e.info();
                prop_assert!(CODES.contains(&info.code.as_str()), "unknown code {}", info.code);
                prop_assert!(info.message.chars().count() <= 600, "message of {} chars", info.message.chars().count());
                prop_assert!(!info.hint.is_empty());
                prop_assert!(info.fields.len() <= FIELDS_MAX);
                prop_assert!(info.fields.iter().all(|(k, v)| k.chars().count() <= 64 && v.chars().count() <= 300));
                if let Error::RateLimited { retry_after } = e {
                    prop_assert!(retry_after <= crate::contract::limits::MAX_SERVER_WAIT);
                }
            }

            #[test]
            fn any_authenticate_header_is_read_without_panic(header in "[ -~]{0,120}") {
                if let Some((error, description)) = bearer_challenge(&header) {
                    prop_assert!(error.chars().count() <= 64);
                    prop_assert!(description.is_none_or(|d| d.chars().count() <= 300));
                }
            }

            #[test]
            fn any_oauth_error_reply_is_read_without_panic_and_within_bounds(status in 100u16..600, body in body()) {
                let e = parse_oauth_error(status, &body, OAuthStep::Refresh);
                let info = e.info();
                prop_assert!(CODES.contains(&info.code.as_str()), "unknown code {}", info.code);
                if let Error::OAuth { error, description, .. } = &e {
                    prop_assert!(error.chars().count() <= 64);
                    prop_assert!(description.chars().count() <= 500);
                }
            }
        }
    }
}
