//! TypeScript bindings for the UI, generated from the Rust types and the command list:
//! `ui/src/bindings/{types,commands,events}.ts`. The test `bindings_are_current` fails when the committed
//! files differ from what the code generates; `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings`
//! rewrites them.

use atom_core::markdown::RenderedMarkdown;
use atom_core::{
    ApiKeyScope, AuthMethod, AuthState, Category, CredentialKind, CustomEnvironment, EnvironmentKind,
    ErrorInfo, Fetched, Freshness, RateLimitStatus, RateResult, Review, ReviewPage, ServerMetadata, SignedIn,
    Skill, SkillDetail, SkillPage, SkillQuery, SkillSort, Submission, SubmitResult, TokenEncoding,
};
use ts_rs::{Config, TS};

use crate::commands::{AppInfo, SignInMethod, SignInStarted, SignOutResult};
use crate::outbox::{EventBatch, PushedEvent};
use crate::state::{events, EnvChoice, EnvironmentView, KeystoreStatus};

const HEADER: &str =
    "// Generated from the Rust sources by src-tauri/src/bindings.rs. Do not edit by hand:\n\
// run `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings` after changing a command or a type.\n";

fn cfg() -> Config {
    // JSON numbers, not bigints: no value here comes near 2^53.
    Config::new().with_large_int("number")
}

fn ty<T: TS>() -> String {
    T::name(&cfg())
}

fn decl<T: TS>() -> String {
    format!("export {}\n", T::decl(&cfg()))
}

pub fn types_ts() -> String {
    let decls = [
        decl::<AppInfo>(),
        decl::<crate::boot::Boot>(),
        decl::<crate::boot::BootPage>(),
        decl::<SignInMethod>(),
        decl::<SignInStarted>(),
        decl::<SignOutResult>(),
        decl::<EnvChoice>(),
        decl::<EnvironmentView>(),
        decl::<KeystoreStatus>(),
        decl::<EnvironmentKind>(),
        decl::<CustomEnvironment>(),
        decl::<TokenEncoding>(),
        decl::<AuthState>(),
        decl::<SignedIn>(),
        decl::<AuthMethod>(),
        decl::<ApiKeyScope>(),
        decl::<ErrorInfo>(),
        decl::<atom_core::ErrorCode>(),
        decl::<RateLimitStatus>(),
        decl::<CredentialKind>(),
        decl::<Skill>(),
        decl::<atom_core::models::Author>(),
        decl::<SkillDetail>(),
        decl::<SkillPage>(),
        decl::<Fetched<()>>(),
        decl::<Freshness>(),
        decl::<SkillQuery>(),
        decl::<SkillSort>(),
        decl::<atom_core::PriceFilter>(),
        decl::<Category>(),
        decl::<Review>(),
        decl::<ReviewPage>(),
        decl::<Submission>(),
        decl::<SubmitResult>(),
        decl::<RateResult>(),
        decl::<RenderedMarkdown>(),
        decl::<ServerMetadata>(),
        decl::<atom_core::MetadataSource>(),
        decl::<EventBatch>(),
        decl::<PushedEvent>(),
    ];
    format!("{HEADER}\n{}", decls.join("\n"))
}

pub struct CommandSig {
    pub name: &'static str,
    pub args: Vec<(&'static str, String)>,
    pub returns: String,
}

fn sig<R: TS>(name: &'static str, args: Vec<(&'static str, String)>) -> CommandSig {
    CommandSig { name, args, returns: ty::<R>() }
}

/// The table of [`command_sigs`], from the command list.
macro_rules! signatures {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        vec![$(sig::<$ret>(stringify!($name), vec![$((stringify!($arg), ty::<$ty>())),*])),*]
    };
}

/// Every command with its arguments and result, from the command list (`command_list.rs`).
pub fn command_sigs() -> Vec<CommandSig> {
    with_commands!(signatures)
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

pub fn commands_ts() -> String {
    let mut out = format!(
        "{HEADER}\nimport {{ invoke }} from \"@tauri-apps/api/core\";\nimport type * as T from \"./types\";\n\n\
         /** The app's commands. Each rejects with an `ErrorInfo`. */\nexport const commands = {{\n"
    );
    for c in command_sigs() {
        let qualify = |t: &str| qualify_types(t);
        let params: Vec<String> =
            c.args.iter().map(|(n, t)| format!("{}: {}", camel(n), qualify(t))).collect();
        let names: Vec<String> = c.args.iter().map(|(n, _)| camel(n)).collect();
        let call = if names.is_empty() {
            format!("invoke<{}>(\"{}\")", qualify(&c.returns), c.name)
        } else {
            format!("invoke<{}>(\"{}\", {{ {} }})", qualify(&c.returns), c.name, names.join(", "))
        };
        out.push_str(&format!("  {}: ({}) => {},\n", camel(c.name), params.join(", "), call));
    }
    out.push_str("};\n");
    out
}

/// Prefixes declared type names with the `T.` namespace import.
fn qualify_types(t: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let builtin = matches!(
            word.as_str(),
            "string" | "number" | "boolean" | "null" | "Array" | "Record" | "unknown"
        );
        if !word.is_empty() && word.starts_with(|c: char| c.is_ascii_uppercase()) && !builtin {
            out.push_str("T.");
        }
        out.push_str(word);
        word.clear();
    };
    for ch in t.chars() {
        if ch.is_ascii_alphanumeric() || ch == '_' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

pub fn events_ts() -> String {
    let rows = [
        (events::AUTH_STATE, ty::<AuthState>()),
        (events::RATE_LIMIT, ty::<RateLimitStatus>()),
        (events::SIGN_IN_ERROR, ty::<ErrorInfo>()),
        (events::ENVIRONMENT, ty::<EnvironmentView>()),
        (events::KEYSTORE, ty::<KeystoreStatus>()),
        (events::CONNECTIVITY, ty::<bool>()),
    ];
    let mut out = format!(
        "{HEADER}\nimport type * as T from \"./types\";\n\n\
         /** Events the app sends, with their payloads (the window takes them with `on`, ui/src/lib/pump.ts). */\n\
         export type Events = {{\n"
    );
    for (name, payload) in &rows {
        out.push_str(&format!("  \"{name}\": {};\n", qualify_types(payload)));
    }
    out.push_str("};\n");
    out
}

/// The contract's limits the window checks as the user types, from `atom_core::contract` (the same
/// numbers the core checks before sending).
pub fn contract_ts() -> String {
    use atom_core::contract::{limits, SKILL_TYPES};
    let rows = [
        ("nameMin", limits::NAME_MIN),
        ("nameMax", limits::NAME_MAX),
        ("descriptionMin", limits::DESCRIPTION_MIN),
        ("descriptionMax", limits::DESCRIPTION_MAX),
        ("longDescriptionMax", limits::LONG_DESCRIPTION_MAX),
        ("tagsMax", limits::TAGS_MAX),
        ("tagMax", limits::TAG_MAX),
        ("licenseMax", limits::LICENSE_MAX),
        ("reviewMax", limits::REVIEW_MAX),
    ];
    let mut out = format!(
        "{HEADER}\n/** The submission and review limits of the API contract. */\nexport const LIMITS = {{\n"
    );
    for (name, value) in rows {
        out.push_str(&format!("  {name}: {value},\n"));
    }
    let types: Vec<String> = SKILL_TYPES.iter().map(|t| format!("{t:?}")).collect();
    out.push_str(&format!("}} as const;\n\nexport const SKILL_TYPES = [{}] as const;\n", types.join(", ")));
    out.push_str(&format!(
        "\n/** The catalogue list's page size: the first page is the one saved for the next start. */\n\
         export const SKILLS_PAGE = {};\n",
        limits::SKILLS_PAGE_DEFAULT
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `name(arg: Type, …) -> Result` for every command of the list, as text without spaces.
    macro_rules! declared {
        ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
            vec![$(
                {
                    let args: Vec<String> = vec![$(format!("{}:{}", stringify!($arg), stringify!($ty))),*];
                    format!("{}({})->{}", stringify!($name), args.join(","), stringify!($ret)).replace(' ', "")
                }
            ),*]
        };
    }

    /// The same, read from the `#[tauri::command]` functions in commands.rs (the app state and handle
    /// are Tauri's, not the window's, and `Result<T>` is the command's `T`).
    fn defined() -> Vec<String> {
        let source = include_str!("commands.rs");
        let mut out = Vec::new();
        for chunk in source.split("#[tauri::command]").skip(1) {
            let head = &chunk[chunk.find("fn ").unwrap() + 3..chunk.find('{').unwrap()];
            let head: String = head.split_whitespace().collect();
            let (name, rest) = head.split_once('(').unwrap();
            let (args, ret) = rest.rsplit_once(")->").unwrap();
            // Split at the commas outside `<…>` (`State<'_,App>` has one inside).
            let mut parts = vec![String::new()];
            let mut depth = 0;
            for c in args.chars() {
                match c {
                    '<' => depth += 1,
                    '>' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(String::new());
                        continue;
                    }
                    _ => {}
                }
                parts.last_mut().unwrap().push(c);
            }
            let args: Vec<String> = parts
                .into_iter()
                .filter(|a| !a.is_empty() && !a.contains(":State<") && !a.contains(":AppHandle"))
                .collect();
            let ret = ret.strip_prefix("Result<").and_then(|r| r.strip_suffix('>')).unwrap_or(ret);
            out.push(format!("{name}({})->{ret}", args.join(",")));
        }
        out
    }

    #[test]
    fn the_command_list_matches_the_commands() {
        assert_eq!(
            with_commands!(declared),
            defined(),
            "src-tauri/src/command_list.rs differs from commands.rs"
        );
        assert_eq!(crate::COMMANDS.len(), command_sigs().len());
    }

    fn snake(camel: &str) -> String {
        camel.chars().fold(String::new(), |mut s, c| {
            if c.is_ascii_uppercase() {
                s.push('_');
                s.push(c.to_ascii_lowercase());
            } else {
                s.push(c);
            }
            s
        })
    }

    /// The commands the front end calls (`commands.fooBar(` in ui/src, bindings aside).
    fn commands_the_window_calls() -> std::collections::BTreeSet<String> {
        fn walk(dir: &std::path::Path, out: &mut std::collections::BTreeSet<String>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    if path.file_name().is_some_and(|n| n != "bindings") {
                        walk(&path, out);
                    }
                    continue;
                }
                // Whitespace out, so that `commands\n  .fooBar(` reads as one call.
                let text: String = std::fs::read_to_string(&path)
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                for part in text.split("commands.").skip(1) {
                    let name: String = part.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                    if part[name.len()..].starts_with('(') {
                        out.insert(snake(&name));
                    }
                }
            }
        }
        let mut out = std::collections::BTreeSet::new();
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src"), &mut out);
        out
    }

    #[test]
    fn the_window_is_granted_exactly_the_commands_it_calls() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/capabilities/default.json");
        let capability: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let granted: std::collections::BTreeSet<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-").map(|c| c.replace('-', "_")))
            .collect();
        let called = commands_the_window_calls();
        assert!(called.len() > 10, "the scan found the window's calls: {called:?}");
        assert_eq!(granted, called, "capabilities/default.json must grant exactly what ui/src calls");
        for name in &called {
            assert!(crate::COMMANDS.contains(&name.as_str()), "{name} is not a command");
        }
    }

    #[test]
    fn bindings_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings");
        let files = [
            ("types.ts", types_ts()),
            ("commands.ts", commands_ts()),
            ("events.ts", events_ts()),
            ("contract.ts", contract_ts()),
        ];
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            for (name, text) in &files {
                std::fs::write(dir.join(name), text).unwrap();
            }
        }
        for (name, text) in &files {
            let committed = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
            assert!(
                committed == *text,
                "ui/src/bindings/{name} is stale: run `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings`"
            );
        }
    }

    #[test]
    fn qualifies_only_declared_types() {
        assert_eq!(qualify_types("Array<Category>"), "Array<T.Category>");
        assert_eq!(qualify_types("string | null"), "string | null");
        assert_eq!(qualify_types("Record<string, number>"), "Record<string, number>");
    }
}
