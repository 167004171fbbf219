//! Reading a download (an update's feed, its package) within bounds: a size cap, refused at once when
//! the server announces more and as soon as more arrives, and a deadline for the whole of it on top of
//! the client's wait for each read. The bytes are held in memory (the updater verifies and installs
//! bytes), so the cap bounds the memory a download can take: at most twice the cap, for a moment,
//! while the buffer grows (a server that announces its length gets it reserved once, within the cap).

use std::time::Duration;

use url::Url;

/// How much, and how long.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub max_bytes: u64,
    pub deadline: Duration,
}

/// Why a download was not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    #[error("it is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("it took longer than {} s", .0.as_secs())]
    TooSlow(Duration),
    #[error("the server answered {0}")]
    Status(u16),
    #[error("it was redirected away from HTTPS")]
    Redirected,
    #[error("the server could not be reached ({0})")]
    Unreachable(String),
    #[error("it broke off before it was complete ({0})")]
    Broken(String),
}

fn sort(e: reqwest::Error) -> DownloadError {
    if e.is_redirect() {
        DownloadError::Redirected
    } else if e.is_connect() || (e.is_timeout() && !e.is_body()) {
        DownloadError::Unreachable(e.to_string())
    } else {
        DownloadError::Broken(e.to_string())
    }
}

/// GETs `url` with `client` within `bounds`, telling `progress` (received, announced total) as chunks
/// arrive. `None`: the server has nothing (204).
pub async fn fetch(
    client: &reqwest::Client,
    url: &Url,
    bounds: Bounds,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<Option<Vec<u8>>, DownloadError> {
    let read = async {
        let mut reply = client.get(url.clone()).send().await.map_err(sort)?;
        let status = reply.status();
        if status == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(DownloadError::Status(status.as_u16()));
        }
        let announced = reply.content_length();
        if announced.is_some_and(|n| n > bounds.max_bytes) {
            return Err(DownloadError::TooLarge { max: bounds.max_bytes });
        }
        let mut bytes = Vec::with_capacity(announced.unwrap_or(0) as usize);
        while let Some(chunk) = reply.chunk().await.map_err(sort)? {
            if bytes.len() as u64 + chunk.len() as u64 > bounds.max_bytes {
                return Err(DownloadError::TooLarge { max: bounds.max_bytes });
            }
            bytes.extend_from_slice(&chunk);
            progress(bytes.len() as u64, announced);
        }
        Ok(Some(bytes))
    };
    tokio::time::timeout(bounds.deadline, read).await.unwrap_or(Err(DownloadError::TooSlow(bounds.deadline)))
}
