//! The desktop scenarios, in one test binary: the real app (debug build, front end embedded) driven
//! through WebDriver (tauri-driver + WebKitWebDriver), in a desktop session with the real Secret Service,
//! deep links between two processes and real browsers. Each screen is driven through its page object
//! (`pages/`), which names the screen's test ids once.
//!
//! They need that session, so they are `#[ignore]`d by a plain `cargo test`; `scripts/test.sh` provides
//! it and runs them with `--include-ignored`, all but `installed::`, which `scripts/test-installed.sh`
//! runs against the installed package.
// The Linux desktop (WebKitGTK's WebDriver, Xvfb, the Secret Service, xdg-open): not built elsewhere.
#![cfg(target_os = "linux")]

mod pages;
mod support;

mod a11y;
mod accounts;
mod doctor;
mod gui;
mod hardening;
mod identity;
mod installed;
mod links;
mod offline;
mod openers;
mod signin;
mod updates;
