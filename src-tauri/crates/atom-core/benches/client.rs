//! Client benchmark against an in-process sandbox on loopback. Prints a table; run with
//! `cargo bench -p atom-core` (optionally `-- --requests N`).
//!
//! - token requests made for 100 calls racing on an expiring token (target: exactly 1);
//! - requests sent to page forward and back over 10 catalogue pages (target: at most 10);
//! - per-request cost of the session against a bare reqwest GET of the same URLs (target: at most 1.2x).

use std::sync::Arc;
use std::time::{Duration, Instant};

use atom_core::{
    Account, Environment, MemoryStore, Quota, Quotas, RedirectTarget, SecretStore, SkillPage, SkillQuery,
};
use atom_sandbox::Config;

fn generous(mut env: Environment) -> Environment {
    let q = Quota { per_minute: 1_000_000, per_day: 10_000_000 };
    env.quotas = Quotas { anonymous: q, api_key: q, oauth: q };
    env
}

async fn stats(http: &reqwest::Client, base: &str) -> serde_json::Value {
    http.get(format!("{base}/__sandbox/stats")).send().await.unwrap().json().await.unwrap()
}

async fn racing_refreshes(http: &reqwest::Client) -> u64 {
    let sandbox = atom_sandbox::start(Config {
        access_ttl_secs: 2,
        auto_approve: true,
        rate_limits: None,
        test_hooks: true,
        ..Config::default()
    })
    .await
    .unwrap();
    let base = sandbox.base_url();
    let env = generous(Environment::sandbox(&base).unwrap());
    let session = Account::new(env, Arc::new(MemoryStore::default()) as Arc<dyn SecretStore>).unwrap();
    let url = session.begin_login(RedirectTarget::Scheme);
    let resp = http.get(url.as_str()).send().await.unwrap();
    let callback = resp.headers()["location"].to_str().unwrap().to_string();
    session.complete_login(&callback).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let calls: Vec<_> = (0..100u64)
        .map(|i| {
            let s = session.clone();
            tokio::spawn(async move {
                s.skills(&SkillQuery { offset: i, limit: Some(1), ..Default::default() }).await
            })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    stats(http, &base).await["token_requests"]["refresh_token"].as_u64().unwrap_or(0)
}

async fn paging_requests(http: &reqwest::Client) -> u64 {
    let sandbox = atom_sandbox::start(Config { rate_limits: None, test_hooks: true, ..Config::default() })
        .await
        .unwrap();
    let base = sandbox.base_url();
    let session =
        Account::new(generous(Environment::sandbox(&base).unwrap()), Arc::new(MemoryStore::default()))
            .unwrap();
    let pages: Vec<u64> = (0..10).chain((0..10).rev()).collect();
    for page in pages {
        session
            .skills(&SkillQuery { offset: page * 30, limit: Some(30), ..Default::default() })
            .await
            .unwrap();
    }
    stats(http, &base).await["api_requests"]["GET /skills"]["200"].as_u64().unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn overhead(requests: usize) -> (Duration, Duration) {
    let sandbox =
        atom_sandbox::start(Config { skills: 10_000, rate_limits: None, ..Config::default() }).await.unwrap();
    let base = sandbox.base_url();
    let env = generous(Environment::sandbox(&base).unwrap());
    let session = Account::new(env.clone(), Arc::new(MemoryStore::default())).unwrap();
    let bare = reqwest::Client::builder().build().unwrap();
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    // Distinct offsets, so that the cache never answers; alternate the two clients to share the noise.
    for i in 0..requests {
        let offset = (i * 7 % 9_950) as u64;
        let t = Instant::now();
        let page =
            session.skills(&SkillQuery { offset, limit: Some(50), ..Default::default() }).await.unwrap();
        ours.push(t.elapsed());
        assert_eq!(page.skills.len(), 50);
        let url = format!("{}skills?limit=50&offset={}", env.marketplace_base(), offset + 1);
        let t = Instant::now();
        let body = bare.get(&url).send().await.unwrap().bytes().await.unwrap();
        let page: SkillPage = serde_json::from_slice(&body).unwrap();
        theirs.push(t.elapsed());
        assert_eq!(page.skills.len(), 50);
    }
    (median(ours), median(theirs))
}

fn main() {
    let requests = std::env::args()
        .skip_while(|a| a != "--requests")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000usize);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let refreshes = racing_refreshes(&http).await;
        let paging = paging_requests(&http).await;
        let (ours, theirs) = overhead(requests).await;
        let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
        println!();
        println!("| measure | value | target |");
        println!("|---|---|---|");
        println!("| token requests for 100 racing calls on an expiring token | {refreshes} | exactly 1 |");
        println!("| requests to page forward and back over 10 pages | {paging} | <= 10 |");
        println!(
            "| session GET /skills?limit=50, median of {requests} | {:.0} us | |",
            ours.as_secs_f64() * 1e6
        );
        println!(
            "| bare reqwest GET + parse, median of {requests} | {:.0} us | |",
            theirs.as_secs_f64() * 1e6
        );
        println!("| client overhead ratio | {ratio:.2}x | <= 1.2x |");
    });
}
