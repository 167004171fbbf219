//! The app's URL scheme on Windows: what a development build writes to the user's registry so that
//! Windows starts it for `com.atomagentos.marketplace://` links (the installers write the same at
//! install time). The app itself cannot start without a window (under Wine there is no WebView2
//! runtime), so the test builds it on Tauri's mock runtime, with the app's own `tauri.conf.json` and
//! the deep-link plugin as the app sets it up, then calls the app's own registration, and reads the
//! registry back with Windows' `reg` tool.
//!
//! The sign-in doctor's link-handler check reads the entry back through the registry's API and tells
//! this app's, another program's and a removed entry apart.
//!
//! Not covered here: Windows opening the link through the shell (Wine 8 does not merge per-user
//! classes into `HKEY_CLASSES_ROOT`), and single-instance forwarding the link to a running app
//! (it needs the app's window). The hosted Windows job builds the installers that register it.
#![cfg(windows)]

use std::process::Command;

use atom_desktop::doctor::Verdict;
use tauri_plugin_deep_link::DeepLinkExt;

const SCHEME: &str = atom_core::contract::paths::REDIRECT_SCHEME;

fn key() -> String {
    format!(r"HKCU\Software\Classes\{SCHEME}")
}

/// `reg query KEY [/v NAME | /ve]`: the value's data, or `None` when the key or value is missing.
fn reg_query(key: &str, value: Option<&str>) -> Option<String> {
    let mut cmd = Command::new("reg");
    cmd.args(["query", key]);
    match value {
        Some(name) => cmd.args(["/v", name]),
        None => cmd.arg("/ve"),
    };
    let out = cmd.output().expect("reg runs");
    if !out.status.success() {
        return None;
    }
    // "    (Default)    REG_SZ    data" (or the value's name instead of "(Default)").
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.lines().find_map(|l| l.split_once("REG_SZ").map(|(_, data)| data.trim().to_string()))
}

#[test]
fn a_development_build_registers_its_scheme_for_the_user_and_unregisters_it() {
    let app = tauri::test::mock_builder()
        .plugin(tauri_plugin_deep_link::init())
        .build(tauri::generate_context!())
        .expect("the app builds on the mock runtime");
    let _ = app.deep_link().unregister(SCHEME);
    assert_eq!(reg_query(&format!(r"{}\shell\open\command", key()), None), None, "clean to start with");

    atom_marketplace::register_scheme(app.handle()).expect("registered");

    let command = reg_query(&format!(r"{}\shell\open\command", key()), None).expect("the open command");
    let exe = std::env::current_exe().unwrap();
    let exe_name = exe.file_name().unwrap().to_string_lossy().to_string();
    // `"C:\…\app.exe" "%1"`: the program quoted (its folder may hold spaces), the link as one argument.
    let (program, argument) = command.rsplit_once(' ').expect("a program and an argument");
    assert_eq!(argument, "\"%1\"", "{command}");
    assert!(program.starts_with('"') && program.ends_with('"'), "{command}");
    assert!(program.to_lowercase().ends_with(&format!("\\{}\"", exe_name.to_lowercase())), "{command}");
    assert!(!program.contains(r"\\?\"), "a plain path, not a verbatim one: {command}");
    // What makes Windows treat the key as a URL scheme rather than a file type.
    assert_eq!(reg_query(&key(), Some("URL Protocol")), Some(String::new()));
    assert!(reg_query(&key(), None).is_some_and(|d| d.starts_with("URL:")), "described as a URL scheme");

    // Registering again (every start of a development build does) changes nothing.
    atom_marketplace::register_scheme(app.handle()).expect("registered again");
    assert_eq!(reg_query(&format!(r"{}\shell\open\command", key()), None), Some(command));

    // The sign-in doctor reads the same entry through the registry's API: this app's.
    let found = atom_marketplace::check_link_handler();
    assert_eq!(found.verdict, Verdict::Ok, "{}", found.detail);
    assert!(found.detail.contains(r"HKCU\Software\Classes"), "{}", found.detail);

    // Another program takes the links (an older build elsewhere): named, with "Register again".
    let other = std::env::temp_dir().join("older-atom.exe");
    std::fs::write(&other, b"MZ").unwrap();
    let taken = format!("\"{}\" \"%1\"", other.display());
    let status = Command::new("reg")
        .args(["add", &format!(r"{}\shell\open\command", key()), "/ve", "/d", &taken, "/f"])
        .status()
        .expect("reg runs");
    assert!(status.success());
    let found = atom_marketplace::check_link_handler();
    assert_eq!(found.verdict, Verdict::Problem, "{}", found.detail);
    assert!(found.detail.to_lowercase().contains("older-atom.exe"), "{}", found.detail);
    assert!(found.fix.as_deref().is_some_and(|f| f.contains("Register again")));
    atom_marketplace::register_scheme(app.handle()).expect("registered again");
    assert_eq!(atom_marketplace::check_link_handler().verdict, Verdict::Ok, "Register again fixes it");

    app.deep_link().unregister(SCHEME).expect("unregistered");
    assert_eq!(reg_query(&key(), None), None, "the key is gone");
    // A removed entry: no application opens the links.
    let found = atom_marketplace::check_link_handler();
    assert_eq!(found.verdict, Verdict::Problem, "{}", found.detail);
    assert!(found.detail.contains("no application"), "{}", found.detail);
    let _ = std::fs::remove_file(other);
}
