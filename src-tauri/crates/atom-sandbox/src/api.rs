//! Marketplace API handlers. Credentials, rate limits and the error envelope are handled by the
//! middleware in `lib.rs`; a handler sees the caller as a [`Principal`] extension.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::Principal;
use crate::catalog::{Catalog, RateAction};
use crate::contract::limits;
use crate::demo::CATEGORIES;
use crate::error::ApiError;
use crate::model::{RatingEntry, RatingTotals, SkillRecord, STATUS_PENDING};
use crate::{db, validate, AppState};

type ApiResult = Result<Response, ApiError>;

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large()
        } else {
            ApiError::field("body", "could not be read")
        }
    })
}

pub async fn list_skills(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> ApiResult {
    let q = validate::skill_query(&validate::query_pairs(raw.as_deref())?)?;
    let (skills, total) = state.catalog.read().list(&q);
    // `skills` is already JSON (cached per skill); the envelope around it is written by hand.
    let body = format!(
        r#"{{"skills":{skills},"total":{total},"limit":{},"offset":{},"has_more":{}}}"#,
        q.limit,
        q.offset,
        q.offset + q.limit < total
    );
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

pub async fn get_skill(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult {
    let detail = state.catalog.read().detail(&id).ok_or_else(|| ApiError::not_found("The skill"))?;
    Ok(Json(detail).into_response())
}

/// `GET /me` (ours): who the credential stands for, never the credential. Anonymous callers are told to
/// sign in.
pub async fn me(Extension(who): Extension<Principal>) -> ApiResult {
    let body = match &who {
        Principal::Anonymous => return Err(ApiError::auth_required()),
        Principal::ApiKey { write, .. } => json!({
            "kind": "api_key",
            "name": who.display_name(),
            "can_write": write,
        }),
        Principal::OAuth { user_id, write, .. } => json!({
            "kind": "user",
            "id": user_id,
            "name": who.display_name(),
            "email": crate::demo::user(user_id).map(|u| u.email),
            "can_write": write,
        }),
    };
    Ok(Json(body).into_response())
}

pub async fn categories(State(state): State<Arc<AppState>>) -> ApiResult {
    let catalog = state.catalog.read();
    let list: Vec<Value> = CATEGORIES
        .iter()
        .map(|c| {
            json!({
                "slug": c.slug,
                "name": c.name,
                "description": c.description,
                "skill_count": catalog.category_count(c.slug),
            })
        })
        .collect();
    Ok(Json(json!({ "categories": list })).into_response())
}

pub async fn submit(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    who.can_write()?;
    let body = validate::json_object(&body_bytes(body)?)?;
    let s = validate::submission(&body)?;
    let now = OffsetDateTime::now_utc();
    let mut catalog = state.catalog.write();
    if catalog.has_name_version(&s.name, &s.version) {
        return Err(ApiError::conflict(format!(
            "A skill named \"{}\" at version {} exists.",
            s.name, s.version
        )));
    }
    let id = Uuid::new_v4();
    let slug = catalog.unique_slug(&s.name, id);
    let record = SkillRecord {
        id,
        slug: slug.clone(),
        name: s.name,
        description: s.description,
        long_description: s.long_description,
        category: s.category,
        tags: s.tags,
        kind: s.kind,
        price: s.price,
        installs: 0,
        version: s.version,
        author_name: who.display_name(),
        license: s.license,
        repository_url: s.repository_url,
        documentation_url: s.documentation_url,
        is_featured: false,
        created_at: now,
        updated_at: now,
        status: STATUS_PENDING.to_string(),
        base_ratings: [0; 5],
        config: s.config,
        submitted_by: Some(who.rater()),
    };
    if let Some(db) = &state.db {
        db.put(db::SKILL, &id.to_string(), &record);
    }
    catalog.add_skill(record);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "success": true, "skill_id": id, "slug": slug, "status": STATUS_PENDING })),
    )
        .into_response())
}

fn skill_id(catalog: &Catalog, key: &str) -> Result<Uuid, ApiError> {
    catalog.get(key).map(|s| s.id).ok_or_else(|| ApiError::not_found("The skill"))
}

/// Records the caller's rating (and review text) of a skill; one per rater, a second one updates it.
fn record_rating(
    state: &AppState,
    who: &Principal,
    key: &str,
    body: Result<Bytes, BytesRejection>,
    review_required: bool,
) -> Result<(RateAction, RatingEntry, RatingTotals), ApiError> {
    who.can_write()?;
    let body = validate::json_object(&body_bytes(body)?)?;
    let (rating, review) = validate::rating(&body, review_required)?;
    let mut catalog = state.catalog.write();
    let id = skill_id(&catalog, key)?;
    let (action, entry) = catalog
        .rate(id, &who.rater(), &who.display_name(), rating, review)
        .ok_or_else(|| ApiError::not_found("The skill"))?;
    if let Some(db) = &state.db {
        db.put(db::RATING, &format!("{}|{}", entry.skill_id, entry.rater), &entry);
    }
    Ok((action, entry, catalog.totals(id)))
}

pub async fn rate(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let (action, _, totals) = record_rating(&state, &who, &key, body, false)?;
    Ok(Json(json!({
        "success": true,
        "action": action.as_str(),
        "average_rating": totals.average(),
        "rating_count": totals.count(),
    }))
    .into_response())
}

pub async fn list_reviews(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let q = validate::query_pairs(raw.as_deref())?;
    let (limit, offset) = validate::paging(&q, limits::REVIEWS_DEFAULT_LIMIT, limits::REVIEWS_MAX_LIMIT)?;
    let catalog = state.catalog.read();
    let id = skill_id(&catalog, &key)?;
    let (reviews, total) = catalog.reviews(id, limit, offset);
    Ok(Json(json!({
        "reviews": reviews,
        "total": total,
        "limit": limit,
        "offset": offset,
        "has_more": offset + limit < total,
    }))
    .into_response())
}

pub async fn post_review(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let (action, entry, _) = record_rating(&state, &who, &key, body, true)?;
    let status = if action == RateAction::Created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(entry.review_json())).into_response())
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("The endpoint")
}
