//! The rules the app gives the updater's HTTP client (`atom_core::http::configure_for_downloads`),
//! against a real server on loopback: a redirect to plain HTTP on another host is refused before
//! anything is sent there, one on this computer is followed, and a redirect loop ends.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server that answers by path: `/to-plain` redirects to plain HTTP elsewhere, `/to-here` to
/// `/file` on this server, `/loop` to itself, `/file` is the file.
async fn server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let here = base.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let here = here.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let reply = match path.as_str() {
                    "/to-plain" => redirect("http://updates.example.com/app.deb"),
                    "/to-here" => redirect(&format!("{here}/file")),
                    "/loop" => redirect(&format!("{here}/loop")),
                    _ => "HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\nfile".to_string(),
                };
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    base
}

fn redirect(to: &str) -> String {
    format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
}

fn client() -> reqwest::Client {
    atom_core::http::configure_for_downloads(reqwest::Client::builder(), true).build().unwrap()
}

#[tokio::test]
async fn a_redirect_to_plain_http_elsewhere_is_refused() {
    let base = server().await;
    let error = client().get(format!("{base}/to-plain")).send().await.unwrap_err();
    assert!(error.is_redirect(), "{error:?}");
    assert!(format!("{error:?}").contains("a redirect left HTTPS"), "{error:?}");
}

#[tokio::test]
async fn a_redirect_on_this_computer_is_followed_and_a_loop_ends() {
    let base = server().await;
    let reply = client().get(format!("{base}/to-here")).send().await.unwrap();
    assert_eq!(reply.text().await.unwrap(), "file");
    let error = client().get(format!("{base}/loop")).send().await.unwrap_err();
    assert!(format!("{error:?}").contains("too many redirects"), "{error:?}");
}

mod bounded {
    //! An update's feed and package, read within a size cap and a deadline
    //! (`atom_core::http::download`), against a hostile server on loopback: one that never ends, one
    //! that announces a terabyte, one that drips, one that breaks off.
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use atom_core::http::download::{fetch, Bounds, DownloadError};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const CAP: u64 = 1024 * 1024;

    /// The server; and how many body bytes it managed to write, in all.
    async fn hostile() -> (String, Arc<AtomicU64>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let written = Arc::new(AtomicU64::new(0));
        let counted = written.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else { return };
                let counted = counted.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).to_string();
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let send = |bytes: usize| vec![b'x'; bytes];
                    match path.as_str() {
                        "/endless" => {
                            let _ = socket
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n")
                                .await;
                            let chunk = send(64 * 1024);
                            while socket.write_all(&chunk).await.is_ok() {
                                counted.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                            }
                        }
                        "/terabyte" => {
                            let _ = socket
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1099511627776\r\n\r\n")
                                .await;
                            let chunk = send(64 * 1024);
                            while socket.write_all(&chunk).await.is_ok() {
                                counted.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                            }
                        }
                        "/drip" => {
                            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n").await;
                            for _ in 0..100 {
                                tokio::time::sleep(Duration::from_millis(100)).await;
                                if socket.write_all(b"x").await.is_err() {
                                    return;
                                }
                            }
                        }
                        "/cut" => {
                            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n").await;
                            let _ = socket.write_all(&send(50)).await;
                        }
                        "/nothing" => {
                            let _ = socket.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
                        }
                        _ => {
                            let _ = socket
                                .write_all(
                                    b"HTTP/1.1 200 OK\r\ncontent-length: 300000\r\nconnection: close\r\n\r\n",
                                )
                                .await;
                            let _ = socket.write_all(&send(300_000)).await;
                        }
                    }
                });
            }
        });
        (base, written)
    }

    fn client() -> reqwest::Client {
        atom_core::http::configure_for_downloads(reqwest::Client::builder(), true).build().unwrap()
    }

    fn bounds(deadline_ms: u64) -> Bounds {
        Bounds { max_bytes: CAP, deadline: Duration::from_millis(deadline_ms) }
    }

    async fn get(base: &str, path: &str, deadline_ms: u64) -> Result<Option<Vec<u8>>, DownloadError> {
        let url = url::Url::parse(&format!("{base}{path}")).unwrap();
        fetch(&client(), &url, bounds(deadline_ms), |_, _| {}).await
    }

    /// An endless body is refused once it passes the cap: the client read no more than the cap and
    /// what the sockets held (the server wrote at most a few MiB before it was cut off).
    #[tokio::test]
    async fn a_body_that_never_ends_is_refused_at_the_cap() {
        let (base, written) = hostile().await;
        assert_eq!(get(&base, "/endless", 20_000).await, Err(DownloadError::TooLarge { max: CAP }));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let sent = written.load(Ordering::SeqCst);
        assert!(sent < CAP + 8 * 1024 * 1024, "the server got {sent} bytes out before the client stopped");
    }

    #[tokio::test]
    async fn a_terabyte_announced_is_refused_before_it_is_read() {
        let (base, _) = hostile().await;
        assert_eq!(get(&base, "/terabyte", 20_000).await, Err(DownloadError::TooLarge { max: CAP }));
    }

    #[tokio::test]
    async fn a_download_that_drips_is_ended_at_its_deadline() {
        let (base, _) = hostile().await;
        let started = std::time::Instant::now();
        assert_eq!(
            get(&base, "/drip", 1_000).await,
            Err(DownloadError::TooSlow(Duration::from_millis(1_000)))
        );
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn a_download_cut_off_half_way_is_broken_and_a_whole_one_is_read_with_its_progress() {
        let (base, _) = hostile().await;
        assert!(matches!(get(&base, "/cut", 5_000).await, Err(DownloadError::Broken(_))));
        assert_eq!(get(&base, "/nothing", 5_000).await, Ok(None), "204: nothing");
        let url = url::Url::parse(&format!("{base}/file")).unwrap();
        let mut seen = Vec::new();
        let body = fetch(&client(), &url, bounds(5_000), |got, total| seen.push((got, total))).await;
        assert_eq!(body.unwrap().unwrap().len(), 300_000);
        assert_eq!(seen.last(), Some(&(300_000, Some(300_000))));
    }
}
