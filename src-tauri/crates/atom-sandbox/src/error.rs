//! Errors of the marketplace API (the `{success:false,error,meta}` envelope) and of the OAuth endpoints
//! (RFC 6749 §5.2).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// A marketplace API error. It is rendered into the envelope by the API middleware, which knows the
/// request id; a handler only says what went wrong.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), details: json!({}), retry_after: None }
    }

    pub fn invalid_api_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_API_KEY",
            "The API key is malformed, unknown or revoked.",
        )
    }

    pub fn auth_required() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_REQUIRED",
            "This action needs an API key or an OAuth token.",
        )
    }

    pub fn token_invalid() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "OAUTH_TOKEN_INVALID", "The access token is unknown or revoked.")
    }

    pub fn token_expired() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "OAUTH_TOKEN_EXPIRED", "The access token has expired.")
    }

    pub fn insufficient_scope(needed: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "INSUFFICIENT_SCOPE",
            format!("This action needs the {needed} scope."),
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", format!("{what} was not found."))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "CONFLICT", message)
    }

    pub fn validation(fields: Map<String, Value>) -> Self {
        let mut e =
            Self::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR", "Some fields are invalid.");
        e.details = json!({ "fields": fields });
        e
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = Map::new();
        fields.insert(field.to_string(), Value::String(message.into()));
        Self::validation(fields)
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMIT_EXCEEDED",
            format!("Rate limit exceeded; retry in {retry_after} s."),
        );
        e.retry_after = Some(retry_after);
        e.details = json!({ "retry_after": retry_after });
        e
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("The request body is larger than {} bytes.", crate::contract::limits::MAX_BODY_BYTES),
        )
    }

    /// [chosen] A body that does not say `Content-Type: application/json`.
    pub fn unsupported_media_type() -> Self {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Send the body as JSON, with Content-Type: application/json.",
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", message)
    }

    /// The envelope, with the request's id.
    pub fn body(&self, request_id: &str) -> Value {
        json!({
            "success": false,
            "error": { "code": self.code, "message": self.message, "details": self.details },
            "meta": { "timestamp": crate::model::rfc3339(time::OffsetDateTime::now_utc()), "request_id": request_id },
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The middleware replaces this body with the full envelope; a response that bypasses it still
        // carries a valid envelope.
        let body = self.body("unknown");
        let mut resp = (self.status, axum::Json(body)).into_response();
        if matches!(self.code, "OAUTH_TOKEN_INVALID" | "OAUTH_TOKEN_EXPIRED") {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
        }
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp.extensions_mut().insert(self);
        resp
    }
}

/// An OAuth token or revocation endpoint error (RFC 6749 §5.2).
#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    /// Set when the client tried HTTP Basic authentication (RFC 6749 §5.2: answer with a challenge).
    pub basic_challenge: bool,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        let status =
            if error == "invalid_client" { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
        OAuthError { status, error, description: description.into(), basic_challenge: false }
    }

    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new("invalid_request", d)
    }

    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new("invalid_grant", d)
    }

    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new("invalid_client", d)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut resp =
            (self.status, axum::Json(json!({ "error": self.error, "error_description": self.description })))
                .into_response();
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.basic_challenge {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"atom-sandbox\""));
        }
        resp
    }
}
