//! The marketplace's reads, as methods of the [`Catalogue`]: its cache (shared by every account of the
//! server), its saved pages while offline. The account a read is for hands only its credential (and a
//! fresh one when the server refuses it). They live here, beside the account they take, so that the
//! catalogue itself knows nothing of accounts.

use super::Account;
use crate::catalogue::Catalogue;
use crate::contract::{limits, paths};
use crate::error::{Error, Result};
use crate::http::{Fetched, Freshness};
use crate::models::{
    validate_skill_id, Categories, Category, ReviewPage, SkillDetail, SkillPage, SkillQuery,
};

/// Each read names the [`Topic`](crate::http::Topic) it fills in the cache.
impl Catalogue {
    /// A page of skills (provides [`Topic::Lists`](crate::http::Topic::Lists)), read with `by`'s credential. With no reply to this
    /// query saved and no server, the saved pages are searched and filtered instead (`from_saved_pages`).
    pub async fn skills_with(
        &self,
        by: &Account,
        query: &SkillQuery,
        freshness: Freshness,
    ) -> Result<Fetched<SkillPage>> {
        let pairs = &query.to_pairs();
        let result =
            by.read(move |c| async move { self.api().get(paths::SKILLS, pairs, &c, freshness).await }).await;
        match result {
            Err(Error::Network(reason)) => {
                let saved = self.api().cached_skill_pages();
                if saved.is_empty() {
                    return Err(Error::Network(reason));
                }
                Ok(crate::offline::search(&saved, query))
            }
            other => other,
        }
    }

    /// A skill's detail (provides [`Topic::Skill`](crate::http::Topic::Skill)), read with `by`'s credential.
    pub async fn skill_with(
        &self,
        by: &Account,
        id_or_slug: &str,
        freshness: Freshness,
    ) -> Result<Fetched<SkillDetail>> {
        validate_skill_id(id_or_slug)?;
        let path = &paths::skill(id_or_slug);
        by.read(move |c| async move { self.api().get(path, &[], &c, freshness).await }).await
    }

    /// The categories (provides [`Topic::Categories`](crate::http::Topic::Categories)), read with `by`'s credential.
    pub async fn categories_with(
        &self,
        by: &Account,
        freshness: Freshness,
    ) -> Result<Fetched<Vec<Category>>> {
        let list: Fetched<Categories> =
            by.read(|c| async move { self.api().get(paths::CATEGORIES, &[], &c, freshness).await }).await?;
        Ok(list.map(|l| l.categories))
    }

    /// A page of a skill's reviews (provides [`Topic::Reviews`](crate::http::Topic::Reviews)), read with `by`'s credential.
    pub async fn reviews_with(
        &self,
        by: &Account,
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
        by.read(move |c| async move { self.api().get(path, query, &c, freshness).await }).await
    }
}
