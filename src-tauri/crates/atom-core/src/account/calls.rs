//! The marketplace calls an [`Account`] makes: reads (through its catalogue's cache, with the saved
//! pages as the answer while offline) and writes (checked against the contract first, sent once).

use super::Account;
use crate::contract::{limits, paths};
use crate::error::{Error, Result};
use crate::http::{Credential, Fetched, Freshness};
use crate::models::{
    validate_rating, validate_skill_id, Categories, Category, RateResult, Review, ReviewPage, SkillDetail,
    SkillPage, SkillQuery, Submission, SubmitResult,
};

impl Account {
    pub async fn skills(&self, query: &SkillQuery) -> Result<SkillPage> {
        self.skills_with(query, Freshness::Live).await.map(|f| f.data)
    }

    pub async fn skill(&self, id_or_slug: &str) -> Result<SkillDetail> {
        self.skill_with(id_or_slug, Freshness::Live).await.map(|f| f.data)
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        self.categories_with(Freshness::Live).await.map(|f| f.data)
    }

    pub async fn reviews(&self, skill: &str, limit: u32, offset: u64) -> Result<ReviewPage> {
        self.reviews_with(skill, limit, offset, Freshness::Live).await.map(|f| f.data)
    }

    /// A page of skills. With no reply to this query saved and no server, the saved pages are searched
    /// and filtered instead (`from_saved_pages`).
    pub async fn skills_with(&self, query: &SkillQuery, freshness: Freshness) -> Result<Fetched<SkillPage>> {
        let pairs = &query.to_pairs();
        let result = self
            .read(move |c| async move {
                self.inner.catalogue.api().get(paths::SKILLS, pairs, &c, freshness).await
            })
            .await;
        match result {
            Err(Error::Network(reason)) => {
                let saved = self.inner.catalogue.api().cached_skill_pages();
                if saved.is_empty() {
                    return Err(Error::Network(reason));
                }
                Ok(crate::offline::search(&saved, query))
            }
            other => other,
        }
    }

    pub async fn skill_with(&self, id_or_slug: &str, freshness: Freshness) -> Result<Fetched<SkillDetail>> {
        validate_skill_id(id_or_slug)?;
        let path = &paths::skill(id_or_slug);
        self.read(move |c| async move { self.inner.catalogue.api().get(path, &[], &c, freshness).await })
            .await
    }

    pub async fn categories_with(&self, freshness: Freshness) -> Result<Fetched<Vec<Category>>> {
        let list: Fetched<Categories> =
            self.read(|c| async move {
                self.inner.catalogue.api().get(paths::CATEGORIES, &[], &c, freshness).await
            })
            .await?;
        Ok(list.map(|l| l.categories))
    }

    pub async fn reviews_with(
        &self,
        skill: &str,
        limit: u32,
        offset: u64,
        freshness: Freshness,
    ) -> Result<Fetched<ReviewPage>> {
        validate_skill_id(skill)?;
        let path = paths::reviews(skill);
        let query =
            [("limit", limit.clamp(1, limits::REVIEWS_PAGE_MAX).to_string()), ("offset", offset.to_string())];
        let (path, query) = (&path, &query);
        self.read(move |c| async move { self.inner.catalogue.api().get(path, query, &c, freshness).await })
            .await
    }

    /// A read: as [`Account::call`], and when it finds the server unreachable, the catalogue starts
    /// watching for the network's return.
    async fn read<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: Fn(Credential) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let result = self.call(false, op).await;
        self.inner.catalogue.watch_for_the_network();
        result
    }

    /// Submits a skill after checking it against the contract's rules (nothing invalid is sent).
    pub async fn submit(&self, submission: &Submission) -> Result<SubmitResult> {
        submission.validate(&[])?;
        self.call(
            true,
            |c| async move { self.inner.catalogue.api().post(paths::SUBMIT, submission, &c).await },
        )
        .await
    }

    pub async fn rate(&self, skill: &str, rating: u8, review: Option<&str>) -> Result<RateResult> {
        validate_skill_id(skill)?;
        validate_rating(rating, review, false)?;
        let mut body = serde_json::json!({ "rating": rating });
        if let Some(text) = review {
            body["review"] = serde_json::Value::String(text.trim().to_string());
        }
        let (path, body) = (&paths::rate(skill), &body);
        self.call(true, move |c| async move { self.inner.catalogue.api().post(path, body, &c).await }).await
    }

    pub async fn post_review(&self, skill: &str, rating: u8, review: &str) -> Result<Review> {
        validate_skill_id(skill)?;
        validate_rating(rating, Some(review), true)?;
        let body = serde_json::json!({ "rating": rating, "review": review.trim() });
        let (path, body) = (&paths::reviews(skill), &body);
        self.call(true, move |c| async move { self.inner.catalogue.api().post(path, body, &c).await }).await
    }
}
