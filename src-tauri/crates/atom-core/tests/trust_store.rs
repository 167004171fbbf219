//! The client trusts a server's certificate through the operating system's trust store, and nothing
//! else: a sandbox serving HTTPS with a certificate from a throwaway CA is reached when (and only
//! when) that CA is in the store the client is given, and through an HTTPS proxy when one is set.
//!
//! OpenSSL reads its trust store (`SSL_CERT_FILE`, `SSL_CERT_DIR`) and reqwest its proxy
//! (`HTTPS_PROXY`, `NO_PROXY`) from the environment, which a test must not change under other threads;
//! so each client runs in a child process of this test binary, with the environment the case needs.
//! On Windows, SChannel ignores those variables: its trust store is the system's certificate store,
//! into which [`TrustedCa`] puts the test CA for the test's length (the machine's store, which needs
//! an administrator, as CI runners are; the user's would ask the user in a dialog). macOS' Security
//! framework reads neither: there, only the refusal is tested.
//!
//! The servers a proxy is to carry the requests for listen on this machine's own network address, not
//! on loopback: requests for this computer (`localhost`, 127.0.0.0/8, `::1`) never go through a proxy.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use atom_core::{Account, Environment, MemoryStore, RedirectTarget, SecretStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHILD: &str = "child_fetches_the_categories";

/// Run in a child process by the tests below: one catalogue call (after a browser sign-in and a
/// rating, with `ATOM_TEST_SIGN_IN`), and its outcome on stdout.
#[test]
#[ignore = "a child process of the trust-store tests, which give it its environment"]
fn child_fetches_the_categories() {
    // Run on its own (`--include-ignored`), it has nothing to do.
    let Ok(server) = std::env::var("ATOM_TEST_SERVER") else { return };
    // A desktop whose own proxy setting names this proxy for every address.
    if let Ok(proxy) = std::env::var("ATOM_TEST_DESKTOP_PROXY") {
        let proxy = url::Url::parse(&proxy).unwrap();
        assert!(atom_core::http::use_desktop_proxy(Box::new(move |_| Some(proxy.clone()))));
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    if std::env::var_os("ATOM_TEST_PROBE").is_some() {
        // The sign-in doctor's look at the way (atom_core::probe): the route and the answer's error.
        let env = Environment::sandbox(&server).unwrap();
        let route = atom_core::probe::proxy_route(&env.marketplace_base());
        let answer = rt.block_on(atom_core::probe::ask(&env, std::time::Duration::from_secs(10)));
        let said = answer.result.map_or_else(
            |e| e.info().code.to_string(),
            |a| format!("{}{}", a.status, if a.certificate.is_some() { " with its certificate" } else { "" }),
        );
        let proxy = route.proxy.map_or("direct".to_string(), |p| p.to_string());
        println!("OUTCOME probe {:?} {proxy} | {said}", route.source);
        return;
    }
    let outcome = rt.block_on(async {
        let env = Environment::sandbox(&server).unwrap();
        let session = Account::new(env, Arc::new(MemoryStore::default()) as Arc<dyn SecretStore>).unwrap();
        if std::env::var_os("ATOM_TEST_SIGN_IN").is_some() {
            // The user's browser, which the test plays itself (the sandbox approves at once); the code
            // exchange with its PKCE verifier, the tokens and the write are the app's own requests.
            let authorize = session.begin_login(RedirectTarget::Scheme);
            let browser = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none());
            let reply = browser.build().unwrap().get(authorize.as_str()).send().await.unwrap();
            let callback = reply.headers()["location"].to_str().unwrap().to_string();
            session.complete_login(&callback).await?;
            session.rate("web-router", 5, None).await?;
        }
        session.categories().await
    });
    match outcome {
        Ok(categories) => println!("OUTCOME ok {}", categories.len()),
        Err(e) => {
            let info = e.info();
            println!("OUTCOME {} | {} | {}", info.code, info.message, info.hint);
        }
    }
}

/// Runs [`CHILD`] with `env` on top of a copy of this environment without any trust or proxy
/// settings, and returns its outcome line.
fn fetch_in_child(server: &str, env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", CHILD, "--ignored", "--nocapture", "--test-threads=1"]);
    let others = ["SSL_CERT_FILE", "SSL_CERT_DIR", "NO_PROXY", "no_proxy"];
    for var in atom_core::http::PROXY_VARIABLES.iter().chain(&others) {
        cmd.env_remove(var);
    }
    cmd.env("ATOM_TEST_SERVER", server).envs(env.iter().copied());
    let out = cmd.output().expect("the child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout.lines().find_map(|l| l.split_once("OUTCOME ")).map(|(_, o)| o.to_string()).unwrap_or_else(|| {
        panic!("the child said nothing: {stdout}\n{}", String::from_utf8_lossy(&out.stderr))
    })
}

struct HttpsSandbox {
    _rt: tokio::runtime::Runtime,
    sandbox: atom_sandbox::SandboxHandle,
    ca: PathBuf,
    _dir: TempDir,
}

/// This machine's network address (not loopback), where the sandboxes of these tests listen.
fn this_machine() -> std::net::IpAddr {
    atom_sandbox::this_machines_address()
        .expect("this machine has a network address besides loopback (the proxy tests need one)")
}

fn https_sandbox() -> HttpsSandbox {
    let dir = TempDir::new("ca");
    let ip = this_machine();
    let tls = atom_sandbox::tls::write_test_ca_for(dir.path(), &[ip.to_string()]).expect("test CA");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = std::net::SocketAddr::new(ip, 0);
    let config = atom_sandbox::Config { addr, rate_limits: None, tls: Some(tls), ..Default::default() };
    let sandbox = rt.block_on(atom_sandbox::start(config)).expect("the sandbox serves HTTPS");
    assert!(sandbox.base_url().starts_with("https://"), "{}", sandbox.base_url());
    HttpsSandbox { _rt: rt, sandbox, ca: dir.path().join("ca.pem"), _dir: dir }
}

/// The system's own store (Debian's CA bundle, Windows' or macOS' roots) does not know the test CA:
/// the certificate error, with what to do, and no address in it.
#[test]
fn a_certificate_from_an_unknown_authority_is_refused_with_what_to_do() {
    let s = https_sandbox();
    let system = fetch_in_child(&s.sandbox.base_url(), &[]);
    assert!(system.starts_with("certificate | "), "with the system's store: {system}");
    assert!(system.contains("trust store"), "the hint says what to do: {system}");
    assert!(!system.contains(&this_machine().to_string()), "the message names no address: {system}");
    #[cfg(not(any(windows, target_os = "macos")))]
    assert!(system.contains("(unable to get local issuer certificate)"), "OpenSSL's reason, once: {system}");
    #[cfg(windows)]
    assert!(system.contains("Trusted Root Certification Authorities"), "Windows' store by name: {system}");
}

/// The sign-in doctor finds the same: the certificate refused by the system's store, trusted through it
/// with the CA; and a proxy named by the environment that does not answer is the proxy's fault, with the
/// variable it came from.
#[test]
fn the_doctors_probe_tells_an_untrusted_certificate_and_a_proxy_that_does_not_answer() {
    let s = https_sandbox();
    let url = s.sandbox.base_url();
    let probe = |env: &[(&str, &str)]| fetch_in_child(&url, &[&[("ATOM_TEST_PROBE", "1")], env].concat());
    // Windows and macOS: the system's proxy settings, read by the HTTP library (none here).
    let system = if cfg!(any(windows, target_os = "macos")) { "System" } else { "None" };
    assert_eq!(probe(&[]), format!("probe {system} direct | certificate"));
    // A port that was just free: the proxy is not there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let proxy = format!("http://user:pw@127.0.0.1:{port}");
    let said = probe(&[("HTTPS_PROXY", &proxy)]);
    assert_eq!(said, format!("probe Environment(\"HTTPS_PROXY\") http://127.0.0.1:{port}/ | network"));
    #[cfg(not(any(windows, target_os = "macos")))]
    {
        let ca = s.ca.to_str().unwrap();
        assert_eq!(probe(&[("SSL_CERT_FILE", ca)]), "probe None direct | 200 with its certificate");
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "puts a test CA into the machine's trusted roots, which needs an administrator: scripts/test-windows.sh"
)]
#[cfg_attr(target_os = "macos", ignore = "the Security framework trusts only the keychains' roots")]
fn a_certificate_is_trusted_only_through_the_trust_store() {
    let s = https_sandbox();
    let url = s.sandbox.base_url();
    let trusted = {
        let ca = TrustedCa::add(&s.ca);
        fetch_in_child(&url, &ca.env())
    };
    assert!(trusted.starts_with("ok "), "with the test CA in the trust store: {trusted}");

    // Taken out of the store again, it is refused again.
    let refused = fetch_in_child(&url, &TrustedCa::none(&s.ca).env());
    assert!(refused.starts_with("certificate | "), "{refused}");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "puts a test CA into the machine's trusted roots, which needs an administrator: scripts/test-windows.sh"
)]
#[cfg_attr(target_os = "macos", ignore = "the Security framework trusts only the keychains' roots")]
fn https_goes_through_the_proxy_unless_no_proxy_names_the_host() {
    let s = https_sandbox();
    let url = s.sandbox.base_url();
    let ca = TrustedCa::add(&s.ca);
    let proxy = ConnectProxy::start(&s._rt);
    let proxy_url = format!("http://{}", proxy.addr);

    let via = fetch_in_child(&url, &[ca.env(), vec![("HTTPS_PROXY", proxy_url.as_str())]].concat());
    assert!(via.starts_with("ok "), "through the proxy: {via}");
    let tunnels = proxy.tunnels.load(Ordering::SeqCst);
    assert!(tunnels >= 1, "the proxy carried the request ({tunnels} tunnels)");

    let direct = fetch_in_child(
        &url,
        &[ca.env(), vec![("HTTPS_PROXY", proxy_url.as_str()), ("NO_PROXY", &this_machine().to_string())]]
            .concat(),
    );
    assert!(direct.starts_with("ok "), "around the proxy: {direct}");
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), tunnels, "NO_PROXY kept the request off the proxy");
}

/// The test CA in the trust store a child's client reads, for as long as this lives.
/// OpenSSL (Linux): a bundle of the test CA alone, named by the child's environment.
#[cfg(not(windows))]
struct TrustedCa(String);

#[cfg(not(windows))]
impl TrustedCa {
    fn add(ca: &Path) -> TrustedCa {
        TrustedCa(ca.to_str().unwrap().to_string())
    }

    /// A store without it at all (an empty bundle).
    fn none(ca: &Path) -> TrustedCa {
        let empty = ca.with_file_name("empty.pem");
        std::fs::write(&empty, "").unwrap();
        TrustedCa(empty.to_str().unwrap().to_string())
    }

    fn env(&self) -> Vec<(&str, &str)> {
        vec![("SSL_CERT_FILE", self.0.as_str()), ("SSL_CERT_DIR", "/nonexistent")]
    }
}

/// Windows (SChannel): the machine's Trusted Root Certification Authorities, through the same
/// CryptoAPI store native-tls checks against; taken out again when dropped.
#[cfg(windows)]
struct TrustedCa(Option<schannel::cert_context::CertContext>);

#[cfg(windows)]
impl TrustedCa {
    fn add(ca: &Path) -> TrustedCa {
        use schannel::cert_store::{CertAdd, CertStore};
        let pem = std::fs::read_to_string(ca).unwrap();
        let cert = schannel::cert_context::CertContext::from_pem(&pem).expect("the test CA");
        let mut roots = CertStore::open_local_machine("Root").expect("the machine's root store opens");
        let added = roots.add_cert(&cert, CertAdd::ReplaceExisting).expect("added to the machine's roots");
        TrustedCa(Some(added))
    }

    fn none(_: &Path) -> TrustedCa {
        TrustedCa(None)
    }

    fn env(&self) -> Vec<(&str, &str)> {
        Vec::new()
    }
}

#[cfg(windows)]
impl Drop for TrustedCa {
    fn drop(&mut self) {
        if let Some(cert) = self.0.take() {
            cert.delete().expect("the test CA leaves the machine's roots");
        }
    }
}

/// The same through a proxy nobody here wrote (tinyproxy, from Debian), set up as companies often do:
/// it asks for a user name and password. With them in the proxy address the app gets through; without
/// them, or with a wrong password, it says what the proxy did and how to give them, neither calls it
/// being offline nor repeats the credentials; a proxy that is not there is the network being down.
#[test]
#[ignore = "needs tinyproxy (scripts/setup.sh installs it): scripts/test.sh runs it"]
fn a_proxy_that_asks_for_a_password_gets_it_from_the_proxy_address() {
    let s = https_sandbox();
    let url = s.sandbox.base_url();
    let ca = s.ca.to_str().unwrap();
    let proxy = Tinyproxy::start(Some(("alice", "s3cret-Pa55")));
    let with = |auth: &str| format!("http://{auth}127.0.0.1:{}", proxy.port);

    let through =
        fetch_in_child(&url, &[("SSL_CERT_FILE", ca), ("HTTPS_PROXY", &with("alice:s3cret-Pa55@"))]);
    assert!(through.starts_with("ok "), "with the password in the proxy address: {through}");
    let tunnels = proxy.tunnels_to(&url);
    assert!(tunnels >= 1, "tinyproxy carried the request:\n{}", proxy.log());

    // tinyproxy answers 407 without a password and 401 to a wrong one (squid would say 407 again).
    for (auth, said) in [
        ("", "the network's proxy asks for a user name and password"),
        ("alice:wrong-Pa55@", "the network's proxy refused to connect to the server"),
    ] {
        let refused = fetch_in_child(&url, &[("SSL_CERT_FILE", ca), ("HTTPS_PROXY", &with(auth))]);
        assert!(refused.starts_with(&format!("proxy | {said} | ")), "{refused}");
        assert!(
            refused.contains("(HTTPS_PROXY=http://user:password@proxy:port)"),
            "the hint says how: {refused}"
        );
        assert!(!refused.contains("Pa55") && !refused.contains("alice"), "no credentials in it: {refused}");
    }

    // (No plain-HTTP case: the app speaks plain HTTP only to this computer, which no proxy carries.)

    // A proxy that is not there: the network is down as far as the app can tell, and it says where.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nowhere = format!("http://127.0.0.1:{gone}");
    let unreachable = fetch_in_child(&url, &[("SSL_CERT_FILE", ca), ("HTTPS_PROXY", &nowhere)]);
    assert!(
        unreachable.starts_with("network | cannot reach the server (the proxy did not answer)"),
        "{unreachable}"
    );

    // The desktop's own proxy setting (a Linux desktop's, which the app reads through GIO) is used when
    // the environment names none; one the environment names wins.
    let desktop = with("alice:s3cret-Pa55@");
    let before = proxy.tunnels_to(&url);
    let through = fetch_in_child(&url, &[("SSL_CERT_FILE", ca), ("ATOM_TEST_DESKTOP_PROXY", &desktop)]);
    assert!(through.starts_with("ok "), "through the desktop's proxy: {through}");
    assert_eq!(proxy.tunnels_to(&url), before + 1, "tinyproxy carried it:\n{}", proxy.log());
    let refused = fetch_in_child(
        &url,
        &[("SSL_CERT_FILE", ca), ("ATOM_TEST_DESKTOP_PROXY", &desktop), ("HTTPS_PROXY", &with(""))],
    );
    assert!(
        refused.starts_with("proxy | the network's proxy asks"),
        "the environment's proxy won: {refused}"
    );

    let here = this_machine().to_string();
    let around =
        fetch_in_child(&url, &[("SSL_CERT_FILE", ca), ("HTTPS_PROXY", &with("")), ("NO_PROXY", &here)]);
    assert!(around.starts_with("ok "), "NO_PROXY goes around it: {around}");
}

/// This computer's own servers are never reached through a proxy, whatever the environment or the
/// desktop names: a proxy would reach *its* machine's loopback, and the requests (the authorization
/// code, the PKCE verifier, tokens, API keys) would leave this one in clear text. A whole sign-in and a
/// write against a sandbox on 127.0.0.1, and reads from it as `localhost` and from one on `[::1]`, with
/// every proxy variable naming tinyproxy, then with the desktop's proxy setting naming it: tinyproxy is
/// asked nothing. The same settings do carry another computer's server (a sandbox on this machine's
/// network address, as another computer reaches it), so the first half does not pass for want of a
/// proxy.
#[test]
#[ignore = "needs tinyproxy (scripts/setup.sh installs it): scripts/test.sh runs it"]
fn this_computer_is_never_reached_through_a_proxy() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = |addr: &str| atom_sandbox::Config {
        addr: addr.parse().unwrap(),
        auto_approve: true,
        rate_limits: None,
        ..Default::default()
    };
    let v4 = rt.block_on(atom_sandbox::start(config("127.0.0.1:0"))).expect("a sandbox on 127.0.0.1");
    let v6 = rt.block_on(atom_sandbox::start(config("[::1]:0"))).expect("a sandbox on ::1");
    let proxy = Tinyproxy::start(None);
    let address = format!("http://127.0.0.1:{}", proxy.port);
    let every_variable: Vec<(&str, &str)> =
        atom_core::http::PROXY_VARIABLES.iter().map(|name| (*name, address.as_str())).collect();

    let sign_in = [every_variable.clone(), vec![("ATOM_TEST_SIGN_IN", "1")]].concat();
    let signed_in = fetch_in_child(&v4.base_url(), &sign_in);
    assert!(signed_in.starts_with("ok "), "signed in and rated on this computer: {signed_in}");
    for server in [v4.base_url().replace("127.0.0.1", "localhost"), v6.base_url()] {
        let read = fetch_in_child(&server, &every_variable);
        assert!(read.starts_with("ok "), "{server}: {read}");
    }
    let desktop = [("ATOM_TEST_DESKTOP_PROXY", address.as_str()), ("ATOM_TEST_SIGN_IN", "1")];
    let signed_in = fetch_in_child(&v4.base_url(), &desktop);
    assert!(signed_in.starts_with("ok "), "with the desktop's proxy: {signed_in}");
    assert_eq!(proxy.requests(), Vec::<String>::new(), "tinyproxy was asked");

    let s = https_sandbox();
    let ca = s.ca.to_str().unwrap();
    let through =
        fetch_in_child(&s.sandbox.base_url(), &[every_variable, vec![("SSL_CERT_FILE", ca)]].concat());
    assert!(through.starts_with("ok "), "{through}");
    assert_eq!(proxy.tunnels_to(&s.sandbox.base_url()), 1, "tinyproxy carried it:\n{}", proxy.log());
}

/// tinyproxy in the foreground on a free loopback port, with Basic authentication when given a user and
/// a password, logging each connection and request; stopped when dropped.
struct Tinyproxy {
    port: u16,
    child: std::process::Child,
    dir: TempDir,
}

impl Tinyproxy {
    fn start(credentials: Option<(&str, &str)>) -> Tinyproxy {
        let dir = TempDir::new("tinyproxy");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = dir.path().join("tinyproxy.log");
        let mut config = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nLogLevel Info\nLogFile \"{}\"\n",
            log.display()
        );
        if let Some((user, password)) = credentials {
            config.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let conf = dir.path().join("tinyproxy.conf");
        std::fs::write(&conf, config).unwrap();
        let child = Command::new("tinyproxy")
            .args(["-d", "-c"])
            .arg(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("tinyproxy runs (scripts/setup.sh installs the tinyproxy-bin package)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "tinyproxy did not listen on {port}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Tinyproxy { port, child, dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("tinyproxy.log")).unwrap_or_default()
    }

    /// The requests tinyproxy was asked to carry (`GET http://…`, `CONNECT host:port`), in order.
    fn requests(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter_map(|l| {
                l.split_once("Request (file descriptor ")?.1.split_once("): ").map(|(_, r)| r.to_string())
            })
            .collect()
    }

    /// How many tunnels tinyproxy opened to the server at `url`.
    fn tunnels_to(&self, url: &str) -> usize {
        let host = url.trim_start_matches("https://").trim_end_matches('/');
        self.log().lines().filter(|l| l.contains(&format!("CONNECT {host}"))).count()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP CONNECT proxy (what corporate proxies speak for HTTPS): it counts the tunnels it
/// opens and copies bytes both ways.
struct ConnectProxy {
    addr: std::net::SocketAddr,
    tunnels: Arc<AtomicUsize>,
}

impl ConnectProxy {
    fn start(rt: &tokio::runtime::Runtime) -> ConnectProxy {
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let tunnels = Arc::new(AtomicUsize::new(0));
        let counter = tunnels.clone();
        rt.spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                        if client.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).to_string();
                    let Some(target) = head.strip_prefix("CONNECT ").and_then(|r| r.split(' ').next()) else {
                        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n").await;
                        return;
                    };
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                        return;
                    };
                    counter.fetch_add(1, Ordering::SeqCst);
                    let _ = client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await;
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
            }
        });
        ConnectProxy { addr, tunnels }
    }
}

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "atom-trust-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
