//! The doctor's report as text, for a support request: every finding, and nothing secret. Whatever a
//! check's detail quotes (a URL a browser was sent to, a server's error, a proxy's address), the report
//! takes out what could let someone act as the user or find who they are: tokens, API keys, sign-in codes
//! and states, PKCE verifiers, client secrets, passwords in a URL, e-mail addresses, and any long opaque
//! string that may be one of them.

use super::{Finding, Verdict};

/// Query or form parameters whose value is removed wherever they appear.
const SECRET_PARAMS: &[&str] = &[
    "code",
    "state",
    "code_verifier",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "client_secret",
    "api_key",
    "password",
    "key",
];

/// A run at least this long of letters, digits, `-` and `_`, with both letters and digits, is taken for
/// a secret: tokens and keys are long and random, words and version numbers are not.
const OPAQUE_LEN: usize = 24;

/// The report: a header, then one block per finding.
pub fn report_text(app: &str, findings: &[Finding]) -> String {
    let mut out = format!("{app}: sign-in check\n");
    for f in findings {
        let verdict = match f.verdict {
            Verdict::Ok => "ok",
            Verdict::Warning => "warning",
            Verdict::Problem => "PROBLEM",
            Verdict::NotChecked => "not checked",
        };
        out.push_str(&format!("\n[{verdict}] {}: {}\n", f.check, f.detail));
        if let Some(fix) = &f.fix {
            out.push_str(&format!("  what to do: {fix}\n"));
        }
    }
    redact(&out)
}

/// `text` with every secret replaced by a word that says what was there.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut after_bearer = false;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !is_url_char(c)).unwrap_or(rest.len());
        if end == 0 {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let segment = &rest[..end];
        if after_bearer {
            out.push_str("[token]");
        } else {
            out.push_str(&redact_segment(segment));
        }
        after_bearer = segment.eq_ignore_ascii_case("bearer") && rest[end..].starts_with(' ');
        rest = &rest[end..];
    }
    out
}

fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._~%+/:?&=@-#;,!*'$[]".contains(c)
}

/// One run of URL characters: a URL's user and password, its secret parameters, then each of its words.
fn redact_segment(segment: &str) -> String {
    let segment = strip_userinfo(segment);
    let mut out = String::new();
    let mut name: Option<String> = None;
    for piece in split_keep(&segment, |c| "?&;#=/:,".contains(c)) {
        match piece {
            Piece::Sep('=') => {
                out.push('=');
                continue;
            }
            Piece::Sep(c) => {
                name = None;
                out.push(c);
                continue;
            }
            Piece::Word(word) => {
                let secret_value = name.as_deref().is_some_and(|n| SECRET_PARAMS.contains(&n));
                if secret_value && out.ends_with('=') {
                    out.push_str("[removed]");
                } else {
                    out.push_str(&redact_word(word));
                }
                name = Some(word.to_ascii_lowercase());
            }
        }
    }
    out
}

/// `scheme://user:password@host…` → `scheme://[removed]@host…`.
fn strip_userinfo(segment: &str) -> String {
    let Some(start) = segment.find("://").map(|i| i + 3) else { return segment.to_string() };
    let authority_end = segment[start..].find(['/', '?', '#']).map_or(segment.len(), |i| start + i);
    match segment[start..authority_end].rfind('@') {
        Some(at) => format!("{}[removed]{}", &segment[..start], &segment[start + at..]),
        None => segment.to_string(),
    }
}

fn redact_word(word: &str) -> String {
    // Punctuation that ends a sentence stays outside what is replaced.
    let trimmed = word.trim_end_matches(['.', '!', '\'', '*']);
    if trimmed.len() < word.len() {
        return redact_word(trimmed) + &word[trimmed.len()..];
    }
    if word.starts_with("atom_pub_") {
        return "[api key]".into();
    }
    if let Some((user, domain)) = word.split_once('@') {
        let local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
        if !user.is_empty() && user.chars().all(local) && domain.contains('.') && !domain.starts_with('.') {
            return "[e-mail]".into();
        }
    }
    if word.starts_with("eyJ") && word.matches('.').count() >= 2 {
        return "[token]".into();
    }
    if is_uuid(word) {
        // A request's or an account's id: what support needs to find it, and no secret.
        return word.to_string();
    }
    let opaque = word.split(['.', '~', '+', '%', '!', '*', '\'', '$', '[', ']']).any(|run| {
        run.len() >= OPAQUE_LEN
            && run.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && run.chars().any(|c| c.is_ascii_digit())
            && run.chars().any(|c| c.is_ascii_alphabetic())
            && !readable(run)
    });
    if opaque {
        return "[removed]".into();
    }
    word.to_string()
}

/// A long name made of words, as folders and build targets are (`x86_64-unknown-linux-gnu`,
/// `atom-marketplace-1-2-3-amd64`): between its `-` and `_`, every part is a word in one case
/// (`linux`, `GNU`, `Release`) or a number, but for at most two short parts that mix letters and digits
/// (`x86`, `amd64`). A random token's parts mix cases and digits at length, so it is not one.
fn readable(run: &str) -> bool {
    let word = |part: &str| {
        let mut letters = part.chars();
        part.chars().all(|c| c.is_ascii_alphabetic())
            && (part.chars().all(|c| c.is_ascii_lowercase())
                || part.chars().all(|c| c.is_ascii_uppercase())
                || letters.next().is_some_and(|c| c.is_ascii_uppercase())
                    && letters.all(|c| c.is_ascii_lowercase()))
    };
    let mut mixed = 0;
    for part in run.split(['-', '_']).filter(|p| !p.is_empty()) {
        if word(part) || part.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        mixed += 1;
        if part.len() > 5 || mixed > 2 {
            return false;
        }
    }
    true
}

fn is_uuid(word: &str) -> bool {
    let groups: Vec<&str> = word.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

enum Piece<'a> {
    Word(&'a str),
    Sep(char),
}

fn split_keep(text: &str, is_sep: impl Fn(char) -> bool) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if is_sep(c) {
            if start < i {
                pieces.push(Piece::Word(&text[start..i]));
            }
            pieces.push(Piece::Sep(c));
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        pieces.push(Piece::Word(&text[start..]));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU";

    #[test]
    fn a_callback_keeps_its_shape_and_loses_its_code_and_state() {
        let got = redact(
            "the link com.atomagentos.marketplace://oauth/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&iss=https://atomagentos.com arrived",
        );
        assert_eq!(
            got,
            "the link com.atomagentos.marketplace://oauth/callback?code=[removed]&state=[removed]&iss=https://atomagentos.com arrived"
        );
    }

    #[test]
    fn tokens_keys_verifiers_and_secrets_are_removed_wherever_they_stand() {
        let key = "atom_pub_4f9c2d1e-8b7a-4c3d-9e2f-1a2b3c4d5e6f";
        let cases = [
            (format!("Authorization: Bearer {JWT}"), "Authorization: Bearer [token]".to_string()),
            (format!("X-API-Key: {key}"), "X-API-Key: [api key]".into()),
            (format!("id token {JWT}."), "id token [token].".into()),
            (
                "grant_type=refresh_token&refresh_token=rt_9f8e7d&client_id=desktop".into(),
                "grant_type=refresh_token&refresh_token=[removed]&client_id=desktop".into(),
            ),
            (
                "code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
                "code_verifier=[removed]".into(),
            ),
            ("client_secret=hunter2".into(), "client_secret=[removed]".into()),
            ("an opaque a1b2c3d4e5f6a7b8c9d0e1f2a3b4 string".into(), "an opaque [removed] string".into()),
        ];
        for (input, want) in cases {
            assert_eq!(redact(&input), want, "{input}");
        }
    }

    #[test]
    fn who_the_user_is_and_a_proxy_password_are_removed() {
        assert_eq!(redact("signed in as ada.lovelace@example.org."), "signed in as [e-mail].");
        assert_eq!(
            redact("proxy http://ada:s3cret@proxy.corp:3128 refused"),
            "proxy http://[removed]@proxy.corp:3128 refused"
        );
    }

    #[test]
    fn long_folder_and_target_names_stay_and_random_ones_with_dashes_go() {
        let text = "links open /home/ada/src/atom/target/x86_64-unknown-linux-gnu/release/atom-marketplace, \
                    /opt/ATOM-Marketplace-Release_2026_12_07-amd64/bin";
        assert_eq!(redact(text), text);
        for token in ["dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "ab12-cd34-ef56-7890-abcd-ef12-9a8b"] {
            assert_eq!(redact(&format!("a {token} here")), "a [removed] here", "{token}");
        }
    }

    #[test]
    fn a_request_id_stays_for_support() {
        let text = "request 4f9c2d1e-8b7a-4c3d-9e2f-1a2b3c4d5e6f failed";
        assert_eq!(redact(text), text);
    }

    #[test]
    fn ordinary_words_versions_hosts_and_paths_stay() {
        let text = "ATOM Marketplace 0.1.2 on https://sandbox.atomagentos.com/api/v1/skills?page=2 \
                    (Secret Service, GNOME Keyring; clock skew -3 s; TLS issuer ISRG Root X1)";
        assert_eq!(redact(text), text);
    }

    #[test]
    fn the_report_lists_every_finding_with_its_fix_and_no_secret() {
        let findings = [
            Finding::new("Link handler", Verdict::Ok, "this app opens com.atomagentos.marketplace:// links"),
            Finding::new("Keystore", Verdict::Problem, "the Secret Service is locked")
                .with_fix("Unlock the keyring (Passwords and Keys), then try again."),
            Finding::new(
                "Last sign-in",
                Verdict::Warning,
                format!(
                    "refused at https://id.example/token with refresh_token=rt_1 for bob@example.com: {JWT}"
                ),
            ),
        ];
        let text = report_text("ATOM Marketplace 0.1.2", &findings);
        assert!(text.starts_with("ATOM Marketplace 0.1.2: sign-in check\n"));
        assert!(text.contains("[ok] Link handler: this app opens"));
        assert!(text
            .contains("[PROBLEM] Keystore: the Secret Service is locked\n  what to do: Unlock the keyring"));
        assert!(text.contains("refresh_token=[removed] for [e-mail]: [token]"), "{text}");
        for secret in ["rt_1", "bob@", "eyJ"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
