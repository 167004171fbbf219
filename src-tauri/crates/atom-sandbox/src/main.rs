//! `atom-sandbox`: run the local ATOM marketplace and OAuth server.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // RUST_LOG: a level or per-target levels ("atom_sandbox=debug").
    let filter: tracing_subscriber::filter::Targets =
        std::env::var("RUST_LOG").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
            tracing_subscriber::filter::Targets::new().with_target("atom_sandbox", tracing::Level::INFO)
        });
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(filter)
        .init();

    let cli = atom_sandbox::Cli::parse();
    let test_ca = cli.tls_test_ca.clone();
    let mut config: atom_sandbox::Config = cli.into();
    if let Some(dir) = test_ca {
        match atom_sandbox::tls::write_test_ca(&dir) {
            Ok(files) => config.tls = Some(files),
            Err(e) => {
                eprintln!("atom-sandbox: cannot make the test CA: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
        eprintln!("atom-sandbox: test CA in {} (trust it with SSL_CERT_FILE)", dir.join("ca.pem").display());
    }
    let auto_approve = config.auto_approve;
    let sandbox = match atom_sandbox::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("atom-sandbox: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Tests and scripts read this first line to learn the port.
    println!("atom-sandbox listening on {}", sandbox.base_url());
    println!("marketplace API: {}", sandbox.marketplace_url());
    println!("OAuth public client: atom-desktop{}", if auto_approve { " (auto-approve on)" } else { "" });
    println!("OAuth confidential client: atom-test-confidential / sandbox-secret");
    for key in atom_sandbox::API_KEYS {
        let scope = if key.write { "read_write" } else { "read" };
        let revoked = if key.revoked { ", revoked" } else { "" };
        println!("API key ({scope}{revoked}): {}", key.key);
    }

    let _ = tokio::signal::ctrl_c().await;
    eprintln!("atom-sandbox: shutting down");
    sandbox.shutdown().await;
    std::process::ExitCode::SUCCESS
}
