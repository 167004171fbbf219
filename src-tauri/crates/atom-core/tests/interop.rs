//! The core against a third-party OAuth 2.0 authorization server this project did not write:
//! oidc-provider (OpenID Certified), from the npm registry, started from `tests/interop/` with a
//! strict native-client configuration (PKCE S256 required, refresh tokens only with offline_access,
//! rotation with reuse detection, RFC 7009 revocation, RFC 9207 iss, form-encoded token requests only).
//!
//! They need Node.js and `npm ci --prefix tests/interop`; `scripts/test.sh` provides both and runs them.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use atom_core::{
    discover, Account, AuthState, CallbackError, CustomEnvironment, Environment, Error, MemoryStore,
    MetadataSource, RedirectTarget, SecretStore, SkillQuery,
};
use serde_json::Value;

const NEEDS: &str =
    "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh";

/// The third-party server, as a child process.
struct ThirdParty {
    child: Child,
    issuer: String,
    http: reqwest::Client,
}

impl Drop for ThirdParty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ThirdParty {
    fn start_with(envs: &[(&str, &str)]) -> ThirdParty {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/interop");
        assert!(dir.join("node_modules/oidc-provider").is_dir(), "oidc-provider is not installed: {NEEDS}");
        let mut child = Command::new("node")
            .arg("oauth-server.mjs")
            .current_dir(&dir)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Node.js runs");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        // Keep reading what it prints (its notices go to stdout): a closed pipe would end it.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let issuer = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("server said {first:?}"))
            .to_string();
        ThirdParty { child, issuer, http: browser() }
    }

    fn start() -> ThirdParty {
        ThirdParty::start_with(&[])
    }

    async fn stats(&self) -> Value {
        self.http.get(format!("{}/test/stats", self.issuer)).send().await.unwrap().json().await.unwrap()
    }

    async fn token_requests(&self, grant: &str) -> u64 {
        self.stats().await["token_requests"][grant].as_u64().unwrap_or(0)
    }

    /// How many times the marketplace answered `what` ("POST /skills/{id}/rate 200").
    async fn api_count(&self, what: &str) -> u64 {
        self.stats().await["api"][what].as_u64().unwrap_or(0)
    }

    /// Every 401 the marketplace answered.
    async fn api_401s(&self) -> u64 {
        let stats = self.stats().await;
        let api = stats["api"].as_object().cloned().unwrap_or_default();
        api.iter().filter(|(k, _)| k.ends_with(" 401")).map(|(_, v)| v.as_u64().unwrap_or(0)).sum()
    }

    async fn set_decision(&self, decision: &str) {
        self.http
            .post(format!("{}/test/decision", self.issuer))
            .body(decision.to_string())
            .send()
            .await
            .unwrap();
    }

    /// Plays the user's browser: follows the server's pages (sign-in, consent) until it sends the
    /// browser back to the app, and returns that address.
    async fn browse(&self, authorize_url: &url::Url) -> String {
        browse_with(&self.http, authorize_url).await
    }

    /// Plays another browser (cookies of its own), whose user signs in as `user` (the server reads
    /// the request's `login_hint`, as a user typing their name would).
    async fn browse_as(&self, authorize_url: &url::Url, user: &str) -> String {
        let mut url = authorize_url.clone();
        url.query_pairs_mut().append_pair("login_hint", user);
        browse_with(&browser(), &url).await
    }

    /// RFC 7662 introspection at the server, as the app's client: is `token` still active?
    async fn is_active(&self, token: &str) -> bool {
        self.introspect(token).await["active"] == true
    }

    /// What the server says of `token` (RFC 7662): `active`, and whose it is (`sub`).
    async fn introspect(&self, token: &str) -> Value {
        self.http
            .post(format!("{}/token/introspection", self.issuer))
            .form(&[("token", token), ("client_id", "atom-desktop")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Settings from discovery, with the marketplace API on the same server; `offline` asks for
    /// refresh tokens (offline_access), as the custom-server form offers when the server lists it.
    async fn settings(&self, offline: bool) -> CustomEnvironment {
        let metadata = discover(&self.issuer).await.expect("discovery");
        let mut c = metadata.to_custom("Third party", Some(&self.issuer), "atom-desktop");
        if !offline {
            c.scopes = Some("marketplace:read marketplace:write".into());
        }
        c
    }
}

/// A browser: it keeps cookies across a server's sign-in pages and follows no redirect by itself.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Follows a server's pages from `authorize_url` until they send the browser back to the app.
async fn browse_with(http: &reqwest::Client, authorize_url: &url::Url) -> String {
    let mut url = authorize_url.clone();
    for _ in 0..10 {
        let resp = http.get(url.clone()).send().await.unwrap();
        let status = resp.status();
        assert!(
            status.is_redirection(),
            "{url} answered {status}: {}",
            resp.text().await.unwrap_or_default()
        );
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        let next = url.join(&location).unwrap();
        let back_to_app = next.scheme() == "com.atomagentos.marketplace"
            || next.path() == "/oauth/callback" && next.host_str() == Some("127.0.0.1");
        if back_to_app {
            return next.to_string();
        }
        url = next;
    }
    panic!("the server never sent the browser back to the app");
}

struct Client {
    session: Account,
    store: Arc<MemoryStore>,
    env: Environment,
}

impl Client {
    fn new(env: Environment) -> Client {
        let store = Arc::new(MemoryStore::default());
        Client { session: Account::new(env.clone(), store.clone()).unwrap(), store, env }
    }

    fn second_instance(&self) -> Account {
        Account::new(self.env.clone(), self.store.clone() as Arc<dyn SecretStore>).unwrap()
    }

    fn stored_refresh_token(&self) -> Option<String> {
        self.store.get(&self.env.namespace(), "refresh_token").unwrap().map(|s| s.expose().to_string())
    }

    async fn sign_in(&self, server: &ThirdParty, target: RedirectTarget) {
        let url = self.session.begin_login(target);
        let callback = server.browse(&url).await;
        let state = self.session.complete_login(&callback).await.expect("signed in");
        assert!(state.is_signed_in(), "{state:?}");
    }
}

async fn signed_in(server: &ThirdParty, offline: bool) -> Client {
    let client = Client::new(Environment::custom(&server.settings(offline).await).unwrap());
    client.sign_in(server, RedirectTarget::Scheme).await;
    client
}

#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn discovery_reads_the_servers_metadata_both_ways() {
    let server = ThirdParty::start();
    let m = discover(&server.issuer).await.unwrap();
    assert_eq!(m.source, MetadataSource::OAuth, "RFC 8414 first");
    assert_eq!(m.issuer, server.issuer);
    assert!(m.revocation_endpoint.is_some() && m.authorization_response_iss_parameter_supported);
    assert!(m.offers_offline_access());
    let openid_only = ThirdParty::start_with(&[("HIDE_RFC8414", "1")]);
    let m = discover(&openid_only.issuer).await.unwrap();
    assert_eq!(m.source, MetadataSource::OpenId, "OpenID Connect discovery as the fallback");
    let env = Environment::custom(&m.to_custom("x", None, "atom-desktop")).unwrap();
    assert!(env.require_iss, "the server sends iss, so a callback without it would be refused");
}

#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn sign_in_works_with_both_redirects_and_form_encoded_requests() {
    let server = ThirdParty::start();
    let client = signed_in(&server, true).await;
    let AuthState::SignedIn(me) = client.session.current_state() else { panic!("signed in") };
    assert!(me.renewable && me.can_write, "{me:?}");
    assert!(client.session.categories().await.is_ok(), "the resource server takes the token");
    let loopback = Client::new(client.env.clone());
    loopback.sign_in(&server, RedirectTarget::Loopback { port: 45_123 }).await;
    assert_eq!(server.token_requests("authorization_code").await, 2);
}

#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn a_tampered_state_or_a_foreign_issuer_is_refused_before_any_token_request() {
    let server = ThirdParty::start();
    let client = Client::new(Environment::custom(&server.settings(true).await).unwrap());
    let url = client.session.begin_login(RedirectTarget::Scheme);
    let genuine = server.browse(&url).await;
    let parsed = url::Url::parse(&genuine).unwrap();
    let param =
        |name: &str| parsed.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap();
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let (code, state, iss) = (param("code"), param("state"), param("iss"));
    assert_eq!(iss, server.issuer, "the server names itself (RFC 9207)");
    let base = "com.atomagentos.marketplace://oauth/callback";
    for (forged, reason) in [
        (format!("{base}?code={code}&state=tampered&iss={}", enc(&iss)), CallbackError::StateMismatch),
        (
            format!("{base}?code={code}&state={state}&iss={}", enc("https://evil.example")),
            CallbackError::IssuerMismatch,
        ),
        (format!("{base}?code={code}&state={state}"), CallbackError::MissingIssuer),
    ] {
        match client.session.complete_login(&forged).await {
            Err(Error::Callback(got)) => assert_eq!(got, reason, "{forged}"),
            other => panic!("{forged}: {other:?}"),
        }
    }
    assert_eq!(server.token_requests("authorization_code").await, 0, "no forgery reached the token endpoint");
    assert!(client.session.complete_login(&genuine).await.unwrap().is_signed_in());
}

#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn refresh_rotates_five_racing_callers_make_one_request_and_a_second_session_restores() {
    let server = ThirdParty::start();
    let client = signed_in(&server, true).await;
    let first = client.stored_refresh_token().unwrap();
    client.session.refresh().await.unwrap();
    let second = client.stored_refresh_token().unwrap();
    assert_ne!(first, second, "rotated");
    assert!(!server.is_active(&first).await, "the old refresh token is dead at the server");

    let before = server.token_requests("refresh_token").await;
    let racing: Vec<_> = (0..5)
        .map(|_| {
            let session = client.session.clone();
            tokio::spawn(async move { session.refresh().await })
        })
        .collect();
    for r in racing {
        r.await.unwrap().expect("every caller gets a token");
    }
    assert_eq!(
        server.token_requests("refresh_token").await - before,
        1,
        "five racing refreshes, one grant request"
    );
    assert!(client.session.skills(&SkillQuery::default()).await.is_ok());

    let next_launch = client.second_instance();
    assert!(next_launch.restore().await.unwrap().is_signed_in(), "restored from the keystore");
    assert!(next_launch.categories().await.is_ok());
}

#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn a_reused_refresh_token_ends_in_a_clean_sign_in_again() {
    let server = ThirdParty::start();
    let client = signed_in(&server, true).await;
    let stolen = client.stored_refresh_token().unwrap();
    client.session.refresh().await.unwrap();
    // Someone presents the rotated token: the server ends the whole grant.
    let reused = server
        .http
        .post(format!("{}/token", server.issuer))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &stolen), ("client_id", "atom-desktop")])
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), 400);
    let err = client.session.refresh().await.unwrap_err();
    assert_eq!(err.code(), "needs_reauth");
    assert!(err.hint().starts_with("Sign in again"), "{}", err.hint());
    assert!(!err.hint().contains("code"), "a refresh is not about sign-in codes: {}", err.hint());
    let AuthState::NeedsReauth { reason } = client.session.current_state() else { panic!("needs re-auth") };
    assert_eq!(reason.code, "invalid_grant");
    assert_eq!(client.stored_refresh_token(), None, "the dead token is forgotten");
    client.sign_in(&server, RedirectTarget::Scheme).await;
}

#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn without_offline_access_the_session_ends_when_the_token_does() {
    // The token's life starts when the client receives it, a while before `signed_in` returns on a busy
    // machine (3 s with a check at 2.2 s failed one run in four): "not ended early" is checked well
    // inside the 6 s, and the end a little after them.
    let server = ThirdParty::start_with(&[("ACCESS_TTL", "6")]);
    let client = signed_in(&server, false).await;
    let AuthState::SignedIn(me) = client.session.current_state() else { panic!("signed in") };
    assert!(!me.renewable, "no refresh token was issued");
    tokio::time::sleep(Duration::from_millis(4000)).await;
    assert!(client.session.current_state().is_signed_in(), "not ended early");
    client.session.categories().await.expect("the token still works");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let err = client.session.rate("any-skill", 5, None).await.unwrap_err();
    assert_eq!(err.code(), "needs_reauth");
    let AuthState::NeedsReauth { reason } = client.session.current_state() else { panic!("needs re-auth") };
    assert_eq!(reason.code, "session_expired");
    assert!(reason.message.contains("did not let the app stay signed in"));
    assert_eq!(server.token_requests("refresh_token").await, 0);
}

#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn sign_out_revokes_at_the_server_or_says_it_could_not() {
    let server = ThirdParty::start();
    let client = signed_in(&server, true).await;
    let refresh = client.stored_refresh_token().unwrap();
    assert!(server.is_active(&refresh).await);
    client.session.sign_out().await.expect("revoked");
    assert!(!server.is_active(&refresh).await, "the refresh token is inactive at the server");
    assert_eq!(client.session.current_state(), AuthState::SignedOut);

    // A server entered without its revocation endpoint: signed out here, and told so.
    let mut settings = server.settings(true).await;
    settings.revoke_url = None;
    let client = Client::new(Environment::custom(&settings).unwrap());
    client.sign_in(&server, RedirectTarget::Scheme).await;
    let refresh = client.stored_refresh_token().unwrap();
    let warning = client.session.sign_out().await.unwrap_err();
    assert_eq!(warning.code(), "not_revoked");
    assert_eq!(client.stored_refresh_token(), None, "forgotten here all the same");
    assert!(server.is_active(&refresh).await, "the warning is true: the server still honours it");
}

#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn an_rfc_6750_invalid_token_is_recovered_by_one_refresh_and_one_replay() {
    let server = ThirdParty::start();
    let client = signed_in(&server, true).await;
    client.session.categories().await.expect("the token still works");
    // An administrator ends every access token at the server; the client still believes in its own.
    let resp = server.http.post(format!("{}/test/revoke-access-tokens", server.issuer)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let before = server.token_requests("refresh_token").await;
    let rated = client.session.rate("any-skill", 4, None).await;
    assert!(rated.is_ok(), "recovered: {rated:?}");
    assert_eq!(server.token_requests("refresh_token").await, before + 1, "by one refresh, then one replay");
    assert!(client.session.current_state().is_signed_in());
}

#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn a_denial_at_the_server_is_a_cancelled_sign_in() {
    let server = ThirdParty::start();
    server.set_decision("deny").await;
    let client = Client::new(Environment::custom(&server.settings(true).await).unwrap());
    let url = client.session.begin_login(RedirectTarget::Scheme);
    let callback = server.browse(&url).await;
    assert!(callback.contains("error=access_denied"), "{callback}");
    let err = client.session.complete_login(&callback).await.unwrap_err();
    assert_eq!(err.code(), "sign_in_cancelled");
    assert_eq!(server.token_requests("authorization_code").await, 0);
}

/// Two users of one third-party server, signed in side by side on one catalogue (two accounts, two
/// keystore entries): each refresh rotates its own account's refresh token only, and the other's
/// stays active at the server.
#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn two_users_side_by_side_each_refresh_rotates_only_its_own_token() {
    use atom_core::{store_namespace, AccountId, StoreHandle};
    let server = ThirdParty::start();
    let env = Environment::custom(&server.settings(true).await).unwrap();
    let store = Arc::new(MemoryStore::default());
    let catalogue = atom_core::Catalogue::new(env.clone(), atom_core::cache::Cache::in_memory()).unwrap();
    let (first_id, second_id) = (AccountId::FIRST, AccountId::named("sam"));
    let on = |id: &AccountId| {
        let handle = StoreHandle::new(store.clone() as Arc<dyn SecretStore>, store_namespace(&env, id));
        Account::on(catalogue.clone(), handle).unwrap()
    };
    let (first, second) = (on(&first_id), on(&second_id));
    for (account, user) in [(&first, "demo-user"), (&second, "sam")] {
        let url = account.begin_login(RedirectTarget::Scheme);
        let callback = server.browse_as(&url, user).await;
        assert!(account.complete_login(&callback).await.unwrap().is_signed_in());
    }
    let stored = |id: &AccountId| {
        store
            .get(&store_namespace(&env, id), "refresh_token")
            .unwrap()
            .map(|s| s.expose().to_string())
            .unwrap()
    };
    let (first_before, second_before) = (stored(&first_id), stored(&second_id));
    assert_eq!(server.introspect(&first_before).await["sub"], "demo-user");
    assert_eq!(server.introspect(&second_before).await["sub"], "sam", "two users, not one twice");

    first.refresh().await.unwrap();
    let first_after = stored(&first_id);
    assert_ne!(first_after, first_before, "the first account's token rotated");
    assert!(!server.is_active(&first_before).await, "and its old one is dead at the server");
    assert_eq!(stored(&second_id), second_before, "the second account's entry is untouched");
    assert!(server.is_active(&second_before).await, "and its token still active at the server");

    second.refresh().await.unwrap();
    assert_ne!(stored(&second_id), second_before);
    assert_eq!(stored(&first_id), first_after, "the second's refresh left the first's as it was");
    assert!(server.is_active(&first_after).await);
    assert!(
        first.skills(&SkillQuery::default()).await.is_ok()
            && second.skills(&SkillQuery::default()).await.is_ok()
    );
}

/// An OpenID Connect server's ID token names who signed in, once it verifies against the keys the
/// server publishes (this server has no `me` endpoint, so the name can come from nowhere else); the
/// same sign-in checked against another server's keys names nobody, and still signs in.
#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn a_verified_id_token_names_each_user_and_one_from_other_keys_names_nobody() {
    let server = ThirdParty::start();
    let settings = server.settings(true).await;
    let scopes = settings.scopes.clone().unwrap_or_default();
    assert!(scopes.split(' ').any(|s| s == "openid") && settings.jwks_uri.is_some(), "{scopes}");
    for (user, name, email) in
        [("demo-user", "Demo User", "demo@interop.example"), ("sam", "Sam Okafor", "sam@interop.example")]
    {
        let client = Client::new(Environment::custom(&settings).unwrap());
        let url = client.session.begin_login(RedirectTarget::Scheme);
        assert!(url.query_pairs().any(|(k, v)| k == "nonce" && v.len() >= 32), "{url}");
        let callback = server.browse_as(&url, user).await;
        assert!(client.session.complete_login(&callback).await.unwrap().is_signed_in());
        let who = client.session.identify().await.unwrap().expect("the ID token names the user");
        assert_eq!((who.name.as_str(), who.email.as_deref()), (name, Some(email)));
        // Signing out forgets it.
        let _ = client.session.sign_out().await;
        assert_eq!(client.session.identify().await.ok().flatten(), None);
    }

    // Another server's keys: the ID token does not verify, so it names nobody.
    let other = ThirdParty::start();
    let foreign = CustomEnvironment { jwks_uri: other.settings(true).await.jwks_uri, ..settings };
    let client = Client::new(Environment::custom(&foreign).unwrap());
    let url = client.session.begin_login(RedirectTarget::Scheme);
    let callback = server.browse_as(&url, "sam").await;
    assert!(client.session.complete_login(&callback).await.unwrap().is_signed_in(), "the sign-in stands");
    assert_eq!(client.session.identify().await.unwrap(), None, "an unverified ID token is not an identity");
}

/// A server whose access tokens live 10 s (security-sensitive deployments use minutes, some seconds):
/// the background refresh runs at half the token's life, before it ends; the refresh token rotates;
/// a write after the first token's lifetime goes out once, with the renewed token (no 401 on the
/// way); five racing refreshes make one grant; and 15 s of five calls at a time meet no 401 and draw
/// no grant beyond the background's one per 5 s.
#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn ten_second_tokens_are_renewed_before_they_expire_and_never_sent_expired() {
    let server = ThirdParty::start_with(&[("ACCESS_TTL", "10")]);
    let started = Instant::now();
    let client = signed_in(&server, true).await;
    let first = client.stored_refresh_token().unwrap();
    tokio::time::sleep_until((started + Duration::from_secs(8)).into()).await;
    assert_eq!(server.token_requests("refresh_token").await, 1, "the background refresh ran before expiry");
    let second = client.stored_refresh_token().unwrap();
    assert_ne!(first, second, "rotated");
    assert!(!server.is_active(&first).await, "the old refresh token is dead at the server");

    tokio::time::sleep_until((started + Duration::from_secs(11)).into()).await;
    let before = Instant::now();
    client.session.rate("any-skill", 4, None).await.expect("the write goes through");
    assert!(before.elapsed() < Duration::from_secs(2), "not held: {:?}", before.elapsed());
    assert_eq!(server.api_count("POST /skills/{id}/rate 200").await, 1, "sent once");
    assert_eq!(server.api_401s().await, 0, "no 401 on the way");

    let grants = server.token_requests("refresh_token").await;
    let racing: Vec<_> = (0..5)
        .map(|_| {
            let session = client.session.clone();
            tokio::spawn(async move { session.refresh().await })
        })
        .collect();
    for r in racing {
        r.await.unwrap().expect("every caller gets a token");
    }
    assert_eq!(server.token_requests("refresh_token").await, grants + 1, "five racing refreshes, one grant");

    let (grants, calls_started) = (server.token_requests("refresh_token").await, Instant::now());
    let mut offset = 0;
    while calls_started.elapsed() < Duration::from_secs(15) {
        let calls: Vec<_> = (0..5)
            .map(|_| {
                offset += 1;
                let (session, q) = (client.session.clone(), SkillQuery { offset, ..Default::default() });
                tokio::spawn(async move { session.skills(&q).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().expect("answered");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let drawn = server.token_requests("refresh_token").await - grants;
    assert!((2..=4).contains(&drawn), "{drawn} grants in 15 s of 10-second tokens");
    assert_eq!(server.api_401s().await, 0, "no call met an expired token");
    assert_eq!(server.stats().await["token_errors"], serde_json::json!({}), "no refresh was refused");
}

/// The mix-up (RFC 9700 §4.4) between two real servers: the app knows server B without an issuer (its
/// endpoints typed by hand). A sign-in started with B is bounced to server A's authorize page with the
/// app's `state` and PKCE challenge; A refuses B's own redirect (not registered with it), and answers
/// the one every server shared before with a code and its own `iss`: the app refuses that answer for
/// B's sign-in before any token request, and neither server redeems a code.
#[tokio::test]
#[ignore = "needs Node.js and tests/interop's packages (npm ci --prefix tests/interop): scripts/test.sh"]
async fn a_sign_in_started_with_a_server_known_without_an_issuer_is_not_completed_by_another() {
    let (a, b) = (ThirdParty::start(), ThirdParty::start());
    let typed = CustomEnvironment {
        name: "Typed by hand".into(),
        api_base: b.issuer.clone(),
        authorize_url: format!("{}/auth", b.issuer),
        token_url: format!("{}/token", b.issuer),
        client_id: "atom-desktop".into(),
        token_encoding: atom_core::TokenEncoding::Form,
        ..Default::default()
    };
    let client = Client::new(Environment::custom(&typed).unwrap());
    let started = client.session.begin_login(RedirectTarget::Scheme);
    let own_redirect = started.query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1.into_owned();
    assert!(own_redirect.starts_with("com.atomagentos.marketplace://oauth/callback/"), "{own_redirect}");
    // What B's authorize page would do: the same request, at A.
    let bounce = |redirect: &str| {
        let mut to = url::Url::parse(&format!("{}/auth", a.issuer)).unwrap();
        let pairs = started.query_pairs().map(|(k, v)| {
            let v = if k == "redirect_uri" { redirect.to_string() } else { v.into_owned() };
            (k.into_owned(), v)
        });
        to.query_pairs_mut().extend_pairs(pairs);
        to
    };
    let refused = a.http.get(bounce(&own_redirect)).send().await.unwrap();
    assert!(!refused.status().is_redirection(), "A does not know B's redirect: {}", refused.status());
    let callback = a.browse(&bounce("com.atomagentos.marketplace://oauth/callback")).await;
    assert!(callback.contains("code=") && callback.contains("iss="), "A answered: {callback}");
    match client.session.complete_login(&callback).await {
        Err(Error::Callback(CallbackError::WrongPath)) => {}
        other => panic!("{callback}: {other:?}"),
    }
    // The same answer on B's own redirect (a browser that was steered there) names A: refused too.
    let steered = callback.replacen(
        "/oauth/callback?",
        &format!("/oauth/callback/{}?", own_redirect.rsplit('/').next().unwrap()),
        1,
    );
    match client.session.complete_login(&steered).await {
        Err(Error::Callback(CallbackError::IssuerUnknown { iss })) => assert_eq!(iss, a.issuer),
        other => panic!("{steered}: {other:?}"),
    }
    assert_eq!(a.token_requests("authorization_code").await, 0, "A redeemed nothing");
    assert_eq!(b.token_requests("authorization_code").await, 0, "B was sent no code");
    assert_eq!(client.session.current_state(), AuthState::SignedOut);
}
