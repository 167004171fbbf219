//! The loopback redirect (RFC 8252 §7.3): a listener on `127.0.0.1:0` for when the URL scheme is not
//! registered. It waits for the callback of the sign-in in progress, hands its URL on once, and stops.
//!
//! Any local process can connect to it, so it must not be easy to knock over: connections are served
//! concurrently (a slow or silent one cannot hold up the browser's), other paths get a 404 and do not
//! count, and a callback whose `state` is not the pending sign-in's gets a page saying so while the
//! listener goes on waiting. Oversized or slow requests are dropped.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;

const READ_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// As long as a sign-in may take.
const LIFETIME: Duration = Duration::from_secs(600);
/// Connections served at once; more wait in the kernel's queue.
const CONCURRENT: usize = 16;
const CALLBACK_PATH: &str = "/oauth/callback";

fn page(title: &str, text: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>ATOM Marketplace</title>\
<body style=\"font:16px system-ui,sans-serif;max-width:30rem;margin:4rem auto;text-align:center\">\
<h1 style=\"font-size:1.3rem\">{title}</h1><p>{text}</p></body></html>"
    )
}

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

/// The request target of a `GET` request head.
fn get_target(head: &str) -> Option<&str> {
    head.lines().next()?.strip_prefix("GET ")?.split(' ').next()
}

type OnCallback = Box<dyn FnOnce(String) + Send>;

struct Shared {
    port: u16,
    is_pending: Box<dyn Fn(&str) -> bool + Send + Sync>,
    on_callback: Mutex<Option<OnCallback>>,
    done: Notify,
}

async fn serve(mut sock: TcpStream, shared: Arc<Shared>) {
    let Some(head) = read_head(&mut sock).await else { return };
    let target = get_target(&head).unwrap_or("").to_string();
    // The callback path, or a server's own under it (`/oauth/callback/<tag>`: the core checks which).
    let is_callback = target == CALLBACK_PATH
        || target.starts_with(&format!("{CALLBACK_PATH}?"))
        || target.starts_with(&format!("{CALLBACK_PATH}/"));
    if !is_callback {
        reply(&mut sock, "404 Not Found", "Not found").await;
        return;
    }
    let url = format!("http://127.0.0.1:{}{target}", shared.port);
    if !(shared.is_pending)(&url) {
        let text = "This page is not the answer to the sign-in the app is waiting for. \
                    Start the sign-in again from ATOM Marketplace.";
        reply(&mut sock, "400 Bad Request", &page("Not this sign-in", text)).await;
        return;
    }
    let Some(on_callback) = shared.on_callback.lock().take() else {
        reply(&mut sock, "410 Gone", &page("Already done", "You can close this tab.")).await;
        return;
    };
    let text = "Return to ATOM Marketplace to finish signing in.";
    reply(&mut sock, "200 OK", &page("You can close this tab", text)).await;
    on_callback(url);
    shared.done.notify_one();
}

/// Starts listening. `is_pending(url)` says whether a callback URL belongs to the sign-in in progress
/// (its `state`); `on_callback` receives the first one that does, and the listener stops.
pub async fn listen(
    is_pending: impl Fn(&str) -> bool + Send + Sync + 'static,
    on_callback: impl FnOnce(String) + Send + 'static,
) -> std::io::Result<Loopback> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    let shared = Arc::new(Shared {
        port,
        is_pending: Box::new(is_pending),
        on_callback: Mutex::new(Some(Box::new(on_callback))),
        done: Notify::new(),
    });
    let task = tokio::spawn(async move {
        let slots = Arc::new(Semaphore::new(CONCURRENT));
        let accept = async {
            loop {
                let Ok(permit) = slots.clone().acquire_owned().await else { return };
                let Ok((sock, _)) = listener.accept().await else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    serve(sock, shared).await;
                    drop(permit);
                });
            }
        };
        tokio::select! {
            _ = accept => {}
            _ = shared.done.notified() => {}
            _ = tokio::time::sleep(LIFETIME) => {}
        }
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

    fn state_is(expected: &'static str) -> impl Fn(&str) -> bool + Send + Sync {
        move |url: &str| {
            url::Url::parse(url).is_ok_and(|u| u.query_pairs().any(|(k, v)| k == "state" && v == expected))
        }
    }

    #[tokio::test]
    async fn hands_on_the_callback_once_and_ignores_other_paths() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let lb = listen(state_is("xyz"), move |url| {
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

    /// A server known without an issuer has a redirect of its own under the callback path.
    #[tokio::test]
    async fn a_servers_own_callback_path_is_handed_on_too() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let lb = listen(state_is("xyz"), move |url| {
            let _ = tx.send(url);
        })
        .await
        .unwrap();
        assert!(get(lb.port(), "/oauth/callbackx?state=xyz").await.starts_with("HTTP/1.1 404"));
        let page = get(lb.port(), "/oauth/callback/0a1b2c3d?code=abc&state=xyz").await;
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        let url = rx.await.unwrap();
        assert_eq!(url, format!("http://127.0.0.1:{}/oauth/callback/0a1b2c3d?code=abc&state=xyz", lb.port()));
    }

    #[tokio::test]
    async fn oversized_requests_are_dropped() {
        let lb = listen(|_: &str| true, |_| panic!("no callback")).await.unwrap();
        let mut sock = TcpStream::connect(("127.0.0.1", lb.port())).await.unwrap();
        let huge = format!("GET /oauth/callback?x={} HTTP/1.1\r\n", "a".repeat(64 * 1024));
        let _ = sock.write_all(huge.as_bytes()).await;
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(6), sock.read_to_end(&mut out)).await;
        assert!(out.is_empty(), "no answer to an oversized request");
        // Still listening for the real one.
        assert!(get(lb.port(), "/favicon.ico").await.starts_with("HTTP/1.1 404"));
    }

    #[tokio::test]
    async fn a_callback_with_a_foreign_state_does_not_stop_the_listener() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let lb = listen(state_is("mine"), move |url| {
            let _ = tx.send(url);
        })
        .await
        .unwrap();
        for forged in ["/oauth/callback?code=x&state=theirs", "/oauth/callback?code=x", "/oauth/callback"] {
            let page = get(lb.port(), forged).await;
            assert!(page.starts_with("HTTP/1.1 400") && page.contains("not the answer"), "{forged}: {page}");
        }
        assert!(get(lb.port(), "/oauth/callback?code=real&state=mine").await.starts_with("HTTP/1.1 200"));
        assert!(rx.await.unwrap().contains("code=real"));
    }

    #[tokio::test]
    async fn many_other_requests_do_not_use_it_up() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let lb = listen(state_is("mine"), move |url| {
            let _ = tx.send(url);
        })
        .await
        .unwrap();
        for _ in 0..100 {
            assert!(get(lb.port(), "/favicon.ico").await.starts_with("HTTP/1.1 404"));
        }
        assert!(get(lb.port(), "/oauth/callback?code=c&state=mine").await.starts_with("HTTP/1.1 200"));
        assert!(rx.await.is_ok());
    }

    #[tokio::test]
    async fn silent_connections_do_not_hold_up_the_browser() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let lb = listen(state_is("mine"), move |url| {
            let _ = tx.send(url);
        })
        .await
        .unwrap();
        // A local process opens connections and says nothing (each would hold a one-at-a-time server
        // for its whole read timeout).
        let mut idle = Vec::new();
        for _ in 0..8 {
            idle.push(TcpStream::connect(("127.0.0.1", lb.port())).await.unwrap());
        }
        let started = std::time::Instant::now();
        let page = get(lb.port(), "/oauth/callback?code=c&state=mine").await;
        assert!(page.starts_with("HTTP/1.1 200"));
        assert!(started.elapsed() < READ_TIMEOUT, "answered in {:?}", started.elapsed());
        assert!(rx.await.is_ok());
    }
}
