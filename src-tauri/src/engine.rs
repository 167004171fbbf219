//! How the window's JavaScript engine runs (Linux: WebKitGTK's JavaScriptCore, in the web process that
//! WebKit starts and that inherits this process's environment).
//!
//! JavaScriptCore runs without its JIT compilers, only its interpreter. The window's script is light
//! (Svelte rendering a page of rows; search, Markdown and everything heavy run in Rust), and measured
//! against the shipped JIT (`scripts/bench-app.sh` with the switch as a variant, docs/benchmarks.md):
//! the whole app's idle memory is about 11 MiB lower (1.18× the floor's → 1.12×); the first page comes no
//! later, sooner on two cores, where the JIT's compiler threads compete with start-up; scrolling the
//! 10,000-skill list leaves about half a percentage point more frames late. And code that is never
//! compiled at run time cannot be turned against the window: no memory is both writable and executable.
//!
//! A user who wants the JIT back sets `JSC_useJIT=1`: a value already in the environment is kept.

use std::ffi::OsString;

/// JavaScriptCore's switch for all of its JIT tiers.
pub const JIT_VARIABLE: &str = "JSC_useJIT";

/// The value to set, if any, given what the environment already says.
pub fn jit_setting(existing: Option<OsString>) -> Option<&'static str> {
    match existing {
        Some(_) => None,
        None => Some("0"),
    }
}

/// Sets the engine's switches for the web process to inherit. Call it first, before any thread starts
/// (the environment is not safe to change once other threads may read it).
pub fn configure() {
    if !cfg!(target_os = "linux") {
        return;
    }
    if let Some(value) = jit_setting(std::env::var_os(JIT_VARIABLE)) {
        std::env::set_var(JIT_VARIABLE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jit_is_off_unless_the_user_says_otherwise() {
        assert_eq!(jit_setting(None), Some("0"));
        assert_eq!(jit_setting(Some("1".into())), None, "the user's own choice stays");
        assert_eq!(jit_setting(Some("0".into())), None);
    }
}
