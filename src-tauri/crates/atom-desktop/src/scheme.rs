//! Making the app the handler of its URL scheme on Linux, for development builds and AppImages (a
//! `.deb` or `.rpm` registers its own entry at install time).
//!
//! The deep-link plugin writes `Exec="/path/to/app" %u`. `gio open` (GNOME) reads that, but the
//! generic `xdg-open` of xdg-utils 1.1.3 (i3, sway, Openbox and every desktop it does not recognise)
//! takes the quoted word as the command and fails (`xdg-open: 811: : Permission denied`), so a
//! sign-in approved in a real browser never comes back. This writes the entry itself: a bare path, which
//! every opener reads; a path that would need quoting (a space in it) is reached through a symbolic link
//! at a plain path instead; only if even that needs quoting is it quoted.

use std::io;
use std::path::{Path, PathBuf};

/// The handler's file name, as the plugin names it (so that this entry replaces the plugin's).
pub const HANDLER_FILE: &str = "atom-marketplace-handler.desktop";

/// Characters the Desktop Entry Specification reserves in `Exec`: an argument holding one must be
/// quoted, which the generic `xdg-open` cannot read.
fn needs_quoting(arg: &str) -> bool {
    arg.is_empty()
        || arg.chars().any(|c| {
            c.is_whitespace()
                || matches!(c, '"' | '\'' | '\\' | '>' | '<' | '~' | '|' | '&' | ';' | '$' | '*' | '?' | '#' | '(' | ')' | '`')
                // Not reserved, but a field code's sign: kept out of a bare Exec too.
                || c == '%'
        })
}

/// The `Exec` value for `program`: `program %u`, quoted only when it must be.
pub fn exec_value(program: &str) -> String {
    if needs_quoting(program) {
        let escaped: String = program
            .chars()
            .flat_map(|c| match c {
                '"' | '`' | '$' | '\\' => vec!['\\', c],
                '%' => vec!['%', '%'],
                _ => vec![c],
            })
            .collect();
        format!("\"{escaped}\" %u")
    } else {
        format!("{program} %u")
    }
}

/// The handler's desktop entry.
pub fn desktop_entry(name: &str, program: &str, scheme: &str) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName={name}\nComment=Opens {scheme} links (sign-in)\nExec={}\n\
         Terminal=false\nNoDisplay=true\nMimeType=x-scheme-handler/{scheme};\n",
        exec_value(program)
    )
}

/// `mimeapps.list` with `entry` as the default for `mime` (other lines kept).
pub fn with_default(mimeapps: &str, mime: &str, entry: &str) -> String {
    let line = format!("{mime}={entry}");
    let mut out = Vec::new();
    let mut section = String::new();
    let mut done = false;
    for raw in mimeapps.lines() {
        let trimmed = raw.trim();
        if trimmed.starts_with('[') {
            if section == "[Default Applications]" && !done {
                out.push(line.clone());
                done = true;
            }
            section = trimmed.to_string();
        } else if section == "[Default Applications]"
            && trimmed.split_once('=').is_some_and(|(k, _)| k.trim() == mime)
        {
            if !done {
                out.push(line.clone());
                done = true;
            }
            continue;
        }
        out.push(raw.to_string());
    }
    if !done {
        if section != "[Default Applications]" {
            if out.last().is_some_and(|l| !l.trim().is_empty()) {
                out.push(String::new());
            }
            out.push("[Default Applications]".into());
        }
        out.push(line);
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// The user's XDG data and config folders.
pub fn xdg_homes() -> Option<(PathBuf, PathBuf)> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let dir = |var: &str, fallback: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(fallback)))
    };
    Some((dir("XDG_DATA_HOME", ".local/share")?, dir("XDG_CONFIG_HOME", ".config")?))
}

/// A path for `exe` that every opener reads: itself, or a symbolic link to it at a plain path.
fn plain_program(exe: &Path, data_home: &Path) -> io::Result<String> {
    let text = exe.to_string_lossy().to_string();
    if !needs_quoting(&text) {
        return Ok(text);
    }
    let dir = data_home.join("com.atomagentos.marketplace/bin");
    std::fs::create_dir_all(&dir)?;
    let link = dir.join("atom-marketplace");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(exe, &link)?;
    Ok(link.to_string_lossy().to_string())
}

/// Writes the handler entry into `data_home/applications`, and makes it the default for the scheme in
/// `config_home/mimeapps.list`. Returns the entry's path.
pub fn register(
    name: &str,
    exe: &Path,
    scheme: &str,
    data_home: &Path,
    config_home: &Path,
) -> io::Result<PathBuf> {
    let apps = data_home.join("applications");
    std::fs::create_dir_all(&apps)?;
    let program = plain_program(exe, data_home)?;
    let entry = apps.join(HANDLER_FILE);
    let text = desktop_entry(name, &program, scheme);
    if std::fs::read_to_string(&entry).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&entry, text)?;
    }
    std::fs::create_dir_all(config_home)?;
    let list = config_home.join("mimeapps.list");
    let before = std::fs::read_to_string(&list).unwrap_or_default();
    let after = with_default(&before, &format!("x-scheme-handler/{scheme}"), HANDLER_FILE);
    if after != before {
        // Through a link, not over it: a `mimeapps.list` kept elsewhere (dotfiles in a repository,
        // linked into place) is edited where it lives, and stays linked.
        let target = std::fs::canonicalize(&list).unwrap_or_else(|_| list.clone());
        let folder = target.parent().unwrap_or(config_home);
        let tmp = folder.join(format!(".mimeapps.list.atom-tmp.{}", std::process::id()));
        std::fs::write(&tmp, after)?;
        std::fs::rename(tmp, &target)?;
    }
    // Openers that read the MIME cache rather than mimeapps.list; best effort.
    let _ = std::process::Command::new("update-desktop-database")
        .arg(&apps)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_path_is_written_bare() {
        assert_eq!(exec_value("/home/ada/app/atom-marketplace"), "/home/ada/app/atom-marketplace %u");
    }

    #[test]
    fn a_path_that_needs_it_is_quoted_and_escaped() {
        assert_eq!(exec_value("/opt/ATOM Marketplace/app"), "\"/opt/ATOM Marketplace/app\" %u");
        assert_eq!(exec_value("/tmp/a$b\"c"), "\"/tmp/a\\$b\\\"c\" %u");
        assert_eq!(exec_value("/tmp/100%"), "\"/tmp/100%%\" %u");
    }

    #[test]
    fn the_scheme_default_is_set_and_other_lines_are_kept() {
        let mime = "x-scheme-handler/com.atomagentos.marketplace";
        let empty = with_default("", mime, HANDLER_FILE);
        assert_eq!(empty, format!("[Default Applications]\n{mime}={HANDLER_FILE}\n"));
        let existing = "[Added Associations]\ntext/plain=gedit.desktop;\n\n[Default Applications]\n\
                        x-scheme-handler/http=firefox.desktop\nx-scheme-handler/com.atomagentos.marketplace=old.desktop\n";
        let out = with_default(existing, mime, HANDLER_FILE);
        assert!(out.contains("text/plain=gedit.desktop;"));
        assert!(out.contains("x-scheme-handler/http=firefox.desktop"));
        assert!(out.contains(&format!("{mime}={HANDLER_FILE}")));
        assert!(!out.contains("old.desktop"));
        assert_eq!(with_default(&out, mime, HANDLER_FILE), out, "idempotent");
        let other_section_only = with_default("[Added Associations]\na=b\n", mime, HANDLER_FILE);
        assert!(other_section_only.ends_with(&format!("[Default Applications]\n{mime}={HANDLER_FILE}\n")));
    }

    /// A `mimeapps.list` that is a link (dotfiles kept in a repository) is edited through the link: the
    /// link stays, the file it points to gets the scheme's default, its other lines kept.
    #[test]
    fn a_linked_mimeapps_list_is_edited_through_its_link() {
        let root = std::env::temp_dir().join(format!("atom-scheme-link-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (data, config, dotfiles) = (root.join("data"), root.join("config"), root.join("dotfiles"));
        for dir in [&data, &config, &dotfiles] {
            std::fs::create_dir_all(dir).unwrap();
        }
        let kept = dotfiles.join("mimeapps.list");
        std::fs::write(&kept, "[Default Applications]\ntext/html=firefox.desktop\n").unwrap();
        std::os::unix::fs::symlink(&kept, config.join("mimeapps.list")).unwrap();
        let exe = root.join("atom-marketplace");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        register("ATOM Marketplace", &exe, "com.atomagentos.marketplace", &data, &config).unwrap();
        let link = std::fs::symlink_metadata(config.join("mimeapps.list")).unwrap();
        assert!(link.file_type().is_symlink(), "still a link");
        let text = std::fs::read_to_string(&kept).unwrap();
        assert!(text.contains("text/html=firefox.desktop"), "{text}");
        assert!(
            text.contains(&format!("x-scheme-handler/com.atomagentos.marketplace={HANDLER_FILE}")),
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_program_in_a_folder_with_a_space_is_reached_through_a_plain_link() {
        let root = std::env::temp_dir().join(format!("atom-scheme-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let spaced = root.join("My Apps");
        std::fs::create_dir_all(&spaced).unwrap();
        let exe = spaced.join("atom-marketplace");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        let (data, config) = (root.join("data"), root.join("config"));
        let entry =
            register("ATOM Marketplace", &exe, "com.atomagentos.marketplace", &data, &config).unwrap();
        let text = std::fs::read_to_string(entry).unwrap();
        let exec = text.lines().find_map(|l| l.strip_prefix("Exec=")).unwrap();
        assert!(!exec.contains('"'), "no quotes: {exec}");
        let program = exec.trim_end_matches(" %u");
        assert_eq!(std::fs::canonicalize(program).unwrap(), std::fs::canonicalize(&exe).unwrap());
        let list = std::fs::read_to_string(config.join("mimeapps.list")).unwrap();
        assert!(list.contains(&format!("x-scheme-handler/com.atomagentos.marketplace={HANDLER_FILE}")));
        let _ = std::fs::remove_dir_all(&root);
    }
}
