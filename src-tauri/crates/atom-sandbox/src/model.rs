//! The marketplace's records, as the API shows them and as the store keeps them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A published or pending skill, with everything `SkillDetail` shows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SkillRecord {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub long_description: String,
    pub category: String,
    pub tags: Vec<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub price: f64,
    pub installs: u64,
    pub version: String,
    pub author_name: String,
    pub license: Option<String>,
    pub repository_url: Option<String>,
    pub documentation_url: Option<String>,
    pub is_featured: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// `published` or `pending_review`; only published skills are listed.
    pub status: String,
    /// Ratings from before the sandbox kept individual entries (demo data): how many of each star, 1 to 5.
    pub base_ratings: [u64; 5],
    pub config: Option<serde_json::Value>,
    /// Who submitted it (`None` for demo data).
    pub submitted_by: Option<String>,
}

pub const STATUS_PUBLISHED: &str = "published";
pub const STATUS_PENDING: &str = "pending_review";

/// One rater's rating of one skill, with an optional review text.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RatingEntry {
    pub id: Uuid,
    pub skill_id: Uuid,
    /// `user:<id>` or `tenant:<id>`: one entry per rater per skill.
    pub rater: String,
    pub author_name: String,
    pub rating: u8,
    pub review: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Clone, Debug, Serialize)]
pub struct Category {
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

/// How many ratings of each star (index 0 is one star) a skill has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RatingTotals(pub [u64; 5]);

impl RatingTotals {
    pub fn count(self) -> u64 {
        self.0.iter().sum()
    }

    pub fn average(self) -> f64 {
        let count = self.count();
        if count == 0 {
            return 0.0;
        }
        let sum: u64 = self.0.iter().enumerate().map(|(i, n)| (i as u64 + 1) * n).sum();
        sum as f64 / count as f64
    }

    pub fn add(&mut self, stars: u8) {
        self.0[usize::from(stars.clamp(1, 5)) - 1] += 1;
    }

    pub fn remove(&mut self, stars: u8) {
        let slot = &mut self.0[usize::from(stars.clamp(1, 5)) - 1];
        *slot = slot.saturating_sub(1);
    }
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl SkillRecord {
    /// The `Skill` shape of the listing.
    pub fn summary_json(&self, totals: RatingTotals) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "slug": self.slug,
            "name": self.name,
            "description": self.description,
            "category": self.category,
            "tags": self.tags,
            "type": self.kind,
            "price": self.price,
            "is_free": self.price == 0.0,
            "rating": totals.average(),
            "rating_count": totals.count(),
            "installs": self.installs,
        })
    }

    /// The `SkillDetail` shape.
    pub fn detail_json(&self, totals: RatingTotals) -> serde_json::Value {
        let mut v = self.summary_json(totals);
        let extra = serde_json::json!({
            "long_description": self.long_description,
            "version": self.version,
            "author": { "name": self.author_name },
            "license": self.license,
            "repository_url": self.repository_url,
            "documentation_url": self.documentation_url,
            "is_featured": self.is_featured,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
            "status": self.status,
            "rating_distribution": {
                "1": totals.0[0], "2": totals.0[1], "3": totals.0[2], "4": totals.0[3], "5": totals.0[4],
            },
        });
        if let (Some(obj), serde_json::Value::Object(more)) = (v.as_object_mut(), extra) {
            obj.extend(more);
        }
        v
    }
}

impl RatingEntry {
    /// The `Review` shape.
    pub fn review_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "skill_id": self.skill_id,
            "rating": self.rating,
            "review": self.review.clone().unwrap_or_default(),
            "author_name": self.author_name,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        })
    }
}
