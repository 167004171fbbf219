//! Which program the desktop opens the app's links with (Linux): the question a sign-in that never comes
//! back from the browser starts with. The desktop's own answer is asked (`xdg-mime query default`, what
//! `xdg-open` and the browsers' hand-over use), its desktop entry found in the XDG data folders, and the
//! program its `Exec` line starts compared with this installation's.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Finding, Verdict};

use super::LINK_HANDLER as CHECK;
use super::REGISTER_FIX as REGISTER;

/// Where the desktop looks for entries and defaults.
#[derive(Clone, Debug)]
pub struct Homes {
    pub home: PathBuf,
    pub data_home: PathBuf,
    pub config_home: PathBuf,
    pub data_dirs: Vec<PathBuf>,
}

impl Homes {
    /// This session's folders, as the XDG Base Directory specification defines them.
    pub fn from_env() -> Option<Homes> {
        let home = PathBuf::from(std::env::var_os("HOME")?);
        let (data_home, config_home) = crate::scheme::xdg_homes()?;
        let data_dirs = std::env::var("XDG_DATA_DIRS")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "/usr/local/share:/usr/share".into())
            .split(':')
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .collect();
        Some(Homes { home, data_home, config_home, data_dirs })
    }

    /// The desktop entry named `file`, where the desktop would find it first.
    fn find_entry(&self, file: &str) -> Option<PathBuf> {
        std::iter::once(&self.data_home)
            .chain(&self.data_dirs)
            .map(|dir| dir.join("applications").join(file))
            .find(|path| path.is_file())
    }
}

/// The desktop entry the desktop opens `scheme` links with, by its file name; `None`: none.
fn default_entry(scheme: &str, homes: &Homes) -> std::io::Result<Option<String>> {
    let data_dirs: Vec<String> = homes.data_dirs.iter().map(|d| d.to_string_lossy().to_string()).collect();
    let output = Command::new("xdg-mime")
        .args(["query", "default", &format!("x-scheme-handler/{scheme}")])
        .env("HOME", &homes.home)
        .env("XDG_DATA_HOME", &homes.data_home)
        .env("XDG_CONFIG_HOME", &homes.config_home)
        .env("XDG_DATA_DIRS", data_dirs.join(":"))
        .output()?;
    let name = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Ok((!name.is_empty()).then_some(name))
}

/// The program an entry's `Exec` line starts: its first word, unquoted.
pub fn exec_program(entry: &str) -> Option<String> {
    let mut in_main = false;
    for line in entry.lines().map(str::trim) {
        if line.starts_with('[') {
            in_main = line == "[Desktop Entry]";
            continue;
        }
        let Some(exec) = line.strip_prefix("Exec=").filter(|_| in_main) else { continue };
        let exec = exec.trim_start();
        if let Some(quoted) = exec.strip_prefix('"') {
            let mut program = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => program.extend(chars.next()),
                    '"' => return Some(program),
                    _ => program.push(c),
                }
            }
            return None;
        }
        return exec.split_whitespace().next().map(str::to_string);
    }
    None
}

/// Whether the desktop opens `scheme` links with `exe`, this installation's program.
pub fn check(scheme: &str, exe: &Path, homes: &Homes) -> Finding {
    let entry = match default_entry(scheme, homes) {
        Ok(entry) => entry,
        Err(e) => {
            return Finding::new(
                CHECK,
                Verdict::NotChecked,
                format!(
                    "the desktop could not be asked which program opens {scheme}:// links (xdg-mime: {e})"
                ),
            )
            .with_fix("Install xdg-utils, which browsers use to hand links to applications.")
        }
    };
    let Some(entry) = entry else {
        return Finding::new(CHECK, Verdict::Problem, format!("no application opens {scheme}:// links"))
            .with_fix(REGISTER);
    };
    let Some(path) = homes.find_entry(&entry) else {
        return Finding::new(
            CHECK,
            Verdict::Problem,
            format!("{scheme}:// links go to {entry}, which is no longer installed"),
        )
        .with_fix(REGISTER);
    };
    let program = std::fs::read_to_string(&path).ok().as_deref().and_then(exec_program);
    let Some(program) = program else {
        return Finding::new(
            CHECK,
            Verdict::Problem,
            format!("{scheme}:// links go to {}, which says no program to start", path.display()),
        )
        .with_fix(REGISTER);
    };
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let program_path = which(&program);
    match program_path {
        Some(found) if same(&found, exe) => Finding::new(
            CHECK,
            Verdict::Ok,
            format!("{scheme}:// links open this app ({})", path.display()),
        ),
        Some(found) => Finding::new(
            CHECK,
            Verdict::Problem,
            format!(
                "{scheme}:// links open another program, {} (an older build, or another install), not this one ({})",
                found.display(),
                exe.display()
            ),
        )
        .with_fix(REGISTER),
        None => Finding::new(
            CHECK,
            Verdict::Problem,
            format!("{scheme}:// links open {program}, which is no longer there (a removed build)"),
        )
        .with_fix(REGISTER),
    }
}

/// `program` as a path: itself when it names one, else found on `PATH` as a shell would.
fn which(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let path = PathBuf::from(program);
        return path.exists().then_some(path);
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join(program)).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme;

    const SCHEME: &str = "com.atomagentos.marketplace";

    /// A user's XDG folders of their own, in a temporary folder.
    fn homes(name: &str) -> Homes {
        let root = std::env::temp_dir().join(format!("atom-doctor-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let homes = Homes {
            home: root.clone(),
            data_home: root.join("data"),
            config_home: root.join("config"),
            data_dirs: vec![root.join("system")],
        };
        for dir in [&homes.data_home, &homes.config_home, &homes.data_dirs[0]] {
            std::fs::create_dir_all(dir).unwrap();
        }
        homes
    }

    fn program(homes: &Homes, name: &str) -> PathBuf {
        let path = homes.home.join(name);
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        path
    }

    fn xdg_mime_here() -> bool {
        Command::new("xdg-mime").arg("--version").output().is_ok()
    }

    #[test]
    fn the_program_an_entry_starts_is_read_bare_or_quoted() {
        let entry = |exec: &str| format!("[Desktop Entry]\nType=Application\nExec={exec}\n");
        assert_eq!(exec_program(&entry("/opt/atom/app %u")).as_deref(), Some("/opt/atom/app"));
        assert_eq!(
            exec_program(&entry("\"/opt/ATOM Marketplace/app\" %u")).as_deref(),
            Some("/opt/ATOM Marketplace/app")
        );
        assert_eq!(exec_program(&entry("\"/tmp/a\\$b\" %u")).as_deref(), Some("/tmp/a$b"));
        assert_eq!(exec_program("[Desktop Action x]\nExec=/other\n"), None, "only the main group's Exec");
        assert_eq!(exec_program(&entry("\"/unterminated %u")), None);
    }

    #[test]
    #[ignore = "needs xdg-utils (scripts/setup.sh installs it): scripts/test.sh"]
    fn a_registration_to_this_app_is_found_and_each_broken_one_named() {
        assert!(xdg_mime_here(), "xdg-mime is missing");
        let homes = homes("link-handler");
        let this = program(&homes, "atom-marketplace");

        // Nothing registered.
        let found = check(SCHEME, &this, &homes);
        assert_eq!(found.verdict, Verdict::Problem, "{found:?}");
        assert!(found.detail.contains("no application opens"), "{found:?}");
        assert!(found.fix.as_deref().unwrap().contains("Register again"));

        // Registered to this app, the way the app registers itself.
        scheme::register("ATOM Marketplace", &this, SCHEME, &homes.data_home, &homes.config_home).unwrap();
        let found = check(SCHEME, &this, &homes);
        assert_eq!(found.verdict, Verdict::Ok, "{found:?}");
        assert_eq!(found.fix, None);

        // Registered to another build.
        let other = program(&homes, "old-build");
        scheme::register("ATOM Marketplace", &other, SCHEME, &homes.data_home, &homes.config_home).unwrap();
        let found = check(SCHEME, &this, &homes);
        assert_eq!(found.verdict, Verdict::Problem, "{found:?}");
        assert!(found.detail.contains("another program") && found.detail.contains("old-build"), "{found:?}");

        // That build removed.
        std::fs::remove_file(&other).unwrap();
        let found = check(SCHEME, &this, &homes);
        assert!(found.detail.contains("no longer there"), "{found:?}");

        // The entry itself removed (a package uninstalled), its default left behind.
        std::fs::remove_file(homes.data_home.join("applications").join(scheme::HANDLER_FILE)).unwrap();
        let found = check(SCHEME, &this, &homes);
        assert_eq!(found.verdict, Verdict::Problem, "{found:?}");
        assert!(
            found.detail.contains("no longer installed") || found.detail.contains("no application opens"),
            "{found:?}"
        );

        // Registered again: fixed.
        scheme::register("ATOM Marketplace", &this, SCHEME, &homes.data_home, &homes.config_home).unwrap();
        assert_eq!(check(SCHEME, &this, &homes).verdict, Verdict::Ok);
        let _ = std::fs::remove_dir_all(&homes.home);
    }
}
