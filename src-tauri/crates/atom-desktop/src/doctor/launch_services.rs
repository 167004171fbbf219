//! Which app macOS opens the app's links with: LaunchServices' answer (asked by the platform code,
//! `NSWorkspace.URLForApplicationToOpenURL`, in `src-tauri/src/platform/macos.rs`), compared with the
//! bundle this program runs from. macOS sends links only to app bundles it has seen, and when two copies
//! declare the scheme (an older one in Downloads, a new one in Applications) it picks one of them: the
//! judging is here, tested on every system.

use std::path::Path;

use super::{Finding, Verdict, LINK_HANDLER as CHECK};

/// What to do when the links open another copy or none.
const OPEN_THIS_COPY: &str = "Move ATOM Marketplace to Applications, remove any other copy (an older one in \
                              Downloads, for example), and open it once: macOS then registers its links. Until \
                              then, choose \"Sign in through 127.0.0.1 instead\".";

/// The app bundle a program runs from: the nearest folder above it whose name ends in `.app`.
pub fn bundle_of(exe: &Path) -> Option<&Path> {
    exe.ancestors().skip(1).find(|dir| dir.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("app")))
}

fn same_bundle(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.components().eq(b.components()),
    }
}

/// The finding for `handler`, the app LaunchServices opens `scheme` links with (`None`: none), and this
/// program at `exe`.
pub fn judge(scheme: &str, handler: Option<&Path>, exe: &Path) -> Finding {
    let Some(bundle) = bundle_of(exe) else {
        return Finding::new(
            CHECK,
            Verdict::Problem,
            format!(
                "this build is not an app bundle ({}), and macOS sends {scheme}:// links only to bundled apps",
                exe.display()
            ),
        )
        .with_fix(
            "Choose \"Sign in through 127.0.0.1 instead\", or run the bundled app (cargo tauri build makes it).",
        );
    };
    let Some(handler) = handler else {
        return Finding::new(CHECK, Verdict::Problem, format!("no application opens {scheme}:// links"))
            .with_fix(OPEN_THIS_COPY);
    };
    if same_bundle(handler, bundle) {
        return Finding::new(
            CHECK,
            Verdict::Ok,
            format!("{scheme}:// links open this app ({}, by LaunchServices)", bundle.display()),
        );
    }
    Finding::new(
        CHECK,
        Verdict::Problem,
        format!(
            "{scheme}:// links open another copy, {} (an older one, or another install), not this one ({})",
            handler.display(),
            bundle.display()
        ),
    )
    .with_fix(OPEN_THIS_COPY)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEME: &str = "com.atomagentos.marketplace";
    const EXE: &str = "/Applications/ATOM Marketplace.app/Contents/MacOS/atom-marketplace";

    #[test]
    fn the_bundle_is_the_nearest_app_folder_above_the_program() {
        assert_eq!(bundle_of(Path::new(EXE)), Some(Path::new("/Applications/ATOM Marketplace.app")));
        assert_eq!(bundle_of(Path::new("/Users/ada/src/atom/target/debug/atom-marketplace")), None);
    }

    #[test]
    fn this_bundle_another_copy_none_and_an_unbundled_build_are_told_apart() {
        let ok = judge(SCHEME, Some(Path::new("/Applications/ATOM Marketplace.app")), Path::new(EXE));
        assert_eq!(ok.verdict, Verdict::Ok, "{ok:?}");
        assert!(ok.fix.is_none());

        let other =
            judge(SCHEME, Some(Path::new("/Users/ada/Downloads/ATOM Marketplace.app")), Path::new(EXE));
        assert_eq!(other.verdict, Verdict::Problem);
        assert!(
            other.detail.contains("another copy, /Users/ada/Downloads/ATOM Marketplace.app"),
            "{}",
            other.detail
        );
        assert!(other.fix.unwrap().contains("remove any other copy"));

        let none = judge(SCHEME, None, Path::new(EXE));
        assert_eq!(none.verdict, Verdict::Problem);
        assert!(none.detail.starts_with("no application opens"), "{}", none.detail);

        let unbundled = judge(SCHEME, None, Path::new("/Users/ada/src/atom/target/debug/atom-marketplace"));
        assert_eq!(unbundled.verdict, Verdict::Problem);
        assert!(unbundled.detail.contains("not an app bundle"), "{}", unbundled.detail);
        assert!(unbundled.fix.unwrap().contains("127.0.0.1"));
    }
}
