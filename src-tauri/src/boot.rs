//! What the window paints before it asks for anything. At start-up the app reads the saved first
//! catalogue page and categories of the environment it opens (from the catalogue cache: no network, no
//! keystore, no trust store) and hands them to the page as it loads, in an initialization script. The
//! page paints them in its first frame, marked with their age, and then asks the server whether they
//! are current. A first run, with nothing saved, asks the server for the same page at once instead,
//! while the window is still being made.

use atom_core::{Catalogue, Category, Fetched, SkillPage, SkillQuery};
use serde::Serialize;
use ts_rs::TS;

use crate::state::EnvironmentView;

/// The global the initialization script sets (`window.__ATOM_BOOT__`); the page takes it once.
pub const GLOBAL: &str = "__ATOM_BOOT__";

#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct Boot {
    pub environment: EnvironmentView,
    /// The saved reply to the list's first query, when there is one.
    pub first_page: Option<BootPage>,
    pub categories: Option<Fetched<Vec<Category>>>,
}

/// A saved page and the query it answers: the page uses it only for that query.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct BootPage {
    pub query: SkillQuery,
    pub page: Fetched<SkillPage>,
}

impl Boot {
    /// What `catalogue`'s cache holds for the first screen.
    pub fn saved(environment: EnvironmentView, catalogue: &Catalogue) -> Boot {
        let query = SkillQuery::first_page();
        Boot {
            environment,
            first_page: catalogue.saved_skills(&query).map(|page| BootPage { query, page }),
            categories: catalogue.saved_categories(),
        }
    }

    /// The initialization script: `window.__ATOM_BOOT__ = {…};`. The data is JSON, which is a JavaScript
    /// expression; the two line separators JSON allows in strings are escaped too, for older engines.
    /// What the server sent went through the typed models, so only their fields reach the page.
    pub fn script(&self) -> String {
        let json = serde_json::to_string(self)
            .unwrap_or_else(|_| "null".into())
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029");
        format!("window.{GLOBAL} = {json};")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atom_core::{EnvironmentKind, Skill};

    fn boot(name: &str) -> Boot {
        let skill = Skill { name: name.into(), slug: "s".into(), ..Skill::default() };
        let page = SkillPage { skills: vec![skill], total: 1, ..SkillPage::default() };
        Boot {
            environment: EnvironmentView {
                kind: EnvironmentKind::Production,
                name: "ATOM".into(),
                api_base: "https://example.com/api".into(),
                keystore: "Secret Service".into(),
            },
            first_page: Some(BootPage {
                query: SkillQuery::first_page(),
                page: Fetched {
                    data: page,
                    stale: true,
                    age_secs: 60,
                    offline: false,
                    from_saved_pages: false,
                },
            }),
            categories: None,
        }
    }

    #[test]
    fn the_script_sets_one_global_to_the_data_as_json() {
        let b = boot("Web Router");
        let script = b.script();
        let json = script.strip_prefix("window.__ATOM_BOOT__ = ").and_then(|s| s.strip_suffix(';')).unwrap();
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(value, serde_json::to_value(&b).unwrap());
        assert_eq!(value["first_page"]["query"]["limit"], 50);
    }

    #[test]
    fn hostile_text_from_the_server_stays_inside_its_string() {
        let script = boot("\"; alert(1); x = \"</script><script>alert(2)</script>\u{2028}\u{2029}").script();
        // One statement: the only unescaped quotes are JSON's own, and no raw line separator is left.
        assert!(!script.contains('\u{2028}') && !script.contains('\u{2029}'));
        assert!(script.contains(r#"\"; alert(1); x = \""#), "{script}");
        let json = script.strip_prefix("window.__ATOM_BOOT__ = ").and_then(|s| s.strip_suffix(';')).unwrap();
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        assert!(value["first_page"]["page"]["data"]["skills"][0]["name"]
            .as_str()
            .unwrap()
            .contains("alert(2)"));
    }
}
