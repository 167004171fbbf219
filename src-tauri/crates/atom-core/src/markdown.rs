//! Skill descriptions are Markdown written by strangers: render them to HTML that is harmless by
//! construction. No script, event handler, style, frame, form, image or non-web link can appear; links
//! get `rel="noopener noreferrer"` (the app opens them in the system browser).
//!
//! The HTML is pulldown-cmark's own, from an event stream filtered here: raw HTML becomes text,
//! images become their alt text, links keep only http, https and mailto destinations, nesting is
//! bounded. pulldown-cmark escapes every text and attribute it writes. With no raw HTML left, an HTML
//! sanitiser after it (ammonia, before) had nothing to remove, and cost the app about 0.7 MiB with its
//! HTML parser; the property tests below check the output's structure instead (every tag and
//! attribute), over thousands of hostile mixtures.
//!
//! Hostile input must not freeze anyone who opens the skill, so rendering is bounded three ways:
//! - the input is cut at the contract's 20,000 characters;
//! - raw HTML is shown as text (as markdown-it and CommonMark's safe mode do), so that no nested
//!   markup reaches the HTML parser except the renderer's own;
//! - nesting deeper than [`MAX_NESTING`] levels is flattened: the deeper elements' text stays, their
//!   containers go (20,000 `>` make 32 quotes, not 20,000);
//!
//! and [`render_within`] gives up when a time budget runs out, so that the caller can show the text
//! as it is.

use std::time::{Duration, Instant};

use pulldown_cmark::{html, Alignment, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use pulldown_cmark_escape::{escape_href, escape_html};

use crate::contract::limits;

/// The longest description rendered, in characters: the contract's limit for `long_description`.
pub const MAX_INPUT_CHARS: usize = limits::LONG_DESCRIPTION_MAX;
/// Elements nested deeper than this are flattened into their ancestor.
pub const MAX_NESTING: usize = 32;
/// The time a description may take to render before the app shows it as plain text.
pub const RENDER_BUDGET: Duration = Duration::from_millis(1500);
/// Link schemes that survive; everything else (`javascript:`, `data:`, `file:`, relative) reads as text.
const LINK_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Markdown rendered for the window.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RenderedMarkdown {
    /// Sanitised HTML, or `None` when rendering gave up (over its time budget): show the text as it is.
    pub html: Option<String>,
    /// The input was longer than the contract allows, and only its first part was rendered.
    pub truncated: bool,
}

/// The first [`MAX_INPUT_CHARS`] characters of `text`, and whether anything was cut.
pub fn cap_input(text: &str) -> (&str, bool) {
    match text.char_indices().nth(MAX_INPUT_CHARS) {
        Some((cut, _)) => (&text[..cut], true),
        None => (text, false),
    }
}

fn allowed_link(dest: &str) -> bool {
    let Some((scheme, _)) = dest.trim().split_once(':') else { return false };
    LINK_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme))
}

/// Renders with no time limit (for tests and callers that bound it themselves).
pub fn render(markdown: &str) -> String {
    render_until(markdown, None).unwrap_or_default()
}

/// Renders within `budget`, or gives up with `html: None`.
pub fn render_within(markdown: &str, budget: Duration) -> RenderedMarkdown {
    let (text, truncated) = cap_input(markdown);
    RenderedMarkdown { html: render_until(text, Some(Instant::now() + budget)), truncated }
}

fn render_until(markdown: &str, deadline: Option<Instant>) -> Option<String> {
    let (text, _) = cap_input(markdown);
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut events = Vec::new();
    // Whether each open element was kept (`false`: flattened or not a safe link).
    let mut open: Vec<bool> = Vec::new();
    for (n, event) in Parser::new_ext(text, options).enumerate() {
        if n % 256 == 0 && deadline.is_some_and(|d| Instant::now() > d) {
            return None;
        }
        let event = match event {
            Event::Start(tag) => {
                let keep = open.len() < MAX_NESTING
                    && !matches!(&tag, Tag::Link { dest_url, .. } if !allowed_link(dest_url))
                    // An image is its alt text (no request to a stranger's server, no tracking pixel).
                    && !matches!(tag, Tag::Image { .. });
                open.push(keep);
                if !keep {
                    continue;
                }
                match tag {
                    // Raw HTML is shown as text, in a paragraph of its own.
                    Tag::HtmlBlock => Event::Start(Tag::Paragraph),
                    Tag::Link { dest_url, title, .. } => Event::Html(link_start(&dest_url, &title).into()),
                    // No attribute a stranger chooses: a fence's language would become a class, and a
                    // column's alignment a style.
                    Tag::CodeBlock(CodeBlockKind::Fenced(_)) => {
                        Event::Start(Tag::CodeBlock(CodeBlockKind::Indented))
                    }
                    Tag::Table(columns) => Event::Start(Tag::Table(vec![Alignment::None; columns.len()])),
                    other => Event::Start(other),
                }
            }
            Event::End(end) => {
                if !open.pop().unwrap_or(false) {
                    continue;
                }
                match end {
                    TagEnd::HtmlBlock => Event::End(TagEnd::Paragraph),
                    other => Event::End(other),
                }
            }
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            // Task-list checkboxes would be inputs; show them as text.
            Event::TaskListMarker(done) => Event::Text(CowStr::Borrowed(if done { "☑ " } else { "☐ " })),
            other => other,
        };
        events.push(event);
    }
    let mut out = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    if deadline.is_some_and(|d| Instant::now() > d) {
        return None;
    }
    Some(out)
}

/// The opening tag of a link whose destination was checked: escaped, and without a referrer.
fn link_start(dest: &str, title: &str) -> String {
    let mut tag = String::from("<a href=\"");
    let _ = escape_href(&mut tag, dest.trim());
    tag.push('"');
    if !title.is_empty() {
        tag.push_str(" title=\"");
        let _ = escape_html(&mut tag, title);
        tag.push('"');
    }
    tag.push_str(" rel=\"noopener noreferrer\">");
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `<tag ...>` of the output (text is escaped, so `<` only opens real tags), with its
    /// attributes as (name, value).
    pub(crate) fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut out = Vec::new();
        for chunk in html.split('<').skip(1) {
            let inner = chunk.split('>').next().unwrap_or("");
            if inner.starts_with('/') {
                continue;
            }
            let mut parts = inner.splitn(2, char::is_whitespace);
            let name = parts.next().unwrap_or("").to_ascii_lowercase();
            let mut attrs = Vec::new();
            let mut rest = parts.next().unwrap_or("").trim();
            while !rest.is_empty() {
                let (attr, after) = match rest.find(['=', ' ']) {
                    Some(i) if rest.as_bytes()[i] == b'=' => {
                        let name = &rest[..i];
                        let after = &rest[i + 1..];
                        let (value, after) = if let Some(v) = after.strip_prefix('"') {
                            let end = v.find('"').unwrap_or(v.len());
                            (&v[..end], v.get(end + 1..).unwrap_or(""))
                        } else {
                            let end = after.find(' ').unwrap_or(after.len());
                            (&after[..end], &after[end..])
                        };
                        ((name.to_ascii_lowercase(), value.to_string()), after)
                    }
                    Some(i) => ((rest[..i].to_ascii_lowercase(), String::new()), &rest[i..]),
                    None => ((rest.to_ascii_lowercase(), String::new()), ""),
                };
                attrs.push(attr);
                rest = after.trim();
            }
            out.push((name, attrs));
        }
        out
    }

    /// The elements the renderer may emit, as the tests know them (written apart from the renderer's own
    /// list, so that a slip in one is caught by the other); ammonia's oracle uses the same.
    const ALLOWED_TAGS: &[&str] = &[
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "code",
        "ol",
        "ul",
        "li",
        "em",
        "strong",
        "del",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "hr",
        "br",
    ];

    /// What "harmless" means, checked on the structure of the output rather than its text: only
    /// these elements, only these attributes, only web and mail links.
    pub(crate) fn assert_harmless(html: &str) {
        const ATTRIBUTES: &[&str] = &["href", "title", "rel", "start", "/"];
        for (name, attrs) in tags(html) {
            let bare = name.trim_end_matches(" /");
            assert!(ALLOWED_TAGS.contains(&bare), "<{name}> survived in {html}");
            for (attr, value) in attrs {
                assert!(ATTRIBUTES.contains(&attr.as_str()), "attribute {attr} survived in {html}");
                if attr == "href" {
                    let decoded = value.replace("&amp;", "&");
                    assert!(allowed_link(&decoded), "link {value:?} survived in {html}");
                }
            }
        }
    }

    fn depth(html: &str) -> usize {
        let (mut d, mut max) = (0usize, 0usize);
        for chunk in html.split('<').skip(1) {
            if chunk.starts_with('/') {
                d = d.saturating_sub(1);
            } else if !chunk.starts_with("br") && !chunk.starts_with("hr") {
                d += 1;
                max = max.max(d);
            }
        }
        max
    }

    #[test]
    fn the_harmlessness_check_catches_each_kind_of_harm() {
        for bad in [
            "<script>",
            "<a onclick=\"x\">",
            "<p style=\"x\">",
            "<a href=\"javascript:x\">",
            "<a href=\"/rel\">",
            "<img src=\"https://x\">",
            "<code class=\"modal\">",
            "<th style=\"text-align: left\">",
        ] {
            assert!(std::panic::catch_unwind(|| assert_harmless(bad)).is_err(), "{bad} passed the check");
        }
        assert_harmless("<p><a href=\"https://ok.example\" rel=\"noopener noreferrer\">ok</a></p>");
    }

    #[test]
    fn renders_markdown() {
        let html = render("# Title\n\n**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn removes_everything_that_could_run_or_restyle() {
        let hostile = concat!(
            "<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n",
            "<iframe src=\"https://evil.invalid\"></iframe>\n\n[link](javascript:alert(3))\n\n",
            "<a href=\"javascript:alert(4)\" onclick=\"alert(5)\">raw</a>\n\n<style>body{display:none}</style>\n\n",
            "<div style=\"position:fixed;inset:0\">overlay</div>\n\n<form action=\"https://x\"><input></form>",
            "\n\n![pixel](https://tracker.invalid/p.gif)"
        );
        let html = render(hostile);
        assert_harmless(&html);
        assert!(html.contains("overlay"), "text is kept");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "raw HTML reads as text: {html}");
    }

    #[test]
    fn links_are_safe_to_follow() {
        let html = render("[docs](https://docs.example.com)");
        assert!(html.contains("href=\"https://docs.example.com\""));
        assert!(html.contains("rel=\"noopener noreferrer\""));
    }

    #[test]
    fn a_link_with_a_refused_scheme_reads_as_plain_text() {
        for dest in
            ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "/relative", "page.html"]
        {
            let html = render(&format!("see [the page]({dest}) now"));
            assert!(!html.contains("<a"), "{dest}: {html}");
            assert!(html.contains("see the page now"), "{dest}: {html}");
        }
    }

    #[test]
    fn code_blocks_stay_text() {
        let html = render("```html\n<script>x</script>\n```");
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn no_attribute_is_chosen_by_the_author() {
        // A fence's info string would become a class (the app's own CSS classes could restyle the
        // page); a column's alignment would become a style.
        let html = render("```js modal visually-hidden\nx\n```\n\n|a|b|\n|:-|-:|\n|1|2|\n");
        assert_harmless(&html);
        assert!(html.contains("<pre><code>x"), "{html}");
        assert!(html.contains("<th>a</th>"), "{html}");
    }

    #[test]
    fn deep_nesting_is_flattened_and_quick() {
        for unit in [">", "- ", "* ", "1. ", "> - "] {
            let text = unit.repeat(19_000 / unit.len()) + "deep";
            let started = Instant::now();
            let rendered = render_within(&text, RENDER_BUDGET);
            let html =
                rendered.html.unwrap_or_else(|| panic!("{unit:?} gave up after {:?}", started.elapsed()));
            assert!(depth(&html) <= MAX_NESTING + 2, "{unit:?} nests {} deep", depth(&html));
            assert!(html.contains("deep"), "the text survives flattening");
        }
    }

    #[test]
    fn input_is_cut_at_the_contracts_limit() {
        let text = "a".repeat(MAX_INPUT_CHARS + 10);
        let rendered = render_within(&text, RENDER_BUDGET);
        assert!(rendered.truncated);
        assert_eq!(rendered.html.unwrap().matches('a').count(), MAX_INPUT_CHARS);
        assert!(!render_within("short", RENDER_BUDGET).truncated);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Fragments of hostile Markdown and HTML, mixed at random with ordinary text.
        fn fragment() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("<script>alert(1)</script>".to_string()),
                Just("<img src=x onerror=alert(1)>".to_string()),
                Just("<svg onload=alert(1)>".to_string()),
                Just("<a href=\"javascript:alert(1)\">x</a>".to_string()),
                Just("<iframe src=//evil.example>".to_string()),
                Just("<style>*{}</style>".to_string()),
                Just("<div style=\"position:fixed\">".to_string()),
                Just("<!--".to_string()),
                Just("-->".to_string()),
                Just("<![CDATA[".to_string()),
                Just("[x](javascript:alert(1))".to_string()),
                Just("[x](JaVaScRiPt:alert(1))".to_string()),
                Just("[x](java\tscript:alert(1))".to_string()),
                Just("[x](&#106;avascript:alert(1))".to_string()),
                Just("[x](data:text/html,<script>)".to_string()),
                Just("[x](vbscript:x)".to_string()),
                Just("[x](//evil.example)".to_string()),
                Just("[x](https://ok.example \"t\")".to_string()),
                Just("<https://auto.example>".to_string()),
                Just("<javascript:alert(1)>".to_string()),
                Just("![i](https://x.example/p.png)".to_string()),
                Just("[ref]: javascript:alert(1)\n[ref]".to_string()),
                Just("\n".to_string()),
                Just("\n\n".to_string()),
                Just("> ".to_string()),
                Just("- ".to_string()),
                Just("1. ".to_string()),
                Just("```\n".to_string()),
                Just("    ".to_string()),
                Just("*".to_string()),
                Just("_".to_string()),
                Just("[".to_string()),
                Just("](".to_string()),
                Just(")".to_string()),
                Just("|a|b|\n|-|-|\n".to_string()),
                Just("|a|b|\n|:-:|-:|\n".to_string()),
                Just("```js onload=alert(1) class=x\n".to_string()),
                Just("# h {#id .class onclick=x}".to_string()),
                Just("1. ".to_string()),
                Just("7. ".to_string()),
                Just("- [ ] ".to_string()),
                Just("&".to_string()),
                Just("\"".to_string()),
                Just("'".to_string()),
                Just("=".to_string()),
                "\\PC{0,12}",
            ]
        }

        /// A maintained sanitiser's second opinion: ammonia, with this renderer's allow-list (its
        /// elements, `href`/`title`/`rel` on links, `start` on lists, http/https/mailto, no relative
        /// link), removes nothing from the output. Both sides go through ammonia's HTML parser and
        /// serialiser (the other with a loose list that keeps whatever a hostile input could bring), so
        /// only what the allow-list removes can tell them apart.
        fn ammonia_agrees(html: &str) {
            const MORE_TAGS: &[&str] = &[
                "img", "iframe", "div", "span", "input", "svg", "form", "object", "embed", "script", "style",
            ];
            const MORE_ATTRIBUTES: &[&str] = &[
                "onerror", "onclick", "onload", "style", "src", "id", "type", "checked", "disabled", "align",
            ];
            let strict = ammonia::Builder::empty()
                .add_tags(ALLOWED_TAGS)
                .add_tag_attributes("a", &["href", "title", "rel"])
                .add_tag_attributes("ol", &["start"])
                .url_schemes(["http", "https", "mailto"].into())
                .url_relative(ammonia::UrlRelative::Deny)
                .link_rel(None)
                .clean(html)
                .to_string();
            let loose = ammonia::Builder::empty()
                .clean_content_tags(Default::default())
                .add_tags(ALLOWED_TAGS)
                .add_tags(MORE_TAGS)
                .add_tag_attributes("a", &["href", "title", "rel"])
                .add_tag_attributes("ol", &["start"])
                .add_generic_attributes(MORE_ATTRIBUTES)
                .url_schemes(["http", "https", "mailto", "javascript", "data", "vbscript", "file"].into())
                .url_relative(ammonia::UrlRelative::PassThrough)
                .link_rel(None)
                .strip_comments(false)
                .clean(html)
                .to_string();
            assert_eq!(strict, loose, "ammonia would remove something from {html}");
        }

        #[test]
        fn the_second_opinion_sees_what_the_allow_list_lacks() {
            ammonia_agrees(&render("# Title\n\n[ok](https://ok.example) *a* `b`\n\n> q\n\n1. x"));
            for bad in [
                "<img src=\"x\">",
                "<p onclick=\"x\">t</p>",
                "<a href=\"javascript:alert(1)\">x</a>",
                "<a href=\"/relative\">x</a>",
                "<script>alert(1)</script>",
                "<div>x</div>",
            ] {
                let caught = std::panic::catch_unwind(|| ammonia_agrees(bad));
                assert!(caught.is_err(), "ammonia did not object to {bad}");
            }
        }

        /// Deep nesting of one kind of container, or of several.
        fn nested() -> impl Strategy<Value = String> {
            let unit = prop_oneof![
                Just(">"),
                Just("> "),
                Just("- "),
                Just("* "),
                Just("1. "),
                Just("> - "),
                Just("*"),
                Just("["),
                Just("<div>"),
                Just("<blockquote>"),
                Just("**_"),
                Just("`"),
                Just("[a]("),
                Just("![a]("),
                Just("  - "),
                Just("<a href=x>"),
            ];
            (proptest::collection::vec(unit, 1..4), 1000usize..19_000).prop_map(|(units, len)| {
                let cycle: String = units.concat();
                let mut text = cycle.repeat(len / cycle.len().max(1) + 1);
                text.truncate(len);
                text + " deep"
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            #[test]
            fn rendered_output_is_always_harmless(pieces in proptest::collection::vec(fragment(), 0..40)) {
                let html = render(&pieces.concat());
                assert_harmless(&html);
                ammonia_agrees(&html);
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]

            #[test]
            fn deeply_nested_input_renders_within_budget_and_shallow(text in nested()) {
                let started = Instant::now();
                let rendered = render_within(&text, RENDER_BUDGET);
                let took = started.elapsed();
                let html = rendered.html.expect("rendered within the budget");
                prop_assert!(took < RENDER_BUDGET, "took {took:?}");
                prop_assert!(depth(&html) <= MAX_NESTING + 2, "nests {} deep", depth(&html));
                assert_harmless(&html);
            }
        }
    }

    #[test]
    fn an_exhausted_budget_gives_up_instead_of_rendering() {
        let text = "word ".repeat(4000);
        assert_eq!(render_within(&text, Duration::ZERO).html, None);
    }
}
