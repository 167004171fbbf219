//! The desktop's browser started through GIO (`opener::open_with_desktop`), against a desktop of the
//! test's own: its XDG folders hold handler entries for made-up schemes and a `mimeapps.list` that makes
//! them the defaults, as a desktop's settings do for `https`. One test, so that the folders are set
//! before GIO first reads them (it reads them once per process).
#![cfg(target_os = "linux")]

use std::path::Path;
use std::time::{Duration, Instant};

use atom_desktop::opener::open_with_desktop;

fn write_handler(dir: &Path, scheme: &str, script: &str) {
    let program = dir.join(format!("{scheme}.sh"));
    std::fs::write(&program, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&program, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        dir.join(format!("data/applications/atom-test-{scheme}.desktop")),
        format!(
            "[Desktop Entry]\nType=Application\nName=Handler of {scheme}\nExec={} %u\nNoDisplay=true\n\
             MimeType=x-scheme-handler/{scheme};\n",
            program.display()
        ),
    )
    .unwrap();
}

fn wait_for(file: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(file) {
            if text.ends_with('\n') {
                return text;
            }
        }
        assert!(Instant::now() < deadline, "{} was never written", file.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_desktops_handler_is_started_watched_and_told_when_it_fails() {
    let dir = std::env::temp_dir().join(format!("atom-gio-opener-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data/applications")).unwrap();
    std::fs::create_dir_all(dir.join("config")).unwrap();
    let seen = dir.join("seen");
    // A browser that takes the page and stays in the foreground (as one does when none was running).
    write_handler(
        &dir,
        "atomtestok",
        &format!("echo \"$1 $JSC_thresholdForJITSoon\" > {}.tmp; mv {0}.tmp {0}; sleep 5", seen.display()),
    );
    // A browser that refuses to run, saying why.
    write_handler(&dir, "atomtestfail", "echo 'cannot open display' >&2; exit 3");
    // A handler entry whose program is not there.
    std::fs::write(
        dir.join("data/applications/atom-test-atomtestgone.desktop"),
        "[Desktop Entry]\nType=Application\nName=Gone\nExec=/nonexistent/browser %u\nNoDisplay=true\n\
         MimeType=x-scheme-handler/atomtestgone;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("config/mimeapps.list"),
        "[Default Applications]\nx-scheme-handler/atomtestok=atom-test-atomtestok.desktop\n\
         x-scheme-handler/atomtestfail=atom-test-atomtestfail.desktop\n\
         x-scheme-handler/atomtestgone=atom-test-atomtestgone.desktop\n",
    )
    .unwrap();
    // Before any thread of this test process reads the environment or GIO its folders.
    std::env::set_var("XDG_DATA_HOME", dir.join("data"));
    std::env::set_var("XDG_CONFIG_HOME", dir.join("config"));
    std::env::set_var("XDG_DATA_DIRS", dir.join("none"));
    std::env::set_var("XDG_CONFIG_DIRS", dir.join("none"));
    // The app's own tuning of its engine, as the app sets it: not the browser's to inherit.
    atom_desktop::memory::tune_web_engine();

    let wait = Duration::from_millis(1500);
    let started = Instant::now();
    assert_eq!(open_with_desktop("atomtestok://sign-in?state=x", wait), Ok(()));
    assert!(started.elapsed() < Duration::from_secs(3), "a browser that runs on is not waited for");
    let line = wait_for(&seen);
    assert_eq!(line.trim_end(), "atomtestok://sign-in?state=x", "the page, and none of the app's tuning");

    let failed = open_with_desktop("atomtestfail://sign-in", wait).unwrap_err();
    assert!(failed.contains("Handler of atomtestfail") && failed.contains('3'), "{failed}");
    assert!(failed.contains("cannot open display"), "what it said is kept: {failed}");

    // GIO cannot start it: the openers are asked next, and say what they found (xdg-open has no handler
    // that works either, or is not installed).
    let gone = open_with_desktop("atomtestgone://sign-in", wait);
    assert!(gone.is_err(), "{gone:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
