//! HTTPS for the sandbox (`--tls-cert` / `--tls-key`), so that tests can check how a client treats a
//! certificate: trusted when its CA is in the trust store the client is given, refused otherwise.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::{Extension, Router};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A throwaway certificate authority and a certificate it issued for `localhost` and `127.0.0.1`,
/// written as PEM files: `ca.pem` (what a test puts in a client's trust store), `cert.pem` and
/// `key.pem` (what the sandbox serves). Nothing outside the test trusts it.
pub fn write_test_ca(dir: &Path) -> Result<crate::config::TlsFiles, String> {
    write_test_ca_for(dir, &[])
}

/// [`write_test_ca`], with the certificate also valid for `names` (host names or IP addresses): for
/// a sandbox listening on another of this machine's addresses.
pub fn write_test_ca_for(dir: &Path, names: &[String]) -> Result<crate::config::TlsFiles, String> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let e = |e: rcgen::Error| e.to_string();
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "ATOM sandbox test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().map_err(e)?;
    let ca_cert = ca.self_signed(&ca_key).map_err(e)?;
    let mut subject = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    subject.extend(names.iter().cloned());
    let mut leaf = CertificateParams::new(subject).map_err(e)?;
    leaf.distinguished_name.push(DnType::CommonName, "atom-sandbox");
    let key = KeyPair::generate().map_err(e)?;
    let cert = leaf.signed_by(&key, &ca_cert, &ca_key).map_err(e)?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    write("ca.pem", ca_cert.pem())?;
    write("cert.pem", cert.pem())?;
    write("key.pem", key.serialize_pem())?;
    Ok(crate::config::TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") })
}

/// A client that never finishes its handshake must not hold the listener up.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The server configuration from a PEM certificate chain and its PEM private key.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate in it", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `app` over TLS on `tcp` until `stopped` resolves. Each connection's handshake runs on its
/// own task (a client that refuses the certificate, or never finishes, holds nobody up), and each
/// request carries the peer's address as [`ConnectInfo`], as on the plain listener.
pub async fn serve(
    tcp: TcpListener,
    config: Arc<ServerConfig>,
    app: Router,
    stopped: impl std::future::Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(config);
    tokio::pin!(stopped);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stopped => return,
            accepted = tcp.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: wait, as axum's own listener does.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let app = app.clone().layer(Extension(ConnectInfo(peer)));
        tokio::spawn(async move {
            let tls: TlsStream<TcpStream> =
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => tls,
                    // A client that refuses our certificate ends here; the test that expects it looks
                    // at the client's side.
                    Ok(Err(e)) => return tracing::info!("TLS handshake with {peer} failed: {e}"),
                    Err(_) => return tracing::info!("TLS handshake with {peer} timed out"),
                };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let served = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
            if let Err(e) = served {
                tracing::debug!("connection from {peer} ended: {e}");
            }
        });
    }
}
