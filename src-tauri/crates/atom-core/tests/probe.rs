//! The sign-in doctor's look at the way to a server (`atom_core::probe`), against the real sandbox over
//! loopback: a healthy server, a server whose clock is hours off (the sandbox sends a skewed `Date`), a
//! server whose metadata names another issuer, a server that is not there, and a name that does not
//! resolve. The proxy and certificate cases are in trust_store.rs, which runs them with their environment.

mod common;

use std::time::{Duration, SystemTime};

use atom_core::probe::{self, ProxySource};
use atom_core::{Environment, ErrorCode};
use common::*;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);
const METADATA: &str = "GET /.well-known/oauth-authorization-server";

#[tokio::test]
async fn a_healthy_sandbox_answers_names_itself_and_keeps_this_computers_time() {
    let h = Harness::start(config()).await;
    let env = h.session.environment();
    let answer = probe::ask(env, WAIT).await;
    assert!(answer.url.path().ends_with("/.well-known/oauth-authorization-server"), "{}", answer.url);
    let answered = answer.result.expect("the sandbox answers");
    assert_eq!(answered.status, 200);
    assert!(answered.metadata.expect("it names an issuer").is_ok());
    assert!(answered.certificate.is_none(), "plain HTTP shows no certificate");
    let skew = answered.clock_skew_secs.expect("it sends its Date");
    assert!(skew.abs() <= 2, "the same computer's clock: {skew} s");
    // Loopback: no proxy, whatever the environment says; an address, nothing to look up.
    let route = probe::proxy_route(&env.marketplace_base());
    assert_eq!((route.source, route.proxy), (ProxySource::None, None));
    let lookup = probe::lookup(&env.marketplace_base()).await;
    assert_eq!(lookup.result, Ok(vec![]), "{lookup:?}");
}

#[tokio::test]
async fn a_server_whose_clock_is_three_hours_ahead_is_measured_so() {
    let h = Harness::start(config()).await;
    let ahead = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3 * 3600));
    h.arm_fault(json!({ "endpoint": METADATA, "pass": true, "headers": { "Date": ahead } })).await;
    let answered = probe::ask(h.session.environment(), WAIT).await.result.unwrap();
    let skew = answered.clock_skew_secs.unwrap();
    assert!((3 * 3600 - 2..=3 * 3600 + 2).contains(&skew), "{skew}");
    assert!(answered.metadata.unwrap().is_ok(), "the real metadata still came");
}

#[tokio::test]
async fn metadata_that_names_another_issuer_is_refused() {
    let h = Harness::start(config()).await;
    let other = json!({
        "issuer": "https://login.example.com",
        "authorization_endpoint": "https://login.example.com/authorize",
        "token_endpoint": "https://login.example.com/token",
    });
    h.arm_fault(json!({ "endpoint": METADATA, "status": 200, "body": other.to_string() })).await;
    let answered = probe::ask(h.session.environment(), WAIT).await.result.unwrap();
    let refused = answered.metadata.unwrap().expect_err("another issuer's metadata");
    assert_eq!(refused.info().code, ErrorCode::DiscoveryFailed, "{refused}");
}

#[tokio::test]
async fn a_server_that_is_not_there_and_a_name_that_does_not_resolve_are_told() {
    // A port that was just free: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env = Environment::sandbox(&format!("http://127.0.0.1:{port}")).unwrap();
    let refused = probe::ask(&env, WAIT).await.result.expect_err("nothing listens");
    assert_eq!(refused.info().code, ErrorCode::Network, "{refused}");
    // `.invalid` never resolves (RFC 6761).
    let lookup = probe::lookup(&"https://no-such-server.invalid/api".parse().unwrap()).await;
    assert_eq!(lookup.host, "no-such-server.invalid");
    assert!(lookup.result.is_err(), "{lookup:?}");
    assert!(lookup.took <= probe::LOOKUP_WAIT + Duration::from_secs(1));
}
