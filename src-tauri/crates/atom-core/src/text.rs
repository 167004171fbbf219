//! One rule for every name the app shows (a server's name, an account's from its ID token or `GET me`,
//! the name a user gives an account, a skill's author, a reviewer): text a stranger may have written,
//! shown beside the user's own writes ("as …"), so it must read as what it is.
//!
//! - No control (Cc), format (Cf: zero-width spaces and joiners, byte-order marks, the Arabic letter
//!   mark, direction overrides and isolates, tag characters), line-separator (Zl) or paragraph-separator
//!   (Zp) character: each could hide text, reorder it or break the line it sits in.
//! - Combining marks (Mn, Mc, Me) at most [`MAX_MARKS`] on one character: enough for any script's
//!   accents, not enough to stack a letter into the lines above and below it.
//! - Runs of white space as one space, trimmed, and at most `max` characters.
//!
//! The general categories come from ICU's data (`icu_properties`), already in the app through the URL
//! parser's international domain names.

use icu_properties::props::GeneralCategory;
use icu_properties::CodePointMapData;

/// The most combining marks kept on one character.
pub const MAX_MARKS: usize = 4;
/// The longest name kept (characters).
pub const NAME_MAX: usize = 100;

/// `text` as a name may be shown: the rule above, or `None` when nothing is left.
pub fn clean_name(text: &str, max: usize) -> Option<String> {
    let categories = CodePointMapData::<GeneralCategory>::new();
    let mut out = String::with_capacity(text.len().min(max * 4));
    let (mut kept, mut marks, mut space) = (0usize, 0usize, false);
    for c in text.chars() {
        if kept >= max {
            break;
        }
        match categories.get(c) {
            GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator => continue,
            GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
            | GeneralCategory::EnclosingMark => {
                // A mark on nothing (at the start, or after a space) is dropped too.
                if marks >= MAX_MARKS || out.is_empty() || space {
                    continue;
                }
                marks += 1;
            }
            GeneralCategory::SpaceSeparator => {
                space = !out.is_empty();
                continue;
            }
            _ => marks = 0,
        }
        if space {
            // Room for the space and what follows it, or the name ends here.
            if kept + 2 > max {
                break;
            }
            out.push(' ');
            kept += 1;
            space = false;
        }
        out.push(c);
        kept += 1;
    }
    (!out.is_empty()).then_some(out)
}

/// A JSON value as a name: a string cleaned by [`clean_name`], anything else none.
pub fn clean_json_name(value: Option<serde_json::Value>, max: usize) -> Option<String> {
    clean_name(value?.as_str()?, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each class the rule removes, alone and inside a name.
    #[test]
    fn every_invisible_line_breaking_or_reordering_character_goes() {
        for (what, c) in [
            ("a bell (Cc)", '\u{0007}'),
            ("a NUL (Cc)", '\u{0000}'),
            ("DEL (Cc)", '\u{007F}'),
            ("a zero-width space (Cf)", '\u{200B}'),
            ("a zero-width joiner (Cf)", '\u{200D}'),
            ("a byte-order mark (Cf)", '\u{FEFF}'),
            ("the Arabic letter mark (Cf)", '\u{061C}'),
            ("a right-to-left override (Cf)", '\u{202E}'),
            ("a first-strong isolate (Cf)", '\u{2068}'),
            ("a soft hyphen (Cf)", '\u{00AD}'),
            ("a tag letter (Cf)", '\u{E0041}'),
            ("the cancel tag (Cf)", '\u{E007F}'),
            ("the line separator (Zl)", '\u{2028}'),
            ("the paragraph separator (Zp)", '\u{2029}'),
        ] {
            let name = format!("Sam{c}Okafor");
            assert_eq!(clean_name(&name, NAME_MAX).as_deref(), Some("SamOkafor"), "{what}");
            assert_eq!(clean_name(&c.to_string(), NAME_MAX), None, "{what} alone");
        }
    }

    #[test]
    fn combining_marks_are_kept_to_four_on_a_character() {
        let zalgo = format!("Z{}algo", "\u{0301}".repeat(60));
        let cleaned = clean_name(&zalgo, NAME_MAX).unwrap();
        assert_eq!(cleaned, format!("Z{}algo", "\u{0301}".repeat(MAX_MARKS)));
        // A script's ordinary accents stay: Vietnamese, Hindi.
        assert_eq!(clean_name("Nguyễn Thị Thu", NAME_MAX).as_deref(), Some("Nguyễn Thị Thu"));
        assert_eq!(clean_name("प्रिया", NAME_MAX).as_deref(), Some("प्रिया"));
        // A mark on nothing goes.
        assert_eq!(clean_name("\u{0301}\u{0301}Sam", NAME_MAX).as_deref(), Some("Sam"));
    }

    #[test]
    fn white_space_is_one_space_trimmed_and_length_bounded() {
        assert_eq!(clean_name("  Sam \t\n  Okafor  ", NAME_MAX).as_deref(), Some("Sam Okafor"));
        assert_eq!(clean_name("Sam\u{00A0}\u{3000}Okafor", NAME_MAX).as_deref(), Some("Sam Okafor"));
        assert_eq!(clean_name(&"x".repeat(500), NAME_MAX).map(|s| s.chars().count()), Some(NAME_MAX));
        assert_eq!(clean_name("   ", NAME_MAX), None);
        assert_eq!(clean_json_name(Some(serde_json::json!(42)), NAME_MAX), None);
        // Emoji and other scripts are names too.
        assert_eq!(clean_name("Ada 👩‍💻 Lovelace", NAME_MAX).as_deref(), Some("Ada 👩💻 Lovelace"));
        assert_eq!(clean_name("علي", NAME_MAX).as_deref(), Some("علي"));
    }

    proptest::proptest! {
        /// Whatever comes in, nothing of the removed classes, no run of more than four marks, no
        /// leading or trailing space, and at most the limit.
        #[test]
        fn any_text_comes_out_clean(text in "\\PC{0,300}|[\\x00-\\x{10FFFF}]{0,300}") {
            if let Some(out) = clean_name(&text, 50) {
                let cats = CodePointMapData::<GeneralCategory>::new();
                proptest::prop_assert!(out.chars().count() <= 50);
                proptest::prop_assert!(!out.starts_with(' ') && !out.ends_with(' '));
                let mut run = 0;
                for c in out.chars() {
                    let cat = cats.get(c);
                    proptest::prop_assert!(!matches!(cat, GeneralCategory::Control | GeneralCategory::Format
                        | GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator), "{c:?}");
                    if matches!(cat, GeneralCategory::NonspacingMark | GeneralCategory::SpacingMark
                        | GeneralCategory::EnclosingMark) {
                        run += 1;
                        proptest::prop_assert!(run <= MAX_MARKS);
                    } else {
                        run = 0;
                    }
                }
            }
        }
    }
}
