//! Input validation: `GET` queries and `POST` bodies, with a message per field.

use serde_json::{Map, Value};

use crate::catalog::{Catalog, SkillQuery};
use crate::contract::{limits, SKILL_TYPES, SORTS};
use crate::error::ApiError;

type Fields = Map<String, Value>;

fn fail(fields: &mut Fields, field: &str, message: impl Into<String>) {
    fields.entry(field.to_string()).or_insert_with(|| Value::String(message.into()));
}

/// Query pairs of a URL; a name given twice is an error rather than a silent pick.
pub fn query_pairs(raw: Option<&str>) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    let mut fields = Fields::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if out.insert(k.to_string(), Value::String(v.to_string())).is_some() {
            fail(&mut fields, &k, "must be given once");
        }
    }
    if fields.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::validation(fields))
    }
}

fn int_param(
    q: &Map<String, Value>,
    name: &str,
    default: u32,
    range: (u32, u32),
    fields: &mut Fields,
) -> usize {
    match q.get(name).and_then(Value::as_str) {
        None => default as usize,
        Some(s) => match s.parse::<u32>() {
            Ok(n) if n >= range.0 && n <= range.1 => n as usize,
            _ => {
                fail(fields, name, format!("must be an integer from {} to {}", range.0, range.1));
                0
            }
        },
    }
}

/// `limit` and `offset` of a paged list.
pub fn paging(q: &Map<String, Value>, default: u32, max: u32) -> Result<(usize, usize), ApiError> {
    let mut fields = Fields::new();
    let limit = int_param(q, "limit", default, (1, max), &mut fields);
    let offset = int_param(q, "offset", 0, (0, u32::MAX), &mut fields);
    if fields.is_empty() {
        Ok((limit, offset))
    } else {
        Err(ApiError::validation(fields))
    }
}

pub fn skill_query(q: &Map<String, Value>) -> Result<SkillQuery, ApiError> {
    let mut fields = Fields::new();
    let text = |name: &str| q.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let mut out = SkillQuery::default();
    if let Some(query) = text("query") {
        if query.chars().count() > limits::QUERY_MAX_CHARS {
            fail(&mut fields, "query", format!("must be at most {} characters", limits::QUERY_MAX_CHARS));
        }
        out.terms = query.to_lowercase().split_whitespace().map(str::to_string).collect();
    }
    out.category = text("category").map(str::to_string);
    if let Some(tags) = text("tags") {
        out.tags = tags.split(',').map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()).collect();
    }
    if let Some(kind) = text("type") {
        if SKILL_TYPES.contains(&kind) {
            out.kind = Some(kind.to_string());
        } else {
            fail(&mut fields, "type", format!("must be one of {}", SKILL_TYPES.join(", ")));
        }
    }
    match text("price") {
        None => {}
        Some("free") => out.free = Some(true),
        Some("paid") => out.free = Some(false),
        Some(_) => fail(&mut fields, "price", "must be free or paid"),
    }
    if let Some(sort) = text("sort") {
        match SORTS.iter().position(|s| *s == sort) {
            Some(i) => out.sort = i,
            None => fail(&mut fields, "sort", format!("must be one of {}", SORTS.join(", "))),
        }
    }
    out.limit =
        int_param(q, "limit", limits::SKILLS_DEFAULT_LIMIT, (1, limits::SKILLS_MAX_LIMIT), &mut fields);
    out.offset = int_param(q, "offset", 0, (0, u32::MAX), &mut fields);
    if fields.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::validation(fields))
    }
}

/// Parses a JSON object body; anything else is a validation error on `body`.
pub fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::field("body", "must be a JSON object")),
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => Err(ApiError::field("body", "is required")),
        Err(e) => Err(ApiError::field("body", format!("is not valid JSON ({e})"))),
    }
}

/// A string field: `Ok(None)` when absent or null.
fn string_field(body: &Map<String, Value>, name: &str, fields: &mut Fields) -> Option<String> {
    match body.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => {
            fail(fields, name, "must be a string");
            None
        }
    }
}

fn check_len(fields: &mut Fields, name: &str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if n < min || n > max {
        if min > 0 {
            fail(fields, name, format!("must be {min} to {max} characters"));
        } else {
            fail(fields, name, format!("must be at most {max} characters"));
        }
    }
}

/// SemVer 2.0.0 (semver.org's grammar): MAJOR.MINOR.PATCH, optional `-pre.release` and `+build`.
pub fn is_semver(v: &str) -> bool {
    fn numeric(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    }
    fn ident(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }
    let (rest, build) = match v.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| numeric(p))
        && pre.is_none_or(|p| {
            p.split('.').all(|id| ident(id) && (!id.bytes().all(|b| b.is_ascii_digit()) || numeric(id)))
        })
        && build.is_none_or(|b| b.split('.').all(ident))
}

fn is_https_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()))
}

/// What `POST /submit` adds to the catalogue.
#[derive(Debug)]
pub struct Submission {
    pub name: String,
    pub description: String,
    pub long_description: String,
    pub category: String,
    pub kind: String,
    pub version: String,
    pub tags: Vec<String>,
    pub price: f64,
    pub license: Option<String>,
    pub repository_url: Option<String>,
    pub documentation_url: Option<String>,
    pub config: Option<Value>,
}

pub fn submission(body: &Map<String, Value>) -> Result<Submission, ApiError> {
    let mut f = Fields::new();
    let required = |f: &mut Fields, name: &str, v: Option<String>| -> String {
        match v {
            Some(s) if !s.is_empty() => s,
            _ => {
                fail(f, name, "is required");
                String::new()
            }
        }
    };
    let name = string_field(body, "name", &mut f);
    let name = required(&mut f, "name", name);
    if !name.is_empty() {
        check_len(&mut f, "name", &name, limits::NAME_MIN, limits::NAME_MAX);
    }
    let description = string_field(body, "description", &mut f);
    let description = required(&mut f, "description", description);
    if !description.is_empty() {
        check_len(&mut f, "description", &description, limits::DESCRIPTION_MIN, limits::DESCRIPTION_MAX);
    }
    let long_description = string_field(body, "long_description", &mut f).unwrap_or_default();
    check_len(&mut f, "long_description", &long_description, 0, limits::LONG_DESCRIPTION_MAX);

    let category = string_field(body, "category", &mut f);
    let category = required(&mut f, "category", category);
    if !category.is_empty() && !Catalog::category_exists(&category) {
        fail(&mut f, "category", "is not a known category slug");
    }
    let kind = string_field(body, "type", &mut f);
    let kind = required(&mut f, "type", kind);
    if !kind.is_empty() && !SKILL_TYPES.contains(&kind.as_str()) {
        fail(&mut f, "type", format!("must be one of {}", SKILL_TYPES.join(", ")));
    }
    let version = string_field(body, "version", &mut f);
    let version = required(&mut f, "version", version);
    if !version.is_empty() && (version.len() > limits::VERSION_MAX || !is_semver(&version)) {
        fail(&mut f, "version", "must be a SemVer 2.0 version such as 1.0.0");
    }

    let mut tags = Vec::new();
    match body.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            if items.len() > limits::TAGS_MAX {
                fail(&mut f, "tags", format!("at most {} tags", limits::TAGS_MAX));
            }
            for item in items {
                let ok = item.as_str().filter(|t| {
                    (limits::TAG_MIN..=limits::TAG_MAX).contains(&t.len())
                        && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                });
                match ok {
                    Some(t) if !tags.iter().any(|x: &String| x == t) => tags.push(t.to_string()),
                    Some(_) => {}
                    None => fail(
                        &mut f,
                        "tags",
                        format!(
                            "each tag is {} to {} characters of a-z, 0-9 and -",
                            limits::TAG_MIN,
                            limits::TAG_MAX
                        ),
                    ),
                }
            }
        }
        Some(_) => fail(&mut f, "tags", "must be an array of strings"),
    }

    let price = match body.get("price") {
        None | Some(Value::Null) => 0.0,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(p) if (0.0..=limits::PRICE_MAX).contains(&p) => p,
            _ => {
                fail(&mut f, "price", "must be a number of at least 0");
                0.0
            }
        },
        Some(_) => {
            fail(&mut f, "price", "must be a number of at least 0");
            0.0
        }
    };
    let license = string_field(body, "license", &mut f).filter(|s| !s.is_empty());
    if let Some(l) = &license {
        check_len(&mut f, "license", l, 0, limits::LICENSE_MAX);
    }
    let mut url_field = |name: &str| {
        let v = string_field(body, name, &mut f).filter(|s| !s.is_empty());
        if let Some(u) = &v {
            if u.len() > limits::URL_MAX || !is_https_url(u) {
                fail(&mut f, name, "must be an https:// URL");
            }
        }
        v
    };
    let repository_url = url_field("repository_url");
    let documentation_url = url_field("documentation_url");
    let config = match body.get("config") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => {
            fail(&mut f, "config", "must be an object");
            None
        }
    };

    if !f.is_empty() {
        return Err(ApiError::validation(f));
    }
    Ok(Submission {
        name,
        description,
        long_description,
        category,
        kind,
        version,
        tags,
        price,
        license,
        repository_url,
        documentation_url,
        config,
    })
}

/// `rating` (integer 1..5) and `review` (≤ 1000 characters) of `/rate` and `/reviews`.
/// `review`: outer `None` when absent; `Some(None)` when explicitly emptied.
pub fn rating(
    body: &Map<String, Value>,
    review_required: bool,
) -> Result<(u8, Option<Option<String>>), ApiError> {
    let mut f = Fields::new();
    let rating = match body.get("rating") {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(r) if (limits::RATING_MIN..=limits::RATING_MAX).contains(&r) => r as u8,
            _ => {
                fail(&mut f, "rating", "must be an integer from 1 to 5");
                0
            }
        },
        None | Some(Value::Null) => {
            fail(&mut f, "rating", "is required");
            0
        }
        Some(_) => {
            fail(&mut f, "rating", "must be an integer from 1 to 5");
            0
        }
    };
    let review = match body.get("review") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let s = s.trim();
            check_len(&mut f, "review", s, 0, limits::REVIEW_MAX);
            Some(if s.is_empty() { None } else { Some(s.to_string()) })
        }
        Some(_) => {
            fail(&mut f, "review", "must be a string");
            None
        }
    };
    if review_required && !matches!(review, Some(Some(_))) {
        fail(&mut f, "review", "is required");
    }
    if f.is_empty() {
        Ok((rating, review))
    } else {
        Err(ApiError::validation(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_follows_the_spec() {
        for ok in [
            "1.0.0",
            "0.0.1",
            "10.20.30",
            "1.0.0-alpha.1",
            "1.0.0-0.3.7",
            "1.0.0+build.5",
            "1.0.0-x-y.z+meta",
        ] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in
            ["1", "1.0", "01.0.0", "1.0.0-", "1.0.0-01", "1.0.0+", "v1.0.0", "1.0.0-a..b", "1.0.0 ", ""]
        {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn https_only_urls() {
        assert!(is_https_url("https://example.com/x"));
        assert!(!is_https_url("http://example.com"));
        assert!(!is_https_url("javascript:alert(1)"));
        assert!(!is_https_url("https://"));
    }
}
