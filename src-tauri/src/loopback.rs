//! The loopback redirect (RFC 8252 §7.3): a one-shot listener on `127.0.0.1:0` for when the URL scheme
//! is not registered. It answers one callback request with a small page, hands the URL on, and stops.
//! Other requests (a favicon) get a 404; slow or oversized requests are dropped.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const READ_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// As long as a sign-in may take.
const LIFETIME: Duration = Duration::from_secs(600);
const MAX_CONNECTIONS: usize = 32;
const CALLBACK_PATH: &str = "/oauth/callback";

const DONE_PAGE: &str =
    "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>ATOM Marketplace</title>\
<body style=\"font:16px system-ui,sans-serif;max-width:30rem;margin:4rem auto;text-align:center\">\
<h1 style=\"font-size:1.3rem\">You can close this tab</h1>\
<p>Return to ATOM Marketplace to finish signing in.</p></body></html>";

/// A listener waiting for one callback. Dropping it stops it.
pub struct Loopback {
    port: u16,
    task: JoinHandle<()>,
}

impl Loopback {
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads a request head: up to the blank line, within the size cap and the read timeout.
async fn read_head(sock: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    let read = async {
        loop {
            let n = sock.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
                return String::from_utf8(buf).ok();
            }
            if buf.len() > MAX_REQUEST_BYTES {
                return None;
            }
        }
    };
    tokio::time::timeout(READ_TIMEOUT, read).await.ok().flatten()
}

async fn reply(sock: &mut TcpStream, status: &str, body: &str) {
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = sock.write_all(resp.as_bytes()).await;
    let _ = sock.shutdown().await;
}

/// Starts listening; `on_callback` receives the full callback URL once.
pub async fn listen(on_callback: impl FnOnce(String) + Send + 'static) -> std::io::Result<Loopback> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    let task = tokio::spawn(async move {
        let serve = async {
            for _ in 0..MAX_CONNECTIONS {
                let Ok((mut sock, _)) = listener.accept().await else { return };
                let Some(head) = read_head(&mut sock).await else { continue };
                let target = head
                    .lines()
                    .next()
                    .and_then(|line| line.strip_prefix("GET "))
                    .and_then(|rest| rest.split(' ').next())
                    .unwrap_or("")
                    .to_string();
                let is_callback = target == CALLBACK_PATH || target.starts_with(&format!("{CALLBACK_PATH}?"));
                if !is_callback {
                    reply(&mut sock, "404 Not Found", "Not found").await;
                    continue;
                }
                reply(&mut sock, "200 OK", DONE_PAGE).await;
                on_callback(format!("http://127.0.0.1:{port}{target}"));
                return;
            }
        };
        let _ = tokio::time::timeout(LIFETIME, serve).await;
    });
    Ok(Loopback { port, task })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(port: u16, path: &str) -> String {
        let mut sock = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        sock.write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).await.unwrap();
        let mut out = String::new();
        sock.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn hands_on_the_callback_once_and_ignores_other_paths() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let lb = listen(move |url| {
            let _ = tx.send(url);
        })
        .await
        .unwrap();
        assert!(get(lb.port(), "/favicon.ico").await.starts_with("HTTP/1.1 404"));
        let page = get(lb.port(), "/oauth/callback?code=abc&state=xyz").await;
        assert!(page.starts_with("HTTP/1.1 200") && page.contains("close this tab"));
        let url = rx.await.unwrap();
        assert_eq!(url, format!("http://127.0.0.1:{}/oauth/callback?code=abc&state=xyz", lb.port()));
        // It stopped: nothing listens any more.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(TcpStream::connect(("127.0.0.1", lb.port())).await.is_err());
    }

    #[tokio::test]
    async fn oversized_requests_are_dropped() {
        let lb = listen(|_| panic!("no callback")).await.unwrap();
        let mut sock = TcpStream::connect(("127.0.0.1", lb.port())).await.unwrap();
        let huge = format!("GET /oauth/callback?x={} HTTP/1.1\r\n", "a".repeat(64 * 1024));
        let _ = sock.write_all(huge.as_bytes()).await;
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(6), sock.read_to_end(&mut out)).await;
        assert!(out.is_empty(), "no answer to an oversized request");
        // Still listening for the real one.
        assert!(get(lb.port(), "/favicon.ico").await.starts_with("HTTP/1.1 404"));
    }
}
