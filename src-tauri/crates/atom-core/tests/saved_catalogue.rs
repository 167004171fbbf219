//! Painting from the saved catalogue costs no network and no trust store: a catalogue opened at start-up
//! reads its saved first page and categories without building the HTTP client (which loads the OS's
//! trust store). A test file of its own, so that no other test in the process has built the client.

use atom_core::cache::Cache;
use atom_core::{Catalogue, CustomEnvironment, Environment, SkillQuery};
use serde_json::json;

#[test]
fn the_saved_first_page_is_read_without_the_network_or_the_trust_store() {
    let dir = std::env::temp_dir().join(format!("atom-saved-catalogue-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // What an earlier run saved: the first page and the categories (keys are relative to the API base).
    let page = json!({"skills": [{"id": "s1", "name": "Web Router", "slug": "web-router"}], "total": 1,
                      "limit": 50, "offset": 0});
    let categories = json!({"categories": [{"slug": "web", "name": "Web", "skill_count": 1}]});
    let earlier = Cache::on_disk(dir.clone());
    earlier.store("skills?limit=50", Some("\"v1\"".into()), page.to_string().as_bytes());
    earlier.store("categories", None, categories.to_string().as_bytes());
    drop(earlier);

    // Nothing listens there: any request would fail.
    let env = Environment::custom(&CustomEnvironment {
        name: "Saved".into(),
        api_base: "https://marketplace.invalid/api/v1".into(),
        authorize_url: "https://marketplace.invalid/oauth/authorize".into(),
        token_url: "https://marketplace.invalid/oauth/token".into(),
        client_id: "atom-app".into(),
        ..Default::default()
    })
    .unwrap();
    let catalogue = Catalogue::new(env, Cache::on_disk(dir.clone())).unwrap();

    let first = catalogue.saved_skills(&SkillQuery::first_page()).expect("the saved first page");
    assert_eq!(first.data.total, 1);
    assert_eq!(first.data.skills[0].slug, "web-router");
    assert!(first.stale && !first.offline, "saved, not confirmed in this run");
    let saved = catalogue.saved_categories().expect("the saved categories");
    assert_eq!(saved.data[0].slug, "web");
    assert!(catalogue
        .saved_skills(&SkillQuery { query: "pdf".into(), ..SkillQuery::first_page() })
        .is_none());

    assert!(!atom_core::http::client_built(), "the trust store was not loaded");
    let _ = std::fs::remove_dir_all(dir);
}
