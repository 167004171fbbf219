//! The marketplace calls an [`Account`] makes: writes (checked against the contract first, sent once,
//! each saying what it changes), and the credential it hands its catalogue for reads (the reads
//! themselves are the catalogue's methods: `reads.rs`).

use super::Account;
use crate::contract::paths;
use crate::error::Result;
use crate::http::{Credential, Freshness, Topic};
use crate::models::{
    validate_rating, validate_skill_id, Category, RateResult, Review, ReviewPage, SkillDetail, SkillPage,
    SkillQuery, Submission, SubmitResult,
};

/// The server's answers, for a tool or a test that reads as one account (the app reads through its
/// catalogue: [`crate::Catalogue::skills_with`] and the others).
impl Account {
    pub async fn skills(&self, query: &SkillQuery) -> Result<SkillPage> {
        self.catalogue().skills_with(self, query, Freshness::Live).await.map(|f| f.data)
    }

    pub async fn skill(&self, id_or_slug: &str) -> Result<SkillDetail> {
        self.catalogue().skill_with(self, id_or_slug, Freshness::Live).await.map(|f| f.data)
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        self.catalogue().categories_with(self, Freshness::Live).await.map(|f| f.data)
    }

    pub async fn reviews(&self, skill: &str, limit: u32, offset: u64) -> Result<ReviewPage> {
        self.catalogue().reviews_with(self, skill, limit, offset, Freshness::Live).await.map(|f| f.data)
    }

    /// A read with this account's credential (the catalogue's reads come here for it): as
    /// [`Account::call`], and when it finds the server unreachable, the catalogue starts watching for
    /// the network's return.
    pub(crate) async fn read<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: Fn(Credential) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let result = self.call(false, op).await;
        self.inner.catalogue.watch_for_the_network();
        result
    }

    /// Submits a skill after checking it against the contract's rules (nothing invalid is sent). It
    /// changes the list pages and the categories' counts.
    pub async fn submit(&self, submission: &Submission) -> Result<SubmitResult> {
        submission.validate(&[])?;
        let changes = &[Topic::Lists, Topic::Categories];
        self.call(true, |c| async move {
            self.inner.catalogue.api().post(paths::SUBMIT, submission, &c, changes).await
        })
        .await
    }

    pub async fn rate(&self, skill: &str, rating: u8, review: Option<&str>) -> Result<RateResult> {
        validate_skill_id(skill)?;
        validate_rating(rating, review, false)?;
        let mut body = serde_json::json!({ "rating": rating });
        if let Some(text) = review {
            body["review"] = serde_json::Value::String(text.trim().to_string());
        }
        // It changes the skill's average (its detail, and the lists that show it), and its reviews when
        // it carries text.
        let mut changes = vec![Topic::Skill(skill.to_string()), Topic::Lists];
        if review.is_some() {
            changes.push(Topic::Reviews(skill.to_string()));
        }
        let (path, body, changes) = (&paths::rate(skill), &body, &changes);
        self.call(
            true,
            move |c| async move { self.inner.catalogue.api().post(path, body, &c, changes).await },
        )
        .await
    }

    pub async fn post_review(&self, skill: &str, rating: u8, review: &str) -> Result<Review> {
        validate_skill_id(skill)?;
        validate_rating(rating, Some(review), true)?;
        let body = serde_json::json!({ "rating": rating, "review": review.trim() });
        let changes = &[Topic::Skill(skill.to_string()), Topic::Reviews(skill.to_string()), Topic::Lists];
        let (path, body) = (&paths::reviews(skill), &body);
        self.call(
            true,
            move |c| async move { self.inner.catalogue.api().post(path, body, &c, changes).await },
        )
        .await
    }
}
