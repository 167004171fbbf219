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
