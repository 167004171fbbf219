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

/// Every command with its arguments and result, in the order of [`crate::app_commands`].
pub fn command_sigs() -> Vec<CommandSig> {
    vec![
        sig::<AppInfo>("app_info", vec![]),
        sig::<AuthState>("auth_state", vec![]),
        sig::<SignInStarted>("sign_in_browser", vec![("method", ty::<SignInMethod>())]),
        sig::<AuthState>("complete_sign_in", vec![("url", ty::<String>())]),
        sig::<()>("cancel_sign_in", vec![]),
        sig::<AuthState>("sign_in_api_key", vec![("key", ty::<String>()), ("scope", ty::<ApiKeyScope>())]),
        sig::<SignOutResult>("sign_out", vec![]),
        sig::<EnvironmentView>("switch_environment", vec![("choice", ty::<EnvChoice>())]),
        sig::<RateLimitStatus>("rate_limit_status", vec![]),
        sig::<Fetched<SkillPage>>(
            "list_skills",
            vec![("query", ty::<SkillQuery>()), ("freshness", ty::<Freshness>())],
        ),
        sig::<Fetched<SkillDetail>>(
            "get_skill",
            vec![("id", ty::<String>()), ("freshness", ty::<Freshness>())],
        ),
        sig::<Fetched<Vec<Category>>>("list_categories", vec![("freshness", ty::<Freshness>())]),
        sig::<Fetched<ReviewPage>>(
            "list_reviews",
            vec![
                ("id", ty::<String>()),
                ("limit", ty::<u32>()),
                ("offset", ty::<u32>()),
                ("freshness", ty::<Freshness>()),
            ],
        ),
        sig::<SubmitResult>("submit_skill", vec![("submission", ty::<Submission>())]),
        sig::<RateResult>(
            "rate_skill",
            vec![("id", ty::<String>()), ("rating", ty::<u8>()), ("review", ty::<Option<String>>())],
        ),
        sig::<Review>(
            "post_review",
            vec![("id", ty::<String>()), ("rating", ty::<u8>()), ("review", ty::<String>())],
        ),
        sig::<RenderedMarkdown>("render_markdown", vec![("text", ty::<String>())]),
        sig::<ServerMetadata>("discover_server", vec![("address", ty::<String>())]),
        sig::<()>("open_external", vec![("url", ty::<String>())]),
    ]
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
        "{HEADER}\nimport {{ listen, type UnlistenFn }} from \"@tauri-apps/api/event\";\n\
         import type * as T from \"./types\";\n\n/** Events the app pushes, with their payloads. */\nexport type Events = {{\n"
    );
    for (name, payload) in &rows {
        out.push_str(&format!("  \"{name}\": {};\n", qualify_types(payload)));
    }
    out.push_str(
        "};\n\nexport function on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): Promise<UnlistenFn> {\n  \
         return listen<Events[K]>(event, (e) => handler(e.payload));\n}\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! names {
        ($($c:ident),*) => { vec![$(stringify!($c)),*] };
    }

    #[test]
    fn every_command_has_a_binding() {
        let handled: Vec<&str> = crate::app_commands!(names);
        let bound: Vec<&str> = command_sigs().iter().map(|c| c.name).collect();
        assert_eq!(handled, bound, "the handler list and the bindings table must match");
    }

    #[test]
    fn build_rs_declares_every_command() {
        let handled: Vec<&str> = crate::app_commands!(names);
        assert_eq!(handled, crate::command_names::COMMANDS, "src-tauri/src/command_names.rs is out of date");
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
            assert!(crate::command_names::COMMANDS.contains(&name.as_str()), "{name} is not a command");
        }
    }

    #[test]
    fn bindings_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings");
        let files = [("types.ts", types_ts()), ("commands.ts", commands_ts()), ("events.ts", events_ts())];
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
