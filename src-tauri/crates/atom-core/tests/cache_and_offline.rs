//! The catalogue cache against the real sandbox: revalidation with ETags, a warm start from disk,
//! browsing and searching offline, recovering by itself, a first page that waits for neither the
//! keystore nor the token endpoint, and no secret on disk.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use atom_core::cache::Cache;
use atom_core::{
    Account, ApiKeyScope, Catalogue, Environment, Freshness, MemoryStore, Secret, SecretStore, SkillQuery,
    StoreError, StoreHandle,
};
use common::*;
use serde_json::json;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atom-cache-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn session_on(env: &Environment, store: Arc<dyn SecretStore>, dir: &Path) -> Account {
    let handle = StoreHandle::new(store, env.namespace());
    Account::on(Catalogue::new(env.clone(), Cache::on_disk(dir.to_path_buf())).unwrap(), handle).unwrap()
}

fn files_in(dir: &Path) -> Vec<(PathBuf, String)> {
    std::fs::read_dir(dir)
        .map(|r| {
            r.flatten().map(|e| (e.path(), std::fs::read_to_string(e.path()).unwrap_or_default())).collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_write_makes_the_cache_revalidate_with_its_etag() {
    let h = Harness::start(config()).await;
    h.session.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    h.session.categories().await.unwrap();
    let (got, checked) =
        (h.api_count("GET /categories", 200).await, h.api_count("GET /categories", 304).await);
    h.session.categories().await.unwrap();
    assert_eq!(
        (h.api_count("GET /categories", 200).await, h.api_count("GET /categories", 304).await),
        (got, checked),
        "fresh: served from the cache without a request"
    );

    // A submission adds to a category's count: the categories are asked again, with their ETag.
    let submission = atom_core::Submission {
        name: "Cache Test Skill".into(),
        description: "A skill submitted by the cache's tests.".into(),
        category: "automation".into(),
        kind: "script".into(),
        version: "1.0.0".into(),
        ..Default::default()
    };
    h.session.submit(&submission).await.unwrap();
    let categories = h.session.catalogue().categories_with(&h.session, Freshness::Live).await.unwrap();
    assert!(!categories.stale, "confirmed by the server");
    assert_eq!(
        h.api_count("GET /categories", 200).await + h.api_count("GET /categories", 304).await,
        got + checked + 1
    );
    assert_eq!(h.api_count("GET /categories", 200).await, got, "revalidated, not downloaded again");
}

#[tokio::test]
async fn a_new_run_paints_from_disk_at_once_then_revalidates() {
    let h = Harness::start(config()).await;
    let dir = temp_dir("warm");
    let env = h.session.environment().clone();
    let query = SkillQuery::default();
    let first = session_on(&env, Arc::new(MemoryStore::default()), &dir);
    let page = first.skills(&query).await.unwrap();
    drop(first);

    let again = session_on(&env, Arc::new(MemoryStore::default()), &dir);
    let requests = h.api_total().await;
    let painted = again.catalogue().skills_with(&again, &query, Freshness::CacheFirst).await.unwrap();
    assert_eq!(painted.data, page, "the last catalogue, from disk");
    assert!(painted.stale && !painted.offline, "marked as saved, not as current");
    assert_eq!(h.api_total().await, requests, "painted without asking the server");

    let current = again.catalogue().skills_with(&again, &query, Freshness::Live).await.unwrap();
    assert!(!current.stale);
    assert_eq!(h.api_count("GET /skills", 304).await, 1, "the revalidation cost no body");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn offline_the_saved_catalogue_is_browsed_and_searched_and_the_network_is_noticed_again() {
    let sandbox = atom_sandbox::start(config()).await.unwrap();
    let addr = sandbox.addr();
    let env = Environment::sandbox(&sandbox.base_url()).unwrap();
    let dir = temp_dir("offline");
    let session = session_on(&env, Arc::new(MemoryStore::default()), &dir);
    let all = SkillQuery::default();
    let page = session.skills(&all).await.unwrap();
    session.categories().await.unwrap();
    let mut online = session.catalogue().connectivity();
    assert!(*online.borrow());

    // The network goes: the server stops answering (connections are refused).
    sandbox.shutdown().await;
    let offline = session
        .catalogue()
        .skills_with(&session, &SkillQuery { offset: 0, ..all.clone() }, Freshness::Live)
        .await;
    // Fresh within the TTL: served as it is, no request.
    assert_eq!(offline.unwrap().data, page);
    let other_page = SkillQuery { sort: atom_core::SkillSort::Name, ..all.clone() };
    let err = session.skill("web-router").await.unwrap_err();
    assert_eq!(err.code(), "network", "never saved, so nothing to show: {err:?}");
    assert!(!*online.borrow_and_update(), "the session knows it is offline");

    let sorted = session.catalogue().skills_with(&session, &other_page, Freshness::Live).await.unwrap();
    assert!(sorted.offline && sorted.from_saved_pages, "a query never asked is answered from saved pages");
    assert_eq!(sorted.data.total, page.skills.len() as u64);
    let term = page.skills[0].name.split_whitespace().next().unwrap().to_lowercase();
    let found = session
        .catalogue()
        .skills_with(&session, &SkillQuery { query: term.clone(), ..all.clone() }, Freshness::Live)
        .await
        .unwrap();
    assert!(found.from_saved_pages && found.data.total >= 1);
    for skill in &found.data.skills {
        let text = format!("{} {} {}", skill.name, skill.description, skill.tags.join(" ")).to_lowercase();
        assert!(text.contains(&term), "{} does not match {term}", skill.name);
    }
    let write = session.rate("web-router", 5, None).await.unwrap_err();
    assert!(write.code() == "auth_required" || write.code() == "network", "{write:?}");

    // The network comes back: the session notices by itself.
    let back = atom_sandbox::start(atom_sandbox::Config { addr, ..config() }).await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), online.wait_for(|up| *up))
        .await
        .expect("noticed within the probe's schedule")
        .unwrap();
    let live = session.catalogue().skills_with(&session, &other_page, Freshness::Live).await.unwrap();
    assert!(!live.offline && !live.from_saved_pages);
    back.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn no_secret_reaches_the_cache_folder() {
    let h = Harness::start(config()).await;
    let dir = temp_dir("secrets");
    let env = h.session.environment().clone();
    let store = Arc::new(TestStore::default());
    let session = session_on(&env, store.clone(), &dir);
    session.sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();
    session.skills(&SkillQuery::default()).await.unwrap();
    session.skill("web-router").await.unwrap();
    session.sign_out().await.unwrap();
    let url = session.begin_login(atom_core::RedirectTarget::Scheme);
    let callback = h.browser(&url).await;
    session.complete_login(&callback).await.unwrap();
    session.reviews("web-router", 10, 0).await.unwrap();
    session.catalogue().categories_with(&session, Freshness::Live).await.unwrap();

    let files = files_in(&dir);
    assert!(files.len() >= 3, "{} files", files.len());
    let mut secrets: Vec<String> = store.written();
    secrets.push(RW_KEY.to_string());
    for (path, text) in &files {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{} holds a secret", path.display());
        }
        assert!(!text.contains("Bearer") && !text.contains("access_token"), "{}", path.display());
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A keystore that does not answer until it is released (a locked keyring waiting for its password).
#[derive(Default)]
struct SlowStore {
    inner: MemoryStore,
    released: AtomicBool,
}

impl SecretStore for SlowStore {
    fn get(&self, namespace: &str, account: &str) -> Result<Option<Secret>, StoreError> {
        while !self.released.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.inner.get(namespace, account)
    }
    fn set(&self, namespace: &str, account: &str, secret: &Secret) -> Result<(), StoreError> {
        self.inner.set(namespace, account, secret)
    }
    fn delete(&self, namespace: &str, account: &str) -> Result<(), StoreError> {
        self.inner.delete(namespace, account)
    }
    fn kind(&self) -> &'static str {
        "slow"
    }
}

#[tokio::test]
async fn the_first_page_waits_neither_for_the_keystore_nor_for_the_token_endpoint() {
    let h = Harness::start(config()).await;
    h.sign_in().await;
    let refresh = h.stored_refresh_token().expect("a refresh token to sign in with");
    let env = h.session.environment().clone();

    // The keystore holds the refresh token but does not answer.
    let store = Arc::new(SlowStore::default());
    store.inner.set(&env.namespace(), "refresh_token", &Secret::new(refresh)).unwrap();
    let session = Account::new(env.clone(), store.clone()).unwrap();
    let restoring = tokio::spawn({
        let s = session.clone();
        async move { s.restore().await }
    });
    let page = session.skills(&SkillQuery::default()).await.expect("the first page, anonymously");
    assert!(!page.skills.is_empty());
    assert!(!restoring.is_finished(), "painted while the keystore was still silent");

    // The keystore answers; the token endpoint is slow: the next page does not wait for it either.
    h.arm_fault(json!({"endpoint": "POST /oauth/token", "pass": true, "reply_delay_ms": 3000})).await;
    store.released.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let next = session.skills(&SkillQuery { offset: 50, ..Default::default() }).await.unwrap();
    assert!(!next.skills.is_empty());
    assert!(!restoring.is_finished(), "the silent sign-in was still refreshing");
    let state = restoring.await.unwrap().expect("the silent sign-in completes in the background");
    assert!(state.is_signed_in(), "{state:?}");
}

#[tokio::test]
async fn two_reads_of_a_page_on_its_way_share_one_request() {
    let h = Harness::start(config()).await;
    let dir = temp_dir("single-flight");
    let session = session_on(h.session.environment(), Arc::new(MemoryStore::default()), &dir);
    // A slow server: the start-up prefetch is still on its way when the window asks for the same page.
    h.arm_fault(json!({"endpoint": "GET /skills", "pass": true, "delay_ms": 400})).await;
    let query = SkillQuery::first_page();
    let (prefetch, window) = tokio::join!(
        session.catalogue().skills_with(&session, &query, Freshness::CacheFirst),
        session.catalogue().skills_with(&session, &query, Freshness::CacheFirst)
    );
    let (prefetch, window) = (prefetch.unwrap(), window.unwrap());
    assert_eq!(prefetch.data, window.data);
    assert!(!window.stale, "the reply that just arrived");
    assert_eq!(h.api_count("GET /skills", 200).await, 1, "one request for both");
    // Another page is another request.
    session
        .catalogue()
        .skills_with(&session, &SkillQuery { offset: 50, ..query }, Freshness::CacheFirst)
        .await
        .unwrap();
    assert_eq!(h.api_count("GET /skills", 200).await, 2);
    let _ = std::fs::remove_dir_all(dir);
}

/// A rating is one request, and it makes stale only what it changed: the rated skill (cached by its
/// slug, rated by its id) and the list pages that show its average. Another skill's page and the
/// categories stay fresh, for the account that rated and for another account of the same server, and
/// are served without a request.
#[tokio::test]
async fn a_rating_is_one_request_and_makes_stale_only_what_it_changed() {
    use atom_core::{store_namespace, Account, AccountId, StoreHandle};
    let h = Harness::start(config()).await;
    h.sign_in().await;
    let env = h.session.environment().clone();
    let other = Account::on(
        h.session.catalogue().clone(),
        StoreHandle::new(
            h.store.clone() as std::sync::Arc<dyn atom_core::SecretStore>,
            store_namespace(&env, &AccountId::named("b")),
        ),
    )
    .unwrap();
    let first = SkillQuery { limit: Some(5), ..Default::default() };
    let page = h.session.skills(&first).await.unwrap();
    let (x, y) = (page.skills[0].clone(), page.skills[1].clone());
    h.session.skill(&x.slug).await.unwrap();
    h.session.skill(&y.slug).await.unwrap();
    h.session.categories().await.unwrap();
    let before = h.api_total().await;

    let rated = h.session.rate(&x.id, 4, None).await.unwrap();
    assert_eq!(h.api_total().await, before + 1, "one request for one rating");

    // Untouched: from the cache, no request, for either account.
    h.session.skill(&y.slug).await.unwrap();
    other.skill(&y.slug).await.unwrap();
    h.session.categories().await.unwrap();
    other.categories().await.unwrap();
    assert_eq!(h.api_total().await, before + 1, "another skill and the categories stayed fresh");

    // Changed: asked again, and the server's numbers are the rating's reply.
    let detail = other.skill(&x.slug).await.unwrap();
    assert_eq!(h.api_total().await, before + 2, "the rated skill was revalidated");
    assert_eq!((detail.skill.rating, detail.skill.rating_count), (rated.average_rating, rated.rating_count));
    let listed = h.session.skills(&first).await.unwrap();
    assert_eq!(h.api_total().await, before + 3, "the list that shows its average was revalidated");
    let shown = listed.skills.iter().find(|s| s.id == x.id).unwrap();
    assert_eq!(shown.rating_count, rated.rating_count);
}
