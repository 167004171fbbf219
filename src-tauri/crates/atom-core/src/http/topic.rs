//! What a read provides and a write changes, as the cache keeps it: a write names its topics (next to
//! the calls, `account/calls.rs`) and only the cached replies they cover must be revalidated.

use crate::contract::paths;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Topic {
    /// A skill's detail (by id or slug).
    Skill(String),
    /// A skill's reviews, every page.
    Reviews(String),
    /// The catalogue's list pages (`GET /skills`, any query): they show each skill's rating and count.
    Lists,
    Categories,
}

/// A cache key's path (no query), split at the marketplace's `skills/` prefix into the skill's name
/// (percent-decoded) and what follows it.
fn skill_part(key: &str) -> Option<(String, &str)> {
    let (path, _) = key.split_once('?').unwrap_or((key, ""));
    let rest = path.strip_prefix(paths::SKILLS)?.strip_prefix('/')?;
    let (name, tail) = rest.split_once('/').map_or((rest, ""), |(n, t)| (n, t));
    let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy().into_owned();
    Some((name, tail))
}

/// The name a cached skill detail was asked by, when `key` is one.
pub(super) fn detail_name(key: &str) -> Option<String> {
    skill_part(key).filter(|(_, tail)| tail.is_empty()).map(|(name, _)| name)
}

impl Topic {
    /// The skill this topic names, if any.
    pub(super) fn skill(&self) -> Option<&str> {
        match self {
            Topic::Skill(s) | Topic::Reviews(s) => Some(s),
            Topic::Lists | Topic::Categories => None,
        }
    }

    /// Whether the cache key `key` (a path relative to the marketplace, with its query) holds this;
    /// `names`: every id and slug of the skills concerned (a skill is cached under the name it was asked
    /// by, and written to by either).
    pub(super) fn covers(&self, key: &str, names: &[String]) -> bool {
        let path = key.split_once('?').map_or(key, |(p, _)| p);
        match self {
            Topic::Skill(_) => skill_part(key).is_some_and(|(n, tail)| tail.is_empty() && names.contains(&n)),
            Topic::Reviews(_) => {
                skill_part(key).is_some_and(|(n, tail)| tail == "reviews" && names.contains(&n))
            }
            Topic::Lists => path == paths::SKILLS,
            Topic::Categories => path == paths::CATEGORIES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_covers_its_own_keys_only() {
        let names = vec!["web-router".to_string(), "sk_1".to_string()];
        let skill = Topic::Skill("sk_1".into());
        assert!(skill.covers("skills/web%2Drouter", &names));
        assert!(skill.covers("skills/sk%5F1", &names));
        assert!(!skill.covers("skills/web%2Drouter/reviews?page=2", &names));
        assert!(!skill.covers("skills/other", &names));
        assert!(!skill.covers("skills?page=1", &names));
        let reviews = Topic::Reviews("sk_1".into());
        assert!(reviews.covers("skills/web%2Drouter/reviews?page=2&limit=10", &names));
        assert!(!reviews.covers("skills/web%2Drouter", &names));
        assert!(Topic::Lists.covers("skills?q=router&page=1", &names));
        assert!(!Topic::Lists.covers("skills/web%2Drouter", &names));
        assert!(Topic::Categories.covers("categories", &names));
        assert!(!Topic::Categories.covers("skills", &names));
        assert_eq!(detail_name("skills/web%2Drouter"), Some("web-router".into()));
        assert_eq!(detail_name("skills/web%2Drouter/reviews"), None);
    }
}
