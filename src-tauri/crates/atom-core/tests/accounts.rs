//! Several accounts side by side, against the sandbox: two users on one catalogue and on two
//! environments, each with its own keystore entry, tokens and name; a refresh or a sign-out of one
//! leaves the other's tokens as they were; start-up restores them all at once, one dead token apart.

mod common;

use std::sync::Arc;

use atom_core::{
    restore_all, store_namespace, Account, AccountId, ApiKeyScope, AuthState, Catalogue, CustomEnvironment,
    Environment, Error, RedirectTarget, SecretStore, StoreHandle,
};
use common::*;

/// A sandbox that shows its consent page (where the user picks who signs in).
fn with_consent() -> atom_sandbox::Config {
    atom_sandbox::Config { auto_approve: false, ..config() }
}

/// Signs `account` in through the consent page, as `user` (a sandbox user's id).
async fn sign_in_as(h: &Harness, account: &Account, user: &str) {
    let url = account.begin_login(RedirectTarget::Scheme);
    let callback = h.consent_as(&url, "approve", Some(user)).await;
    let state = account.complete_login(&callback).await.expect("sign-in completes");
    assert!(state.is_signed_in(), "{state:?}");
}

fn refresh_token(h: &Harness, namespace: &str) -> Option<String> {
    h.store.peek(namespace, "refresh_token")
}

/// The environment of a second server, as a custom one (its own keystore namespace), with its issuer
/// as discovery finds it.
fn custom_env(base: &str) -> Environment {
    Environment::custom(&CustomEnvironment {
        name: "Staging".into(),
        issuer: Some(base.trim_end_matches('/').into()),
        api_base: base.into(),
        authorize_url: format!("{base}/oauth/authorize"),
        token_url: format!("{base}/oauth/token"),
        revoke_url: Some(format!("{base}/oauth/revoke")),
        client_id: "atom-desktop".into(),
        ..Default::default()
    })
    .unwrap()
}

#[tokio::test]
async fn two_users_on_one_catalogue_keep_their_own_tokens_names_and_ratings() {
    let h = Harness::start(with_consent()).await;
    let env = h.session.environment().clone();
    let catalogue = h.session.catalogue().clone();
    let keystore = h.store.clone() as Arc<dyn SecretStore>;
    let sam_id = AccountId::named("sam");
    let sam =
        Account::on(catalogue.clone(), StoreHandle::new(keystore.clone(), store_namespace(&env, &sam_id)))
            .unwrap();
    let (demo_ns, sam_ns) = (store_namespace(&env, &AccountId::FIRST), store_namespace(&env, &sam_id));

    sign_in_as(&h, &h.session, "demo-user").await;
    sign_in_as(&h, &sam, "sam").await;
    // Each is who the server says, over its own credential.
    assert_eq!(h.session.identify().await.unwrap().unwrap().name, "Demo User");
    let who = sam.identify().await.unwrap().unwrap();
    assert_eq!(
        (who.name.as_str(), who.email.as_deref()),
        ("Sam Okafor", Some("sam@sandbox.atomagentos.invalid"))
    );

    // Each rates as themselves: the server records two raters.
    h.session.rate("web-router", 5, Some("Rated by the first account.")).await.unwrap();
    sam.rate("web-router", 2, Some("Rated by the second account.")).await.unwrap();
    let reviews = sam.reviews("web-router", 50, 0).await.unwrap();
    let author =
        |text: &str| reviews.reviews.iter().find(|r| r.review == text).map(|r| r.author_name.clone());
    assert_eq!(author("Rated by the first account.").as_deref(), Some("Demo User"));
    assert_eq!(author("Rated by the second account.").as_deref(), Some("Sam Okafor"));

    // A refresh of one rotates its own refresh token and never the other's.
    let (demo_before, sam_before) =
        (refresh_token(&h, &demo_ns).unwrap(), refresh_token(&h, &sam_ns).unwrap());
    sam.refresh().await.unwrap();
    let sam_after = refresh_token(&h, &sam_ns).unwrap();
    assert_ne!(sam_after, sam_before, "the refresh rotated the second account's token");
    assert_eq!(refresh_token(&h, &demo_ns).unwrap(), demo_before, "the first account's token is untouched");
    h.session.skills(&Default::default()).await.unwrap();
    h.session.rate("web-router", 4, None).await.expect("the first account's access token still works");

    // Signing one out removes its entry only; the other stays signed in, and its writes still work.
    sam.sign_out().await.unwrap();
    assert_eq!(refresh_token(&h, &sam_ns), None);
    assert_eq!(refresh_token(&h, &demo_ns).unwrap(), demo_before);
    assert!(h.session.current_state().is_signed_in());
    h.session.rate("web-router", 5, None).await.expect("the first account still writes");
    assert!(matches!(sam.rate("web-router", 1, None).await, Err(Error::NotSignedIn)));
}

#[tokio::test]
async fn accounts_on_two_environments_are_apart() {
    let h = Harness::start(with_consent()).await;
    let staging_server = atom_sandbox::start(with_consent()).await.unwrap();
    let staging = custom_env(&staging_server.base_url());
    let keystore = h.store.clone() as Arc<dyn SecretStore>;
    let catalogue = Catalogue::new(staging.clone(), atom_core::cache::Cache::in_memory()).unwrap();
    let staging_ns = store_namespace(&staging, &AccountId::FIRST);
    let other = Account::on(catalogue, StoreHandle::new(keystore, staging_ns.clone())).unwrap();
    let sandbox_ns = h.session.environment().namespace();
    assert_ne!(staging_ns, sandbox_ns);

    sign_in_as(&h, &h.session, "demo-user").await;
    // The staging server's consent page is its own.
    let staging_harness = Harness::with_env(staging_server, staging.clone()).await;
    let url = other.begin_login(RedirectTarget::Scheme);
    assert!(url.as_str().starts_with(&staging_harness.sandbox.base_url()));
    sign_in_as(&staging_harness, &other, "sam").await;
    // One keystore for both (the app's): each account under its environment's name.
    let kept = |ns: &str| h.store.peek(ns, "refresh_token");
    assert!(kept(&staging_ns).is_some() && kept(&sandbox_ns).is_some());

    // Each environment's server knows only its own account's tokens: a refresh on one environment
    // touches nothing of the other's.
    let sandbox_before = kept(&sandbox_ns).unwrap();
    other.refresh().await.unwrap();
    assert_eq!(kept(&sandbox_ns).unwrap(), sandbox_before);
    assert_eq!(h.token_requests("refresh_token").await, 0, "the sandbox saw no refresh");
    assert_eq!(staging_harness.token_requests("refresh_token").await, 1);

    // Signing out of the sandbox's account keeps the staging account's entry and sign-in.
    h.session.sign_out().await.unwrap();
    assert_eq!(kept(&sandbox_ns), None);
    assert!(kept(&staging_ns).is_some());
    assert_eq!(other.identify().await.unwrap().unwrap().name, "Sam Okafor");
}

#[tokio::test]
async fn start_up_restores_every_account_at_once_and_one_dead_token_disturbs_no_other() {
    let h = Harness::start(with_consent()).await;
    let env = h.session.environment().clone();
    // The app's own catalogue (the harness's account holds the first entry of its own).
    let catalogue = Catalogue::new(env.clone(), atom_core::cache::Cache::in_memory()).unwrap();
    let keystore = h.store.clone() as Arc<dyn SecretStore>;
    let ids = [AccountId::FIRST, AccountId::named("sam"), AccountId::named("keys")];
    let open = |id: &AccountId| {
        Account::on(catalogue.clone(), StoreHandle::new(keystore.clone(), store_namespace(&env, id))).unwrap()
    };
    let first: Vec<Account> = ids.iter().map(open).collect();
    sign_in_as(&h, &first[0], "demo-user").await;
    sign_in_as(&h, &first[1], "sam").await;
    first[2].sign_in_with_api_key(RW_KEY, ApiKeyScope::ReadWrite).await.unwrap();

    // Sam's grant is ended elsewhere (revoked at the server) while the app is closed.
    let sam_ns = store_namespace(&env, &ids[1]);
    let sam_token = refresh_token(&h, &sam_ns).unwrap();
    let resp = h
        .http
        .post(h.url("/oauth/revoke"))
        .json(&serde_json::json!({"token": sam_token, "client_id": "atom-desktop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    drop(first);

    // The next start: three accounts, restored together.
    let demo_token = refresh_token(&h, &store_namespace(&env, &ids[0])).unwrap();
    let next: Vec<Account> = ids.iter().map(open).collect();
    let results = restore_all(&next).await;
    assert!(matches!(&results[0], Ok(AuthState::SignedIn(_))), "{:?}", results[0]);
    assert!(matches!(&results[1], Err(Error::NeedsReauth(_))), "{:?}", results[1]);
    assert!(matches!(&results[2], Ok(AuthState::SignedIn(_))), "{:?}", results[2]);
    assert!(matches!(next[1].current_state(), AuthState::NeedsReauth { .. }));
    // The dead one's row says "sign in again"; the others work, with their own credentials.
    assert_ne!(refresh_token(&h, &store_namespace(&env, &ids[0])).unwrap(), demo_token, "rotated at restore");
    next[0].rate("web-router", 3, None).await.expect("the first account writes");
    next[2].rate("web-router", 4, None).await.expect("the API-key account writes");
    assert_eq!(next[2].identify().await.unwrap().unwrap().name, "Sandbox Publisher (API key)");
    assert_eq!(
        h.store.peek(&store_namespace(&env, &ids[2]), "api_key").as_deref(),
        Some(RW_KEY),
        "the API key's entry is as it was"
    );
}
