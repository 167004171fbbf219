//! The marketplace's records as the client reads them. Every model tolerates unknown fields and
//! missing ones (defaults), so that a server that adds or drops a field never breaks the app.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::contract::{limits, SKILL_TYPES};
use crate::error::Error;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Skill {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub tags: Vec<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub price: f64,
    pub is_free: bool,
    #[serde(deserialize_with = "average_stars")]
    pub rating: f64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rating_count: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub installs: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Author {
    /// Cleaned as every shown name is (`text.rs`); none: empty.
    #[serde(deserialize_with = "name")]
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SkillDetail {
    #[serde(flatten)]
    pub skill: Skill,
    pub long_description: String,
    pub version: String,
    pub author: Author,
    pub license: Option<String>,
    pub repository_url: Option<String>,
    pub documentation_url: Option<String>,
    pub is_featured: bool,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// `published` or `pending_review` (the sandbox's; absent elsewhere).
    pub status: Option<String>,
    /// Star → count, when the server gives it.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number>"))]
    pub rating_distribution: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SkillPage {
    pub skills: Vec<Skill>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
    pub limit: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: u64,
    pub has_more: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Category {
    pub slug: String,
    pub name: String,
    pub description: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub skill_count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Categories {
    pub categories: Vec<Category>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Review {
    pub id: String,
    pub skill_id: String,
    #[serde(deserialize_with = "stars")]
    pub rating: u8,
    pub review: String,
    #[serde(deserialize_with = "name")]
    pub author_name: String,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReviewPage {
    pub reviews: Vec<Review>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
    pub limit: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: u64,
    pub has_more: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SubmitResult {
    pub success: bool,
    pub skill_id: String,
    pub slug: String,
    pub status: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RateResult {
    pub success: bool,
    /// `created` or `updated`.
    pub action: String,
    #[serde(deserialize_with = "average_stars")]
    pub average_rating: f64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rating_count: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SkillSort {
    #[default]
    Popularity,
    Newest,
    Rating,
    Installs,
    Name,
}

impl SkillSort {
    pub fn as_str(self) -> &'static str {
        match self {
            SkillSort::Popularity => "popularity",
            SkillSort::Newest => "newest",
            SkillSort::Rating => "rating",
            SkillSort::Installs => "installs",
            SkillSort::Name => "name",
        }
    }
}

/// [chosen] Free or paid skills only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PriceFilter {
    Free,
    Paid,
}

/// A catalogue query. Empty fields are left out of the request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SkillQuery {
    pub query: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub price: Option<PriceFilter>,
    pub sort: SkillSort,
    pub limit: Option<u32>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: u64,
}

impl SkillQuery {
    /// What the catalogue list asks for first: every skill, most popular first, one page.
    pub fn first_page() -> SkillQuery {
        SkillQuery { limit: Some(limits::SKILLS_PAGE_DEFAULT), ..SkillQuery::default() }
    }

    /// Query pairs in a fixed order, so that equal queries make equal URLs (and cache keys).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let q = self.query.trim();
        if !q.is_empty() {
            out.push(("query", q.to_string()));
        }
        if let Some(c) = self.category.as_deref().filter(|c| !c.is_empty()) {
            out.push(("category", c.to_string()));
        }
        let tags: Vec<&str> = self.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).collect();
        if !tags.is_empty() {
            out.push(("tags", tags.join(",")));
        }
        if let Some(k) = self.kind.as_deref().filter(|k| !k.is_empty()) {
            out.push(("type", k.to_string()));
        }
        if let Some(p) = self.price {
            out.push(("price", if p == PriceFilter::Free { "free" } else { "paid" }.to_string()));
        }
        if self.sort != SkillSort::Popularity {
            out.push(("sort", self.sort.as_str().to_string()));
        }
        if let Some(limit) = self.limit {
            out.push(("limit", limit.clamp(1, limits::SKILLS_PAGE_MAX).to_string()));
        }
        if self.offset > 0 {
            out.push(("offset", self.offset.to_string()));
        }
        out
    }
}

/// The body of `POST /submit`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Submission {
    pub name: String,
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub long_description: String,
    pub category: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub version: String,
    pub tags: Vec<String>,
    pub price: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    pub config: Option<serde_json::Value>,
}

/// SemVer 2.0.0: MAJOR.MINOR.PATCH with optional `-pre.release` and `+build`.
pub fn is_semver(v: &str) -> bool {
    let numeric =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    let ident = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let (rest, build) = v.split_once('+').map_or((v, None), |(r, b)| (r, Some(b)));
    let (core, pre) = rest.split_once('-').map_or((rest, None), |(c, p)| (c, Some(p)));
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| numeric(p))
        && pre.is_none_or(|p| {
            p.split('.').all(|id| ident(id) && (!id.bytes().all(|b| b.is_ascii_digit()) || numeric(id)))
        })
        && build.is_none_or(|b| b.split('.').all(ident))
}

fn is_https(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()))
}

impl Submission {
    /// The server's rules, checked before anything is sent. Text is measured trimmed, as the server does.
    pub fn validate(&self, categories: &[Category]) -> Result<(), Error> {
        let mut f = BTreeMap::new();
        let mut fail = |field: &str, msg: String| {
            f.entry(field.to_string()).or_insert(msg);
        };
        let len = |s: &str| s.trim().chars().count();
        let name = len(&self.name);
        if name == 0 {
            fail("name", "is required".into());
        } else if !(limits::NAME_MIN..=limits::NAME_MAX).contains(&name) {
            fail("name", format!("must be {} to {} characters", limits::NAME_MIN, limits::NAME_MAX));
        }
        let desc = len(&self.description);
        if desc == 0 {
            fail("description", "is required".into());
        } else if !(limits::DESCRIPTION_MIN..=limits::DESCRIPTION_MAX).contains(&desc) {
            fail(
                "description",
                format!("must be {} to {} characters", limits::DESCRIPTION_MIN, limits::DESCRIPTION_MAX),
            );
        }
        if len(&self.long_description) > limits::LONG_DESCRIPTION_MAX {
            fail("long_description", format!("must be at most {} characters", limits::LONG_DESCRIPTION_MAX));
        }
        if self.category.trim().is_empty() {
            fail("category", "is required".into());
        } else if !categories.is_empty() && !categories.iter().any(|c| c.slug == self.category.trim()) {
            fail("category", "is not a known category".into());
        }
        if self.kind.trim().is_empty() {
            fail("type", "is required".into());
        } else if !SKILL_TYPES.contains(&self.kind.trim()) {
            fail("type", format!("must be one of {}", SKILL_TYPES.join(", ")));
        }
        if self.version.trim().is_empty() {
            fail("version", "is required".into());
        } else if !is_semver(self.version.trim()) {
            fail("version", "must be a SemVer 2.0 version such as 1.0.0".into());
        }
        if self.tags.len() > limits::TAGS_MAX {
            fail("tags", format!("at most {} tags", limits::TAGS_MAX));
        }
        let tag_ok = |t: &String| {
            (1..=limits::TAG_MAX).contains(&t.len())
                && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !self.tags.iter().all(tag_ok) {
            fail("tags", format!("each tag is 1 to {} characters of a-z, 0-9 and -", limits::TAG_MAX));
        }
        if !(self.price.is_finite() && (0.0..=limits::PRICE_MAX).contains(&self.price)) {
            fail("price", "must be a number of at least 0".into());
        }
        if self.license.as_deref().is_some_and(|l| len(l) > limits::LICENSE_MAX) {
            fail("license", format!("must be at most {} characters", limits::LICENSE_MAX));
        }
        for (field, value) in
            [("repository_url", &self.repository_url), ("documentation_url", &self.documentation_url)]
        {
            if let Some(u) = value.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                if u.len() > limits::URL_MAX || !is_https(u) {
                    fail(field, "must be an https:// URL".into());
                }
            }
        }
        if self.config.as_ref().is_some_and(|c| !c.is_object()) {
            fail("config", "must be an object".into());
        }
        if f.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid { fields: f })
        }
    }
}

/// A rating from the server, kept to 1 to 5 stars whatever it sent (7 stars would break a row of
/// five); not a number: 0, no rating.
fn stars<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(value.as_f64().map(|n| n.round().clamp(1.0, 5.0) as u8).unwrap_or(0))
}

/// A person's name from the server, by the one rule every shown name follows; anything else: empty.
fn name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(crate::text::clean_json_name(Some(value), crate::text::NAME_MAX).unwrap_or_default())
}

/// An average from the server, kept to 0 to 5 stars; not a number: 0.
fn average_stars<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(value.as_f64().filter(|n| n.is_finite()).map(|n| n.clamp(0.0, 5.0)).unwrap_or(0.0))
}

/// A rating, with optional review text (`/rate`) or required text (`/reviews`).
pub fn validate_rating(rating: u8, review: Option<&str>, review_required: bool) -> Result<(), Error> {
    let mut fields = BTreeMap::new();
    if !(1..=5).contains(&rating) {
        fields.insert("rating".into(), "must be from 1 to 5 stars".into());
    }
    let text = review.map(str::trim).unwrap_or("");
    if review_required && text.is_empty() {
        fields.insert("review".into(), "is required".into());
    }
    if text.chars().count() > limits::REVIEW_MAX {
        fields.insert("review".into(), format!("must be at most {} characters", limits::REVIEW_MAX));
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid { fields })
    }
}

/// Whether `id` can name a skill: an id (a UUID) or a slug, 1 to [`limits::SKILL_ID_MAX`] of `A-Z a-z
/// 0-9 - _`. Anything else is refused before a request is made: a dot segment (`.`, `..`, even
/// percent-encoded) would take the request out of its path segment, to the marketplace's root.
pub fn validate_skill_id(id: &str) -> Result<(), Error> {
    let ok = (1..=limits::SKILL_ID_MAX).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        return Ok(());
    }
    let why =
        format!("is not a skill's id or slug (1 to {} letters, digits, '-' or '_')", limits::SKILL_ID_MAX);
    Err(Error::Invalid { fields: BTreeMap::from([("skill".to_string(), why)]) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_tolerate_missing_and_unknown_fields() {
        let s: Skill = serde_json::from_str(r#"{"id":"x","name":"N","brand_new_field":[1,2]}"#).unwrap();
        assert_eq!(s.name, "N");
        assert_eq!(s.rating_count, 0);
        let d: SkillDetail =
            serde_json::from_str(r#"{"id":"x","author":{"name":"A","url":"u"},"version":"1.0.0"}"#).unwrap();
        assert_eq!(d.author.name, "A");
        let d: SkillDetail =
            serde_json::from_str("{\"id\":\"x\",\"author\":{\"name\":\"Mallory\\u202e\\u200b\\u2028Evil\"}}")
                .unwrap();
        assert_eq!(d.author.name, "MalloryEvil", "an author's name is cleaned as every name is");
        let r: Review = serde_json::from_str("{\"author_name\":\"\\u0000\\ufeffPriya\"}").unwrap();
        assert_eq!(r.author_name, "Priya");
        assert_eq!(d.skill.id, "x");
        let p: SkillPage = serde_json::from_str("{}").unwrap();
        assert!(p.skills.is_empty());
    }

    #[test]
    fn query_pairs_are_stable_and_skip_defaults() {
        let q = SkillQuery {
            query: "  pdf tools ".into(),
            tags: vec!["a".into(), " ".into(), "b".into()],
            sort: SkillSort::Rating,
            limit: Some(500),
            ..Default::default()
        };
        let pairs = q.to_pairs();
        assert_eq!(
            pairs,
            vec![
                ("query", "pdf tools".to_string()),
                ("tags", "a,b".to_string()),
                ("sort", "rating".to_string()),
                ("limit", "100".to_string())
            ]
        );
        assert!(SkillQuery::default().to_pairs().is_empty());
    }

    #[test]
    fn submission_rules_mirror_the_server() {
        let ok = Submission {
            name: "Changelog Writer".into(),
            description: "Writes changelogs from PRs.".into(),
            category: "developer-tools".into(),
            kind: "function".into(),
            version: "1.0.0".into(),
            ..Default::default()
        };
        assert!(ok.validate(&[]).is_ok());
        let bad = Submission {
            name: "ab".into(),
            version: "1.0".into(),
            tags: vec!["Bad Tag".into()],
            price: -1.0,
            repository_url: Some("http://x.y".into()),
            ..ok.clone()
        };
        let Err(Error::Invalid { fields }) = bad.validate(&[]) else { panic!("invalid") };
        for f in ["name", "version", "tags", "price", "repository_url"] {
            assert!(fields.contains_key(f), "{f}");
        }
        let cats = [Category { slug: "security".into(), ..Default::default() }];
        assert!(ok.validate(&cats).is_err(), "unknown category when the list is known");
    }

    #[test]
    fn semver_follows_the_spec() {
        assert!(is_semver("1.2.3-beta.1+build.9"));
        assert!(!is_semver("1.2"));
        assert!(!is_semver("01.2.3"));
        assert!(!is_semver("1.2.3-01"));
    }

    /// Stars from a server are kept to what a rating can be, whatever it sent: a review's 1 to 5, an
    /// average's 0 to 5; a value of another kind is no rating (and never fails the whole page).
    #[test]
    fn ratings_out_of_range_are_kept_to_the_scale() {
        let review = |v: &str| {
            serde_json::from_str::<Review>(&format!(r#"{{"id":"r","rating":{v}}}"#)).unwrap().rating
        };
        assert_eq!(review("7"), 5);
        assert_eq!(review("300"), 5);
        assert_eq!(review("-2"), 1);
        assert_eq!(review("4.6"), 5);
        assert_eq!(review("3"), 3);
        assert_eq!(review(r#""five""#), 0);
        assert_eq!(review("null"), 0);
        let average =
            |v: &str| serde_json::from_str::<Skill>(&format!(r#"{{"id":"s","rating":{v}}}"#)).unwrap().rating;
        assert_eq!(average("9.9"), 5.0);
        assert_eq!(average("-1"), 0.0);
        assert_eq!(average(r#""high""#), 0.0);
        assert_eq!(average("4.25"), 4.25);
        let rated: RateResult = serde_json::from_str(r#"{"average_rating":12}"#).unwrap();
        assert_eq!(rated.average_rating, 5.0);
        let missing: Review = serde_json::from_str(r#"{"id":"r"}"#).unwrap();
        assert_eq!(missing.rating, 0);
    }

    #[test]
    fn rating_rules() {
        assert!(validate_rating(5, None, false).is_ok());
        assert!(validate_rating(0, None, false).is_err());
        assert!(validate_rating(3, Some("  "), true).is_err());
        assert!(validate_rating(3, Some(&"x".repeat(1001)), false).is_err());
    }
}
