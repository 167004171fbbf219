//! The pages the browser sees: consent and errors (templates beside this file), with headers that
//! keep them out of frames and caches.

use super::*;

pub(super) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The pages' style (inline: the pages' CSP allows inline styles and nothing else).
const PAGE_STYLE: &str = include_str!("page.css");

pub(super) fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width,initial-scale=1\"><title>{t} · ATOM Sandbox</title><style>{PAGE_STYLE}</style>\
         </head><body><main>{body_html}</main></body></html>",
        t = html_escape(title)
    );
    let mut resp = (status, Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

/// An error that must not be redirected: the redirect URI is not trusted (RFC 6749 §4.1.2.1).
pub(super) fn error_page(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Sign-in error",
        &format!(
            "<h1>This sign-in request cannot continue</h1><p>{}</p>\
             <p class=\"muted\">Nothing was shared. Return to the app and start the sign-in again.</p>",
            html_escape(message)
        ),
    )
}

/// The consent page's body, from `consent.html`; every value is escaped.
pub(super) fn consent_html(client: &Client, consent: &Consent, ticket: &str) -> String {
    let scopes: String = consent
        .scope
        .iter()
        .map(|s| {
            let what =
                if s == SCOPE_WRITE { "Submit skills, rate and review" } else { "Browse marketplace skills" };
            format!("<li><strong>{}</strong>: {}</li>", html_escape(s), what)
        })
        .collect();
    let users: String = crate::demo::USERS
        .iter()
        .map(|u| {
            let checked = if u.id == consent.user_id { " checked" } else { "" };
            format!(
                "<label class=\"user\"><input type=\"radio\" name=\"user\" value=\"{}\"{checked}> <strong>{}</strong> \
                 <span class=\"muted\">{}</span></label>",
                html_escape(u.id),
                html_escape(u.name),
                html_escape(u.email)
            )
        })
        .collect();
    include_str!("consent.html")
        .replace("{client}", &html_escape(client.name))
        .replace("{users}", &users)
        .replace("{ticket}", &html_escape(ticket))
        .replace("{scopes}", &scopes)
}
