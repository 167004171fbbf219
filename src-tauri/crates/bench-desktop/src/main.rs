//! The desktop benchmark (`scripts/bench-app.sh` builds everything and runs this in a desktop session).
//!
//! It measures the app against the floor, a Tauri app with the same plugins and an empty page, in one
//! run, alternating them, several times, and prints medians and ratios:
//! - the .deb and binary sizes;
//! - idle memory a few seconds after start: the proportional set size (PSS) of the app and every
//!   process under it (WebKit's web and network processes);
//! - launch → first paint: from asking tauri-driver for a session (which starts the binary) to the
//!   app's `first-page` mark (first catalogue page painted) or the floor's DOMContentLoaded;
//! - sign-in: click "Sign in with browser" → signed in, through the fake browser, the sandbox in
//!   auto-approve mode and the deep link (a second process, forwarded by single-instance);
//! - with 10,000 skills: typed search → results painted, and frame times while scrolling the whole list;
//! - launch → first page again with the catalogue cache warm: with the server answering, with the OS
//!   keystore not answering (its daemon stopped from before the launch until the page is painted), and
//!   with no server at all (offline), against a small sandbox of the run's own that is stopped for that.
//!
//! The app talks to a sandbox started here (not its embedded one, whose memory would count as the app's).

// It measures the Linux app (WebKitGTK's processes, PSS from /proc, the .deb) and stops the keystore's
// daemon with Unix signals and process groups: it is built for Unix only, so that the workspace builds
// and lints for Windows as a whole.
#[cfg(unix)]
mod bench;
#[cfg(unix)]
mod report;
#[cfg(unix)]
mod scripts;

#[cfg(unix)]
fn main() {
    bench::main()
}

#[cfg(not(unix))]
fn main() {
    eprintln!("bench-desktop measures the Linux desktop app; it does not run on this platform");
    std::process::exit(2);
}
