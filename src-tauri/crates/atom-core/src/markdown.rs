//! Skill descriptions are Markdown written by strangers: render them to HTML, then keep only harmless
//! HTML. No script, event handler, style, frame, form or `javascript:` link survives; links get
//! `rel="noopener noreferrer"` (the app opens them in the system browser).

use std::collections::HashSet;

use pulldown_cmark::{html, Options, Parser};

/// The largest description rendered; longer text is cut (the contract allows 20,000 characters).
const MAX_INPUT: usize = 100_000;

pub fn render(markdown: &str) -> String {
    let text = match markdown.char_indices().nth(MAX_INPUT) {
        Some((cut, _)) => &markdown[..cut],
        None => markdown,
    };
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut unsafe_html = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(text, options));
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer"))
        .rm_tags(&["img"])
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "<div style=\"position:fixed;inset:0\">overlay</div>\n\n<form action=\"https://x\"><input></form>"
        );
        let html = render(hostile).to_lowercase();
        for banned in [
            "<script",
            "onerror",
            "<iframe",
            "javascript:",
            "onclick",
            "<style",
            "style=",
            "<form",
            "<input",
            "<img",
        ] {
            assert!(!html.contains(banned), "{banned} survived: {html}");
        }
        assert!(html.contains("overlay"), "text is kept");
    }

    #[test]
    fn links_are_safe_to_follow() {
        let html = render("[docs](https://docs.example.com)");
        assert!(html.contains("href=\"https://docs.example.com\""));
        assert!(html.contains("rel=\"noopener noreferrer\""));
    }

    #[test]
    fn code_blocks_stay_text() {
        let html = render("```html\n<script>x</script>\n```");
        assert!(html.contains("&lt;script&gt;"));
    }
}
