//! Which program Windows opens the app's links with: the `shell\open\command` of the scheme's key in the
//! user's classes (what a development build and "Register again" write) or the machine's (what an
//! installer for every user writes), compared with this installation's program. The registry is read
//! by the platform code (`src-tauri/src/platform/windows.rs`); the judging is here, tested everywhere.

use std::path::Path;

use super::{Finding, Verdict, LINK_HANDLER as CHECK, REGISTER_FIX};

/// The program a `shell\open\command` value starts: its quoted first part, or its first word.
pub fn command_program(command: &str) -> Option<String> {
    let command = command.trim();
    let program = match command.strip_prefix('"') {
        Some(quoted) => quoted.split_once('"')?.0,
        None => command.split_whitespace().next()?,
    };
    (!program.is_empty()).then(|| program.to_string())
}

/// Whether two Windows paths name the same file: their canonical forms when both exist, else their
/// text, with either slash and in any case (Windows' file names ignore case).
fn same_program(a: &Path, b: &Path) -> bool {
    if let (Ok(a), Ok(b)) = (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        if a == b {
            return true;
        }
    }
    let plain = |p: &Path| p.to_string_lossy().replace('/', "\\").trim_start_matches(r"\\?\").to_lowercase();
    plain(a) == plain(b)
}

/// The finding for what the registry holds: `found` is where the command was read (`HKCU\…`) and the
/// command, `None` when neither the user's nor the machine's classes have the scheme.
pub fn judge(scheme: &str, found: Option<(&str, &str)>, exe: &Path) -> Finding {
    let Some((key, command)) = found else {
        return Finding::new(CHECK, Verdict::Problem, format!("no application opens {scheme}:// links"))
            .with_fix(REGISTER_FIX);
    };
    let Some(program) = command_program(command) else {
        return Finding::new(CHECK, Verdict::Problem, format!("{key} says no program to start"))
            .with_fix(REGISTER_FIX);
    };
    let path = Path::new(&program);
    if same_program(path, exe) {
        return Finding::new(CHECK, Verdict::Ok, format!("{scheme}:// links open this app ({key})"));
    }
    if !path.exists() {
        return Finding::new(
            CHECK,
            Verdict::Problem,
            format!("{scheme}:// links open {program}, which is no longer there (a removed build)"),
        )
        .with_fix(REGISTER_FIX);
    }
    Finding::new(
        CHECK,
        Verdict::Problem,
        format!(
            "{scheme}:// links open another program, {program} (an older build, or another install), not this \
             one ({})",
            exe.display()
        ),
    )
    .with_fix(REGISTER_FIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEME: &str = "com.atomagentos.marketplace";
    const KEY: &str = r"HKCU\Software\Classes\com.atomagentos.marketplace\shell\open\command";

    #[test]
    fn the_program_is_read_quoted_or_bare() {
        assert_eq!(
            command_program(r#""C:\Program Files\ATOM Marketplace\atom.exe" "%1""#).as_deref(),
            Some(r"C:\Program Files\ATOM Marketplace\atom.exe")
        );
        assert_eq!(command_program(r"C:\apps\atom.exe %1").as_deref(), Some(r"C:\apps\atom.exe"));
        for bad in ["", "   ", r#""C:\unterminated.exe %1"#, r#""" "%1""#] {
            assert_eq!(command_program(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn this_app_another_program_a_removed_one_and_none_are_told_apart() {
        let exe = std::env::current_exe().unwrap();
        let this = format!("\"{}\" \"%1\"", exe.display());
        let f = judge(SCHEME, Some((KEY, &this)), &exe);
        assert_eq!(f.verdict, Verdict::Ok, "{}", f.detail);
        // The same path in another case: Windows' names ignore case.
        if cfg!(windows) {
            let shouted = format!("\"{}\" \"%1\"", exe.display().to_string().to_uppercase());
            assert_eq!(judge(SCHEME, Some((KEY, &shouted)), &exe).verdict, Verdict::Ok);
        }
        let other = std::env::temp_dir();
        let f = judge(SCHEME, Some((KEY, &format!("\"{}\" \"%1\"", other.display()))), &exe);
        assert_eq!(f.verdict, Verdict::Problem);
        assert!(f.detail.contains("another program"), "{}", f.detail);
        let f = judge(SCHEME, Some((KEY, r#""C:\gone\old-atom.exe" "%1""#)), &exe);
        assert!(f.detail.contains("no longer there"), "{}", f.detail);
        let f = judge(SCHEME, None, &exe);
        assert_eq!(f.verdict, Verdict::Problem);
        assert!(f.fix.is_some());
    }
}
