//! The repository's shape, held by tests: no module of a crate imports, through others, a module that
//! imports it (an import cycle), and no source file grows past [`LINES_MAX`] lines of non-test code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The most lines of non-test code in one source file.
const LINES_MAX: usize = 600;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, ext: &[&str], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| ext.contains(&e)) {
            out.push(path);
        }
    }
}

/// A source file's code before its test module, without line comments.
fn code_of(text: &str) -> String {
    let end = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..end].lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The words after each `crate::`, including every name of a `crate::{a, b::c}` group.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in code.split("crate::").skip(1) {
        if let Some(group) = part.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                out.push(item.trim().split("::").next().unwrap_or_default().to_string());
            }
        } else {
            out.push(part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    out
}

/// For one crate: each top-level module and the other top-level modules its non-test code names. A
/// name the crate root re-exports (`pub use m::{A, B}`) counts as module `m`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut paths = Vec::new();
    files(src, &["rs"], &mut paths);
    let mut code: BTreeMap<String, String> = BTreeMap::new();
    for path in &paths {
        let rel = path.strip_prefix(src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
        let module = first.trim_end_matches(".rs").to_string();
        let module = if matches!(module.as_str(), "lib" | "main") { String::new() } else { module };
        code.entry(module).or_default().push_str(&code_of(&std::fs::read_to_string(path).unwrap()));
    }
    let mut reexported: BTreeMap<String, String> = BTreeMap::new();
    for line in code.get("").map(String::as_str).unwrap_or_default().split(';') {
        let Some(rest) = line.trim().strip_prefix("pub use ") else { continue };
        let Some((module, items)) = rest.split_once("::") else { continue };
        for item in items.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|i| !i.is_empty()) {
            reexported.insert(item.to_string(), module.to_string());
        }
    }
    let modules: BTreeSet<String> = code.keys().filter(|m| !m.is_empty()).cloned().collect();
    modules
        .iter()
        .map(|m| {
            let uses = crate_paths(&code[m])
                .into_iter()
                .map(|name| reexported.get(&name).cloned().unwrap_or(name))
                .filter(|name| name != m && modules.contains(name))
                .collect();
            (m.clone(), uses)
        })
        .collect()
}

/// A cycle in `graph`, as the modules along it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn walk(
        at: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|m| m == at) {
            return Some(path[i..].iter().cloned().chain([at.to_string()]).collect());
        }
        if !done.insert(at.to_string()) {
            return None;
        }
        path.push(at.to_string());
        for next in &graph[at] {
            if let Some(cycle) = walk(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|m| walk(m, graph, &mut Vec::new(), &mut done))
}

fn crate_sources() -> Vec<PathBuf> {
    let mut out = vec![root().join("src-tauri/src")];
    for entry in std::fs::read_dir(root().join("src-tauri/crates")).unwrap().flatten() {
        if entry.path().join("src").is_dir() {
            out.push(entry.path().join("src"));
        }
    }
    out
}

#[test]
fn no_crate_has_an_import_cycle() {
    for src in crate_sources() {
        let graph = module_graph(&src);
        if src.ends_with("atom-core/src") {
            assert!(
                graph["account"].contains("catalogue")
                    && graph["catalogue"].contains("http")
                    && graph["http"].contains("error"),
                "{graph:?}"
            );
        }
        if let Some(cycle) = find_cycle(&graph) {
            panic!("{}: the modules import in a circle: {}", src.display(), cycle.join(" -> "));
        }
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
            g.entry(b.to_string()).or_default();
        }
        g
    };
    assert_eq!(find_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        crate_paths("use crate::{error::Error, http};\nlet x = crate::env::f();"),
        ["error", "http", "env"]
    );
}

#[test]
fn no_source_file_is_over_the_line_limit() {
    let mut paths = Vec::new();
    for src in crate_sources() {
        files(&src, &["rs"], &mut paths);
    }
    files(&root().join("ui/src"), &["ts", "svelte"], &mut paths);
    let over: Vec<String> = paths
        .iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == "bindings"))
        .filter_map(|p| {
            let lines = code_of(&std::fs::read_to_string(p).unwrap()).lines().count();
            let name = p.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
            (lines > LINES_MAX).then(|| format!("{name} ({lines})"))
        })
        .collect();
    assert!(over.is_empty(), "over {LINES_MAX} lines of non-test code: {over:?}");
}
