//! The catalogue: skills, their ratings and reviews, search and sort.

use std::collections::HashMap;

use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::contract::SORTS;
use crate::demo::{self, CATEGORIES};
use crate::model::{RatingEntry, RatingTotals, SkillRecord, STATUS_PUBLISHED};

/// A validated `GET /skills` query.
#[derive(Clone, Debug, Default)]
pub struct SkillQuery {
    /// Lower-cased terms; every one must occur in a skill's name, description, tags or category.
    pub terms: Vec<String>,
    pub category: Option<String>,
    /// Every tag must be on the skill.
    pub tags: Vec<String>,
    pub kind: Option<String>,
    /// `Some(true)`: free only; `Some(false)`: paid only.
    pub free: Option<bool>,
    /// Index into [`SORTS`].
    pub sort: usize,
    pub limit: usize,
    pub offset: usize,
}

pub struct Catalog {
    skills: Vec<SkillRecord>,
    /// Id (hyphenated, lower case) and slug → index into `skills`.
    by_key: HashMap<String, usize>,
    haystacks: Vec<String>,
    entries: HashMap<Uuid, Vec<RatingEntry>>,
    totals: Vec<RatingTotals>,
    /// Each skill's `Skill` JSON, kept serialized: listing is the hot path.
    summaries: Vec<String>,
    /// Published skills in each order of [`SORTS`].
    orders: Vec<Vec<usize>>,
    category_counts: HashMap<String, usize>,
}

/// Whether a rating made a new entry or changed the rater's earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateAction {
    Created,
    Updated,
}

impl RateAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RateAction::Created => "created",
            RateAction::Updated => "updated",
        }
    }
}

impl Catalog {
    pub fn new(seed: u64, count: usize) -> Catalog {
        let demo = demo::generate(seed, count);
        let mut catalog = Catalog {
            skills: Vec::new(),
            by_key: HashMap::new(),
            haystacks: Vec::new(),
            entries: HashMap::new(),
            totals: Vec::new(),
            summaries: Vec::new(),
            orders: Vec::new(),
            category_counts: HashMap::new(),
        };
        for skill in demo.skills {
            catalog.insert_skill(skill);
        }
        for entry in demo.ratings {
            catalog.put_entry(entry);
        }
        catalog.rebuild_orders();
        catalog
    }

    fn insert_skill(&mut self, skill: SkillRecord) {
        let i = self.skills.len();
        self.by_key.insert(skill.id.to_string(), i);
        self.by_key.insert(skill.slug.clone(), i);
        self.haystacks.push(
            format!(
                "{} {} {} {} {}",
                skill.name,
                skill.description,
                skill.tags.join(" "),
                skill.category,
                skill.slug
            )
            .to_lowercase(),
        );
        self.totals.push(RatingTotals(skill.base_ratings));
        self.summaries.push(skill.summary_json(RatingTotals(skill.base_ratings)).to_string());
        self.skills.push(skill);
    }

    /// Adds stored user records on top of the demo data (start-up with a data directory).
    pub fn restore(&mut self, skills: Vec<SkillRecord>, entries: Vec<RatingEntry>) {
        for skill in skills {
            if !self.by_key.contains_key(&skill.id.to_string()) {
                self.insert_skill(skill);
            }
        }
        for entry in entries {
            self.put_entry(entry);
        }
        self.rebuild_orders();
    }

    /// Inserts or replaces the rater's entry for a skill, keeping the totals exact.
    fn put_entry(&mut self, entry: RatingEntry) -> Option<RateAction> {
        let i = *self.by_key.get(&entry.skill_id.to_string())?;
        let list = self.entries.entry(entry.skill_id).or_default();
        let action = match list.iter_mut().find(|e| e.rater == entry.rater) {
            Some(existing) => {
                self.totals[i].remove(existing.rating);
                *existing = entry.clone();
                RateAction::Updated
            }
            None => {
                list.push(entry.clone());
                RateAction::Created
            }
        };
        self.totals[i].add(entry.rating);
        self.summaries[i] = self.skills[i].summary_json(self.totals[i]).to_string();
        Some(action)
    }

    fn popularity(&self, i: usize) -> f64 {
        self.skills[i].installs as f64 * (0.5 + self.totals[i].average() / 5.0)
    }

    fn rebuild_orders(&mut self) {
        let published: Vec<usize> =
            (0..self.skills.len()).filter(|&i| self.skills[i].status == STATUS_PUBLISHED).collect();
        self.category_counts.clear();
        for &i in &published {
            *self.category_counts.entry(self.skills[i].category.clone()).or_default() += 1;
        }
        let names: Vec<String> = self.skills.iter().map(|s| s.name.to_lowercase()).collect();
        let by_name = |a: &usize, b: &usize| {
            names[*a].cmp(&names[*b]).then(self.skills[*a].id.cmp(&self.skills[*b].id))
        };
        self.orders = SORTS
            .iter()
            .map(|sort| {
                let mut order = published.clone();
                match *sort {
                    "popularity" => order.sort_by(|a, b| {
                        self.popularity(*b).total_cmp(&self.popularity(*a)).then_with(|| by_name(a, b))
                    }),
                    "newest" => order.sort_by(|a, b| {
                        self.skills[*b]
                            .created_at
                            .cmp(&self.skills[*a].created_at)
                            .then_with(|| by_name(a, b))
                    }),
                    "rating" => order.sort_by(|a, b| {
                        let (ta, tb) = (self.totals[*a], self.totals[*b]);
                        tb.average()
                            .total_cmp(&ta.average())
                            .then(tb.count().cmp(&ta.count()))
                            .then_with(|| by_name(a, b))
                    }),
                    "installs" => order.sort_by(|a, b| {
                        self.skills[*b].installs.cmp(&self.skills[*a].installs).then_with(|| by_name(a, b))
                    }),
                    _ => order.sort_by(by_name),
                }
                order
            })
            .collect();
    }

    pub fn get(&self, key: &str) -> Option<&SkillRecord> {
        self.index_of(key).map(|i| &self.skills[i])
    }

    fn index_of(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).or_else(|| self.by_key.get(&key.to_ascii_lowercase())).copied()
    }

    pub fn detail(&self, key: &str) -> Option<Value> {
        let i = self.index_of(key)?;
        Some(self.skills[i].detail_json(self.totals[i]))
    }

    pub fn totals(&self, skill_id: Uuid) -> RatingTotals {
        self.by_key.get(&skill_id.to_string()).map(|&i| self.totals[i]).unwrap_or_default()
    }

    /// One page of published skills, as a JSON array, and the number that match.
    pub fn list(&self, q: &SkillQuery) -> (String, usize) {
        let order = &self.orders[q.sort.min(self.orders.len() - 1)];
        let unfiltered = q.terms.is_empty()
            && q.category.is_none()
            && q.tags.is_empty()
            && q.kind.is_none()
            && q.free.is_none();
        if unfiltered {
            let page: Vec<&str> =
                order.iter().skip(q.offset).take(q.limit).map(|&i| self.summaries[i].as_str()).collect();
            return (format!("[{}]", page.join(",")), order.len());
        }
        let matches = |i: usize| {
            let s = &self.skills[i];
            q.category.as_deref().is_none_or(|c| s.category == c)
                && q.kind.as_deref().is_none_or(|k| s.kind == k)
                && q.free.is_none_or(|free| (s.price == 0.0) == free)
                && q.tags.iter().all(|t| s.tags.iter().any(|st| st == t))
                && q.terms.iter().all(|t| self.haystacks[i].contains(t.as_str()))
        };
        let mut total = 0;
        let mut page = Vec::new();
        for &i in order {
            if matches(i) {
                if total >= q.offset && page.len() < q.limit {
                    page.push(self.summaries[i].as_str());
                }
                total += 1;
            }
        }
        (format!("[{}]", page.join(",")), total)
    }

    pub fn category_count(&self, slug: &str) -> usize {
        self.category_counts.get(slug).copied().unwrap_or(0)
    }

    pub fn category_exists(slug: &str) -> bool {
        CATEGORIES.iter().any(|c| c.slug == slug)
    }

    /// Whether a skill of that name (case-insensitive) and version exists.
    pub fn has_name_version(&self, name: &str, version: &str) -> bool {
        let name = name.to_lowercase();
        self.skills.iter().any(|s| s.version == version && s.name.to_lowercase() == name)
    }

    /// A slug for a new skill, unique in the catalogue.
    pub fn unique_slug(&self, name: &str, id: Uuid) -> String {
        let mut base = demo::slugify(name);
        if base.is_empty() {
            base = format!("skill-{}", &id.simple().to_string()[..8]);
        }
        let mut slug = base.clone();
        let mut n = 2;
        while self.by_key.contains_key(&slug) {
            slug = format!("{base}-{n}");
            n += 1;
        }
        slug
    }

    pub fn add_skill(&mut self, skill: SkillRecord) {
        self.insert_skill(skill);
        self.rebuild_orders();
    }

    /// Records one rater's rating of a skill. `review`: `None` keeps the earlier text, `Some` replaces it.
    pub fn rate(
        &mut self,
        skill_id: Uuid,
        rater: &str,
        author_name: &str,
        rating: u8,
        review: Option<Option<String>>,
    ) -> Option<(RateAction, RatingEntry)> {
        let now = OffsetDateTime::now_utc();
        let existing = self.entries.get(&skill_id).and_then(|l| l.iter().find(|e| e.rater == rater)).cloned();
        let entry = match existing {
            Some(e) => RatingEntry {
                rating,
                review: review.unwrap_or(e.review.clone()),
                author_name: author_name.to_string(),
                updated_at: now,
                ..e
            },
            None => RatingEntry {
                id: Uuid::new_v4(),
                skill_id,
                rater: rater.to_string(),
                author_name: author_name.to_string(),
                rating,
                review: review.flatten(),
                created_at: now,
                updated_at: now,
            },
        };
        let action = self.put_entry(entry.clone())?;
        self.rebuild_orders();
        Some((action, entry))
    }

    /// Reviews with text, newest first: one page and the total.
    pub fn reviews(&self, skill_id: Uuid, limit: usize, offset: usize) -> (Vec<Value>, usize) {
        let mut list: Vec<&RatingEntry> = self
            .entries
            .get(&skill_id)
            .map(|l| l.iter().filter(|e| e.review.as_deref().is_some_and(|r| !r.is_empty())).collect())
            .unwrap_or_default();
        list.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id)));
        let total = list.len();
        (list.into_iter().skip(offset).take(limit).map(RatingEntry::review_json).collect(), total)
    }

    pub fn skill_count(&self) -> usize {
        self.skills.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_twice_updates_and_keeps_totals_exact() {
        let mut c = Catalog::new(3, 20);
        let id = c.skills[0].id;
        let before = c.totals(id);
        let (a1, _) = c.rate(id, "user:x", "X", 5, None).unwrap();
        assert_eq!(a1, RateAction::Created);
        assert_eq!(c.totals(id).count(), before.count() + 1);
        let (a2, _) = c.rate(id, "user:x", "X", 1, None).unwrap();
        assert_eq!(a2, RateAction::Updated);
        let after = c.totals(id);
        assert_eq!(after.count(), before.count() + 1);
        let mut expected = before;
        expected.add(1);
        assert_eq!(after, expected);
    }

    #[test]
    fn filters_compose() {
        let c = Catalog::new(5, 300);
        let q = SkillQuery { category: Some("security".into()), limit: 100, ..Default::default() };
        let (page, total) = c.list(&q);
        assert_eq!(total, c.category_count("security"));
        let page: Vec<Value> = serde_json::from_str(&page).unwrap();
        assert!(page.iter().all(|s| s["category"] == "security"));
    }
}
