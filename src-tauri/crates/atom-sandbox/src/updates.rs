//! (ours) An update feed for the app's tests: the files a test puts in a folder (`--updates-dir`),
//! served as the app's release host serves them, so that a scenario can offer a good update, a
//! forged one, an older one, or one whose download breaks off. Not part of ATOM's API.
//!
//! - `GET /updates/latest.json`: the folder's `latest.json` as it is (the test writes good and bad
//!   feeds alike), or 204 No Content when there is none (the updater's "no update").
//! - `GET /updates/files/{name}`: one file of the folder; `?cut=half` announces its whole length,
//!   sends the first half, and breaks the connection.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;

/// A file name of the folder: letters, digits, `.`, `_`, `-`, not starting with a dot.
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

async fn read(state: &AppState, name: &str) -> Option<Vec<u8>> {
    let path = state.config.updates_dir.as_ref()?.join(name);
    tokio::task::spawn_blocking(move || std::fs::read(path).ok()).await.ok().flatten()
}

pub(crate) async fn feed(State(state): State<Arc<AppState>>) -> Response {
    match read(&state, "latest.json").await {
        Some(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct FileQuery {
    cut: Option<String>,
}

pub(crate) async fn file(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(query): Query<FileQuery>,
) -> Response {
    if !safe_name(&name) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(bytes) = read(&state, &name).await else { return StatusCode::NOT_FOUND.into_response() };
    let length = bytes.len();
    let body = if query.cut.as_deref() == Some("half") {
        let half = Bytes::from(bytes[..length / 2].to_vec());
        // The break comes a moment after the first half, as a dropped line's would: the headers and
        // the half are on their way by then.
        let chunks = futures_util::stream::unfold(0u8, move |step| {
            let half = half.clone();
            async move {
                match step {
                    0 => Some((Ok(half), 1)),
                    1 => {
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        let broken =
                            std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cut off half way");
                        Some((Err(broken), 2))
                    }
                    _ => None,
                }
            }
        });
        Body::from_stream(chunks)
    } else {
        Body::from(bytes)
    };
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, length.to_string()),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_names_of_the_folder_are_served() {
        for ok in ["latest.json", "ATOM_0.1.1_amd64.deb", "a-b_c.sig"] {
            assert!(super::safe_name(ok), "{ok}");
        }
        for bad in ["", ".hidden", "../etc", "a/b", "a\\b", "%2e%2e"] {
            assert!(!super::safe_name(bad), "{bad}");
        }
    }
}
