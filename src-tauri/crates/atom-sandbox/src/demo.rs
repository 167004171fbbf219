//! Deterministic demo data: the same seed always gives the same catalogue.
//!
//! A few skills carry hostile but valid strings on purpose (HTML and script payloads, right-to-left
//! overrides, emoji, names at the length limit) so that every client has to render them safely.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::Duration;
use uuid::Uuid;

use crate::contract::{limits, SKILL_TYPES};
use crate::model::{Category, RatingEntry, SkillRecord, STATUS_PUBLISHED};

pub const CATEGORIES: &[Category] = &[
    Category {
        slug: "productivity",
        name: "Productivity",
        description: "Calendars, notes, tasks and everything that saves a minute.",
    },
    Category {
        slug: "developer-tools",
        name: "Developer Tools",
        description: "Code review, CI, releases and repository chores.",
    },
    Category {
        slug: "data-analysis",
        name: "Data & Analytics",
        description: "Query, clean, chart and explain data.",
    },
    Category {
        slug: "communication",
        name: "Communication",
        description: "Chat, e-mail and meeting assistants.",
    },
    Category { slug: "finance", name: "Finance", description: "Invoices, expenses, budgets and reports." },
    Category {
        slug: "marketing",
        name: "Marketing",
        description: "Campaigns, SEO, social posts and analytics.",
    },
    Category {
        slug: "security",
        name: "Security",
        description: "Scanning, secrets hygiene and compliance checks.",
    },
    Category {
        slug: "ai-ml",
        name: "AI & Machine Learning",
        description: "Models, embeddings, evaluation and prompts.",
    },
    Category {
        slug: "content-writing",
        name: "Content & Writing",
        description: "Drafting, editing, translation and summaries.",
    },
    Category {
        slug: "automation",
        name: "Automation",
        description: "Workflows, schedulers and glue between services.",
    },
    Category {
        slug: "customer-support",
        name: "Customer Support",
        description: "Tickets, help centres and customer replies.",
    },
    Category {
        slug: "research",
        name: "Research",
        description: "Search, citations, papers and web research.",
    },
];

const SUBJECTS: &[(&str, &[&str])] = &[
    ("productivity", &["Calendar", "Notion", "Todoist", "Meeting", "Inbox", "Focus", "Obsidian", "Trello"]),
    (
        "developer-tools",
        &["GitHub", "GitLab", "Docker", "Kubernetes", "Terraform", "OpenAPI", "Cargo", "Sentry"],
    ),
    (
        "data-analysis",
        &["CSV", "SQL", "BigQuery", "Pandas", "Spreadsheet", "Snowflake", "Parquet", "Metrics"],
    ),
    ("communication", &["Slack", "Teams", "Email", "Discord", "Zoom", "SMS", "Telegram", "Matrix"]),
    ("finance", &["Invoice", "Expense", "Stripe", "Ledger", "Payroll", "Tax", "Budget", "QuickBooks"]),
    (
        "marketing",
        &["SEO", "Campaign", "Newsletter", "Social", "Ad Copy", "Landing Page", "HubSpot", "Brand"],
    ),
    ("security", &["Secrets", "CVE", "Dependency", "Firewall", "SBOM", "Phishing", "IAM", "Audit Log"]),
    ("ai-ml", &["Embedding", "Prompt", "Dataset", "Fine-Tune", "Vector", "Eval", "Classifier", "RAG"]),
    (
        "content-writing",
        &["Blog", "Translation", "Grammar", "Headline", "Transcript", "Style", "Press Release"],
    ),
    ("automation", &["Webhook", "Cron", "Zapier", "Workflow", "RSS", "File Sync", "Form", "Queue"]),
    (
        "customer-support",
        &["Ticket", "Zendesk", "Help Center", "FAQ", "Refund", "Intercom", "Survey", "Churn"],
    ),
    ("research", &["arXiv", "Citation", "Patent", "Web", "PubMed", "Market", "Competitor", "Literature"]),
];

const ACTIONS: &[&str] = &[
    "Summarizer",
    "Assistant",
    "Notifier",
    "Extractor",
    "Analyzer",
    "Generator",
    "Sync",
    "Reviewer",
    "Monitor",
    "Planner",
    "Translator",
    "Scheduler",
    "Auditor",
    "Router",
    "Digest",
    "Triage",
    "Exporter",
    "Inspector",
];

const QUALIFIERS: &[&str] = &["Pro", "Lite", "Plus", "Express", "Studio", "Toolkit", "Agent", "Bridge"];

const AUTHORS: &[&str] = &[
    "ATOM Labs",
    "Northwind Tools",
    "Ada Devworks",
    "Kestrel AI",
    "Ωmega Labs",
    "李雷 Studio",
    "Müller & Söhne GmbH",
    "Open Skills Collective",
    "Jane Q. Developer",
    "Fjord Automation",
];

const REVIEWERS: &[&str] = &[
    "Sam Rivera",
    "Priya N.",
    "Jonas Weber",
    "Aiko Tanaka",
    "Lucas Martin",
    "Fatima Zahra",
    "Olu Adeyemi",
    "Chen Wei",
    "Maria Rossi",
    "Noah Kim",
];

const REVIEW_TEXTS: &[&str] = &[
    "Saved me hours every week. Setup took two minutes.",
    "Works as described, though the docs could use more examples.",
    "Solid and fast. Would love a dark-mode preview.",
    "Did not handle our edge cases; support answered quickly though.",
    "Exactly what our team needed for the weekly report.",
    "Good idea, rough edges. Version 2 fixed most of them.",
    "Reliable. We run it hundreds of times a day.",
    "Too many permissions for what it does.",
    "The best skill in this category, hands down.",
    "Decent, but the pricing is steep for small teams.",
];

const LICENSES: &[&str] =
    &["MIT", "Apache-2.0", "MIT OR Apache-2.0", "BSD-3-Clause", "Proprietary", "GPL-3.0"];

const TAG_POOL: &[&str] = &[
    "ai",
    "llm",
    "automation",
    "slack",
    "github",
    "email",
    "reports",
    "csv",
    "sql",
    "pdf",
    "summaries",
    "monitoring",
    "security",
    "translation",
    "calendar",
    "webhooks",
    "open-source",
    "enterprise",
    "beta",
    "no-code",
];

/// The demo user, who signs in on the consent page unless another is picked.
pub const DEMO_USER_ID: &str = "demo-user";
pub const DEMO_USER_NAME: &str = "Demo User";
pub const DEMO_USER_EMAIL: &str = "demo@sandbox.atomagentos.invalid";

/// A user of the sandbox's authorization server.
#[derive(Debug, PartialEq, Eq)]
pub struct SandboxUser {
    pub id: &'static str,
    pub name: &'static str,
    pub email: &'static str,
}

/// The sandbox's users: the demo user first, and a second one for several accounts side by side
/// (picked on the consent page, or with `login_hint`).
pub const USERS: &[SandboxUser] = &[
    SandboxUser { id: DEMO_USER_ID, name: DEMO_USER_NAME, email: DEMO_USER_EMAIL },
    SandboxUser { id: "sam", name: "Sam Okafor", email: "sam@sandbox.atomagentos.invalid" },
];

/// The user with this id or email.
pub fn user(id_or_email: &str) -> Option<&'static SandboxUser> {
    USERS.iter().find(|u| u.id == id_or_email || u.email.eq_ignore_ascii_case(id_or_email))
}

/// Hostile but valid records, placed at fixed positions of the catalogue.
struct Hostile {
    name: String,
    description: String,
    long_description: String,
    author: &'static str,
    tags: Vec<&'static str>,
}

fn hostile_skills() -> Vec<Hostile> {
    let long_name = {
        let mut s = String::from("Extremely Verbose Enterprise Workflow Orchestration Assistant ");
        while s.chars().count() < limits::NAME_MAX {
            s.push('X');
        }
        s
    };
    let long_description = {
        let mut s = String::from("Unbroken: ");
        while s.chars().count() < limits::DESCRIPTION_MAX {
            s.push_str("Supercalifragilistic");
        }
        s.chars().take(limits::DESCRIPTION_MAX).collect()
    };
    vec![
        Hostile {
            name: "<script>alert('xss')</script> Helper".into(),
            description:
                "<img src=x onerror=alert(1)> Renders <b>untrusted</b> HTML; \"quotes\" & ampersands.".into(),
            long_description: concat!(
                "# Hostile content test\n\n",
                "<script>document.body.innerHTML='pwned'</script>\n\n",
                "<img src=x onerror=\"alert('img')\">\n\n",
                "<iframe src=\"https://evil.invalid\"></iframe>\n\n",
                "[A javascript: link](javascript:alert('link')) and ",
                "<a href=\"javascript:alert(2)\" onclick=\"alert(3)\">raw anchor</a>.\n\n",
                "<style>body{display:none}</style>\n\n",
                "<div style=\"position:fixed;inset:0;background:red\">overlay</div>\n\n",
                "```html\n<script>this is code, shown as text</script>\n```\n"
            )
            .into(),
            author: "<b>Mallory</b>",
            tags: vec!["security", "beta"],
        },
        Hostile {
            name: "مُلخِّص المستندات \u{202E}Document Summarizer\u{202C}".into(),
            description: "يلخص المستندات الطويلة في فقرات قصيرة. עברית גם כן: מסכם מסמכים. Mixed LTR text."
                .into(),
            long_description:
                "## ملخص\n\nنص عربي طويل مع **تنسيق** و`code`.\n\n\u{202E}reversed text\u{202C}\n".into(),
            author: "فريق الأدوات",
            tags: vec!["translation", "summaries"],
        },
        Hostile {
            name: "🚀 Rocket Deploy 🧑\u{200D}💻✨".into(),
            description:
                "Ships your agent in one click 🎉🔥 — family emoji 👨\u{200D}👩\u{200D}👧\u{200D}👦 included."
                    .into(),
            long_description: "# 🚀 Deploy\n\n- ✅ fast\n- ❌ slow\n- 🏳\u{FE0F}\u{200D}🌈 flags\n".into(),
            author: "Emoji Works 😀",
            tags: vec!["automation", "beta"],
        },
        Hostile {
            name: long_name,
            description: long_description,
            long_description: format!(
                "{}\n\n| a | b |\n|---|---|\n| {} | y |\n",
                "#".repeat(6),
                "w".repeat(400)
            ),
            author: "Verbose Corp",
            tags: vec!["enterprise"],
        },
        Hostile {
            name: "Z\u{0337}a\u{0338}l\u{0335}g\u{0336}o\u{0334} Text Normalizer".into(),
            description: "Handles c\u{0327}o\u{0308}mbining marks and ${template} {{injection}} %s %n \\n."
                .into(),
            long_description: "Text with NUL-like escapes: \\u0000, and a line\rwith a carriage return."
                .into(),
            author: "Tom & Jerry's \"Quotes\"",
            tags: vec!["translation"],
        },
    ]
}

fn uuid_from(rng: &mut ChaCha8Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug.truncate(60);
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

fn long_description_for(rng: &mut ChaCha8Rng, name: &str, category: &Category, tags: &[String]) -> String {
    let features = [
        "Works with read-only credentials",
        "Streams results as they arrive",
        "Retries failed calls with backoff",
        "Keeps an audit trail of every run",
        "Supports custom prompts per workspace",
        "Exports to CSV, JSON and Markdown",
    ];
    let picked: Vec<_> = features.choose_multiple(rng, 3).collect();
    format!(
        "# {name}\n\n{name} is a {cat} skill for ATOM agents.\n\n## Features\n\n- {}\n- {}\n- {}\n\n\
         ## Configuration\n\n```json\n{{ \"timeout_secs\": {}, \"tags\": {:?} }}\n```\n\n\
         See the [documentation](https://docs.example.com/skills/{}) for details.\n\n\
         > Tip: start with the *read* scope and add *write* when you need it.\n",
        picked[0],
        picked[1],
        picked[2],
        rng.random_range(5..120),
        tags,
        slugify(name),
        cat = category.name.to_lowercase(),
    )
}

/// The demo catalogue: skills and their individual (reviewed) ratings.
pub struct Demo {
    pub skills: Vec<SkillRecord>,
    pub ratings: Vec<RatingEntry>,
}

pub fn generate(seed: u64, count: usize) -> Demo {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let epoch = time::macros::datetime!(2026-01-01 00:00 UTC);
    let hostile = hostile_skills();
    // Hostile records sit among the first ones so that they show on first pages too.
    let hostile_at = |i: usize| if i % 7 == 3 && i / 7 < hostile.len() { Some(i / 7) } else { None };
    let mut names = std::collections::HashSet::new();
    let mut slugs = std::collections::HashSet::new();
    let mut skills = Vec::with_capacity(count);
    let mut ratings = Vec::new();

    for i in 0..count {
        let category = &CATEGORIES[rng.random_range(0..CATEGORIES.len())];
        let subjects =
            SUBJECTS.iter().find(|(slug, _)| *slug == category.slug).map(|(_, s)| *s).unwrap_or(&[]);
        let tag_count = rng.random_range(1..=4);
        let mut tags: Vec<String> =
            TAG_POOL.choose_multiple(&mut rng, tag_count).map(|t| t.to_string()).collect();
        let (name, description, long_description, author) = match hostile_at(i) {
            Some(h) => {
                let h = &hostile[h];
                tags = h.tags.iter().map(|t| t.to_string()).collect();
                (h.name.clone(), h.description.clone(), h.long_description.clone(), h.author.to_string())
            }
            None => {
                let subject = subjects.choose(&mut rng).copied().unwrap_or("Agent");
                let action = ACTIONS.choose(&mut rng).copied().unwrap_or("Helper");
                let mut name = format!("{subject} {action}");
                let mut n = 0;
                while names.contains(&name) {
                    let q = QUALIFIERS[n % QUALIFIERS.len()];
                    name = if n < QUALIFIERS.len() {
                        format!("{subject} {action} {q}")
                    } else {
                        format!("{subject} {action} {q} {}", n / QUALIFIERS.len() + 1)
                    };
                    n += 1;
                }
                let description = format!(
                    "{} for {} workflows: {} with {}.",
                    action,
                    subject,
                    category.description.trim_end_matches('.').to_lowercase(),
                    tags.join(", ")
                );
                let long = long_description_for(&mut rng, &name, category, &tags);
                (
                    name,
                    description,
                    long,
                    AUTHORS.choose(&mut rng).copied().unwrap_or("ATOM Labs").to_string(),
                )
            }
        };
        names.insert(name.clone());
        let mut slug = slugify(&name);
        if slug.is_empty() {
            slug = format!("skill-{i}");
        }
        if slugs.contains(&slug) {
            slug = format!("{slug}-{i}");
        }
        slugs.insert(slug.clone());

        let id = uuid_from(&mut rng);
        let kind = SKILL_TYPES[rng.random_range(0..SKILL_TYPES.len())].to_string();
        let price = if rng.random_bool(0.7) { 0.0 } else { f64::from(rng.random_range(1..50u32)) - 0.01 };
        // Installs spread over orders of magnitude, as real catalogues do.
        let installs = (10f64.powf(rng.random_range(0.0..5.7))) as u64;
        let mean: f64 = rng.random_range(2.5..4.9);
        let rated = (installs as f64 * rng.random_range(0.0..0.05)) as u64;
        // How many of those draws count: about the square root of installs, varied by the installs'
        // last digits. Computed without drawing, so that the random stream (and every name after
        // this skill) stays the same for a given seed.
        let counted = ((installs as f64).sqrt() * (0.3 + (installs % 97) as f64 / 40.0)) as u64;
        let mut base = [0u64; 5];
        for draw in 0..rated.min(3000) {
            let stars = (mean + rng.random_range(-1.5..1.5)).round().clamp(1.0, 5.0) as usize;
            if draw < counted {
                base[stars - 1] += 1;
            }
        }
        let created = epoch - Duration::seconds(rng.random_range(0..2 * 365 * 86_400));
        let updated = created + Duration::seconds(rng.random_range(0..180 * 86_400));
        let version = if rng.random_bool(0.1) {
            format!("{}.0.0-beta.{}", rng.random_range(1..4), rng.random_range(1..9))
        } else {
            format!("{}.{}.{}", rng.random_range(0..4), rng.random_range(0..20), rng.random_range(0..30))
        };

        for r in 0..rng.random_range(0..6usize) {
            let stars = (mean + rng.random_range(-2.0..1.5)).round().clamp(1.0, 5.0) as u8;
            let at = updated + Duration::seconds(rng.random_range(0..200 * 86_400));
            ratings.push(RatingEntry {
                id: uuid_from(&mut rng),
                skill_id: id,
                rater: format!("demo:{r}"),
                author_name: REVIEWERS.choose(&mut rng).copied().unwrap_or("Reviewer").to_string(),
                rating: stars,
                review: Some(REVIEW_TEXTS.choose(&mut rng).copied().unwrap_or("Fine.").to_string()),
                created_at: at,
                updated_at: at,
            });
        }

        skills.push(SkillRecord {
            id,
            slug: slug.clone(),
            name,
            description,
            long_description,
            category: category.slug.to_string(),
            tags,
            kind,
            price,
            installs,
            version,
            author_name: author,
            license: Some(LICENSES.choose(&mut rng).copied().unwrap_or("MIT").to_string()),
            repository_url: Some(format!("https://github.com/atom-skills/{slug}")),
            documentation_url: Some(format!("https://docs.example.com/skills/{slug}")),
            is_featured: rng.random_bool(0.05),
            created_at: created,
            updated_at: updated,
            status: STATUS_PUBLISHED.to_string(),
            base_ratings: base,
            config: None,
            submitted_by: None,
        });
    }
    Demo { skills, ratings }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_same_catalogue() {
        let a = generate(7, 200);
        let b = generate(7, 200);
        let ja = serde_json::to_string(&a.skills).unwrap();
        let jb = serde_json::to_string(&b.skills).unwrap();
        assert_eq!(ja, jb);
        assert_eq!(serde_json::to_string(&a.ratings).unwrap(), serde_json::to_string(&b.ratings).unwrap());
        let c = generate(8, 200);
        assert_ne!(ja, serde_json::to_string(&c.skills).unwrap());
    }

    #[test]
    fn names_and_slugs_are_unique_and_valid_at_ten_thousand() {
        let demo = generate(42, limits::DEMO_SKILLS_MAX);
        let mut slugs = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for s in &demo.skills {
            assert!(slugs.insert(s.slug.clone()), "duplicate slug {}", s.slug);
            assert!(names.insert(s.name.clone()), "duplicate name {}", s.name);
            let n = s.name.chars().count();
            assert!((limits::NAME_MIN..=limits::NAME_MAX).contains(&n), "{}", s.name);
            let d = s.description.chars().count();
            assert!((limits::DESCRIPTION_MIN..=limits::DESCRIPTION_MAX).contains(&d), "{}", s.description);
            assert!(s.tags.len() <= limits::TAGS_MAX);
            assert!(CATEGORIES.iter().any(|c| c.slug == s.category));
        }
    }

    #[test]
    fn catalogue_contains_hostile_strings() {
        let demo = generate(1, 50);
        assert!(demo.skills.iter().any(|s| s.name.contains("<script>")));
        assert!(demo.skills.iter().any(|s| s.name.contains('\u{202E}')));
        assert!(demo.skills.iter().any(|s| s.name.contains('🚀')));
        assert!(demo.skills.iter().any(|s| s.name.chars().count() == limits::NAME_MAX));
    }

    #[test]
    fn slugify_keeps_ascii_words() {
        assert_eq!(slugify("GitHub PR  Reviewer!"), "github-pr-reviewer");
        assert_eq!(slugify("🚀 Rocket"), "rocket");
        assert_eq!(slugify("مرحبا"), "");
    }
}
