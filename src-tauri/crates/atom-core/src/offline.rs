//! Browsing without a network: a search or a filter nobody asked the server before is answered from
//! the skills of the saved pages, with the server's own rules where the client knows them (every
//! search term must appear; category, tags, type and price filter exactly) and the nearest sort it can
//! do with what a list entry holds.

use std::collections::HashSet;

use crate::contract::limits;
use crate::http::Fetched;
use crate::models::{PriceFilter, Skill, SkillPage, SkillQuery, SkillSort};

/// The page `query` asks for, out of the skills in `saved` (pages, each with its age in seconds,
/// newest first: a skill's newest copy wins).
pub fn search(saved: &[(SkillPage, u64)], query: &SkillQuery) -> Fetched<SkillPage> {
    let mut seen = HashSet::new();
    let mut skills: Vec<&Skill> = Vec::new();
    for (page, _) in saved {
        for skill in &page.skills {
            if seen.insert(skill.id.as_str()) {
                skills.push(skill);
            }
        }
    }
    let terms: Vec<String> = query.query.split_whitespace().map(str::to_lowercase).collect();
    let category = query.category.as_deref().filter(|c| !c.is_empty());
    let kind = query.kind.as_deref().filter(|k| !k.is_empty());
    let tags: Vec<&str> = query.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).collect();
    skills.retain(|s| {
        let haystack = format!("{} {} {} {} {}", s.name, s.description, s.category, s.kind, s.tags.join(" "))
            .to_lowercase();
        terms.iter().all(|t| haystack.contains(t.as_str()))
            && category.is_none_or(|c| s.category == c)
            && kind.is_none_or(|k| s.kind == k)
            && tags.iter().all(|t| s.tags.iter().any(|st| st == t))
            && match query.price {
                Some(PriceFilter::Free) => s.is_free,
                Some(PriceFilter::Paid) => !s.is_free,
                None => true,
            }
    });
    let by_name = |a: &&Skill, b: &&Skill| a.name.to_lowercase().cmp(&b.name.to_lowercase());
    match query.sort {
        SkillSort::Name => skills.sort_by(by_name),
        SkillSort::Rating => skills.sort_by(|a, b| {
            b.rating
                .total_cmp(&a.rating)
                .then(b.rating_count.cmp(&a.rating_count))
                .then_with(|| by_name(a, b))
        }),
        // A list entry has no popularity score: installs come nearest.
        SkillSort::Installs | SkillSort::Popularity => {
            skills.sort_by(|a, b| b.installs.cmp(&a.installs).then_with(|| by_name(a, b)))
        }
        // Nor a date: keep the order the saved pages had.
        SkillSort::Newest => {}
    }
    let total = skills.len() as u64;
    let limit = query.limit.unwrap_or(limits::SKILLS_PAGE_DEFAULT).clamp(1, limits::SKILLS_PAGE_MAX);
    let page: Vec<Skill> =
        skills.into_iter().skip(query.offset as usize).take(limit as usize).cloned().collect();
    let has_more = query.offset + (page.len() as u64) < total;
    let age_secs = saved.iter().map(|(_, age)| *age).max().unwrap_or(0);
    Fetched {
        data: SkillPage { skills: page, total, limit, offset: query.offset, has_more },
        stale: true,
        age_secs,
        offline: true,
        from_saved_pages: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(id: &str, name: &str, category: &str, installs: u64, free: bool) -> Skill {
        Skill {
            id: id.into(),
            slug: id.into(),
            name: name.into(),
            description: format!("{name} does things"),
            category: category.into(),
            tags: vec![format!("{category}-tag")],
            kind: "function".into(),
            is_free: free,
            installs,
            ..Default::default()
        }
    }

    fn page(skills: Vec<Skill>) -> SkillPage {
        SkillPage { total: skills.len() as u64, skills, limit: 50, offset: 0, has_more: false }
    }

    #[test]
    fn searches_and_filters_the_saved_skills() {
        let saved = vec![
            (
                page(vec![
                    skill("1", "GitHub Triage", "dev", 10, true),
                    skill("2", "Mail Sorter", "office", 50, false),
                ]),
                60,
            ),
            // An older copy of skill 1, and one more skill, from another saved query.
            (
                page(vec![
                    skill("1", "Old name", "dev", 1, true),
                    skill("3", "GitHub Release", "dev", 30, false),
                ]),
                600,
            ),
        ];
        let q = |text: &str| SkillQuery { query: text.into(), ..Default::default() };
        let found = search(&saved, &q("github"));
        let names: Vec<&str> = found.data.skills.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["GitHub Release", "GitHub Triage"], "every match, once, most installed first");
        assert_eq!(found.data.total, 2);
        assert!(found.offline && found.from_saved_pages && found.stale);
        assert_eq!(found.age_secs, 600, "as old as the oldest page it used");

        assert_eq!(search(&saved, &q("github triage")).data.total, 1, "every term must appear");
        let free = SkillQuery { price: Some(PriceFilter::Free), ..Default::default() };
        assert_eq!(search(&saved, &free).data.total, 1);
        let office = SkillQuery { category: Some("office".into()), ..Default::default() };
        assert_eq!(search(&saved, &office).data.skills[0].name, "Mail Sorter");
        let paged = SkillQuery { limit: Some(1), offset: 1, ..Default::default() };
        let second = search(&saved, &paged).data;
        assert_eq!((second.skills.len(), second.total, second.has_more), (1, 3, true));
    }
}
