//! TypeScript bindings for the UI, generated from the Rust types and the command list:
//! `ui/src/bindings/{types,commands,events}.ts`. The test `bindings_are_current` fails when the committed
//! files differ from what the code generates; `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings`
//! rewrites them.

use std::any::TypeId;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use atom_core::markdown::RenderedMarkdown;
use atom_core::{
    ApiKeyScope, AuthState, Category, CustomEnvironment, Fetched, Freshness, RateLimitStatus, RateResult,
    Review, ReviewPage, ServerMetadata, SkillDetail, SkillPage, SkillQuery, Submission, SubmitResult,
};
use ts_rs::{Config, TypeVisitor, TS};

use crate::commands::{AppInfo, SignInCheck, SignInMethod, SignInStarted, SignOutResult};
use crate::state::events::{Connectivity, RateLimits, SignInProblem};
use crate::state::{EnvChoice, EnvironmentView, KeystoreStatus, OpenedLink};
use crate::updates::UpdateStatus;
use atom_desktop::outbox::{Event, EventBatch};

const HEADER: &str =
    "// Generated from the Rust sources by src-tauri/src/bindings.rs. Do not edit by hand:\n\
// run `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings` after changing a command or a type.\n";

fn cfg() -> Config {
    // JSON numbers, not bigints: no value here comes near 2^53.
    Config::new().with_large_int("number")
}

/// A type as the window sees it: its TypeScript name (`Fetched<SkillPage>`), the declared types that
/// name mentions (to import), and the declarations it needs, its own and every type it depends on.
pub struct TsType {
    pub name: String,
    pub mentions: BTreeSet<String>,
    visit: fn(&mut Declarations),
}

impl TsType {
    pub fn of<T: TS + 'static + ?Sized>() -> TsType {
        struct Mentions(Config, BTreeSet<String>);
        impl TypeVisitor for Mentions {
            fn visit<T: TS + 'static + ?Sized>(&mut self) {
                if T::output_path().is_some() {
                    self.1.insert(T::ident(&self.0));
                }
            }
        }
        let mut mentions = Mentions(cfg(), BTreeSet::new());
        mentions.visit::<T>();
        T::visit_generics(&mut mentions);
        TsType { name: T::name(&cfg()), mentions: mentions.1, visit: |d| d.visit::<T>() }
    }
}

/// The declarations reached from some types by ts-rs's own dependency walk, each once, by name (the
/// walk's order changes from one build to the next: ts-rs's derive lists dependencies in hash order).
/// Only types that derive `TS` are declared; the rest (`string`, `Array`, …) are TypeScript's.
#[derive(Default)]
pub struct Declarations {
    walked: HashSet<TypeId>,
    out: BTreeMap<String, String>,
}

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if !self.walked.insert(TypeId::of::<T>()) {
            return;
        }
        let cfg = cfg();
        if T::output_path().is_some() {
            self.out.entry(T::ident(&cfg)).or_insert_with(|| format!("export {}\n", T::decl(&cfg)));
        }
        T::visit_dependencies(self);
        T::visit_generics(self);
    }
}

/// Every command with its arguments and result, from the command list (`command_list.rs`).
pub struct CommandSig {
    pub name: &'static str,
    pub args: Vec<(&'static str, TsType)>,
    pub returns: TsType,
}

macro_rules! signatures {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty { $($how:tt)* })*) => {
        vec![$(CommandSig {
            name: stringify!($name),
            args: vec![$((stringify!($arg), TsType::of::<$ty>())),*],
            returns: TsType::of::<$ret>(),
        }),*]
    };
}

pub fn command_sigs() -> Vec<CommandSig> {
    with_commands!(signatures)
}

fn event<E: Event + TS + 'static>() -> (&'static str, TsType) {
    (E::NAME, TsType::of::<E>())
}

/// The events the app sends: each payload type, whose `impl Event` names it (`state/events.rs`,
/// `updates/mod.rs`). The test `every_event_is_in_the_bindings` finds a missing one.
fn event_payloads() -> Vec<(&'static str, TsType)> {
    vec![
        event::<RateLimits>(),
        event::<SignInProblem>(),
        event::<EnvironmentView>(),
        event::<KeystoreStatus>(),
        event::<Connectivity>(),
        event::<OpenedLink>(),
        event::<crate::state::AccountsView>(),
        event::<UpdateStatus>(),
    ]
}

/// Every type the window meets: the commands' arguments and results, the events' payloads, and what
/// the page is handed as it loads (`boot.rs`), with all they depend on.
pub fn types_ts() -> String {
    let mut all = Declarations::default();
    for c in command_sigs() {
        for (_, t) in &c.args {
            (t.visit)(&mut all);
        }
        (c.returns.visit)(&mut all);
    }
    for (_, t) in event_payloads() {
        (t.visit)(&mut all);
    }
    (TsType::of::<crate::boot::Boot>().visit)(&mut all);
    format!("{HEADER}\n{}", all.out.into_values().collect::<Vec<_>>().join("\n"))
}

fn import_line<'a>(types: impl IntoIterator<Item = &'a TsType>) -> String {
    let names: BTreeSet<&str> =
        types.into_iter().flat_map(|t| t.mentions.iter().map(String::as_str)).collect();
    format!("import type {{ {} }} from \"./types\";\n", names.into_iter().collect::<Vec<_>>().join(", "))
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
    let sigs = command_sigs();
    let imports = import_line(sigs.iter().flat_map(|c| c.args.iter().map(|(_, t)| t).chain([&c.returns])));
    let mut out = format!(
        "{HEADER}\nimport {{ invoke }} from \"@tauri-apps/api/core\";\n{imports}\n\
         /** The app's commands. Each rejects with an `ErrorInfo`. */\nexport const commands = {{\n"
    );
    for c in &sigs {
        let params: Vec<String> = c.args.iter().map(|(n, t)| format!("{}: {}", camel(n), t.name)).collect();
        let names: Vec<String> = c.args.iter().map(|(n, _)| camel(n)).collect();
        let call = if names.is_empty() {
            format!("invoke<{}>(\"{}\")", c.returns.name, c.name)
        } else {
            format!("invoke<{}>(\"{}\", {{ {} }})", c.returns.name, c.name, names.join(", "))
        };
        out.push_str(&format!("  {}: ({}) => {},\n", camel(c.name), params.join(", "), call));
    }
    out.push_str("};\n");
    out
}

pub fn events_ts() -> String {
    let rows = event_payloads();
    let mut out = format!(
        "{HEADER}\n{}\n\
         /** Events the app sends, with their payloads (the window takes them with `on`, ui/src/lib/pump.ts). */\n\
         export type Events = {{\n",
        import_line(rows.iter().map(|(_, t)| t))
    );
    for (name, payload) in &rows {
        out.push_str(&format!("  \"{name}\": {};\n", payload.name));
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
    use atom_core::env::{PRODUCTION_NAME, SANDBOX_NAME, UNNAMED_SERVER};
    out.push_str(&format!(
        "\n/** What the app calls ATOM's service, its sandbox, and a custom server the user did not name. */\n\
         export const ENVIRONMENT_NAMES = {{ production: {PRODUCTION_NAME:?}, sandbox: {SANDBOX_NAME:?}, \
         custom: {UNNAMED_SERVER:?} }} as const;\n"
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the app's events: every `const NAME` of an `impl Event for` in src-tauri/src.
    fn events_declared() -> std::collections::BTreeSet<String> {
        fn walk(dir: &std::path::Path, out: &mut std::collections::BTreeSet<String>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for part in text.split("impl Event for ").skip(1) {
                    let block = &part[..part.find('}').unwrap_or(part.len())];
                    if let Some(name) = block.split("const NAME: &'static str = \"").nth(1) {
                        out.insert(name[..name.find('"').unwrap()].to_string());
                    }
                }
            }
        }
        let mut out = std::collections::BTreeSet::new();
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/src"), &mut out);
        out
    }

    #[test]
    fn every_event_is_in_the_bindings() {
        let listed: std::collections::BTreeSet<String> =
            event_payloads().into_iter().map(|(name, _)| name.to_string()).collect();
        assert_eq!(listed.len(), event_payloads().len(), "an event is listed twice");
        assert_eq!(listed, events_declared());
    }

    #[test]
    fn every_command_has_a_permission() {
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
    fn a_signature_imports_the_types_it_names() {
        let t = TsType::of::<Fetched<Vec<Category>>>();
        assert_eq!(t.name, "Fetched<Array<Category>>");
        assert_eq!(t.mentions, BTreeSet::from(["Category".to_string(), "Fetched".to_string()]));
        assert!(TsType::of::<Option<String>>().mentions.is_empty());
    }
}
