//! The ATOM Marketplace desktop app: the Tauri wiring. What the app does lives in `atom-core` (the
//! marketplace, accounts, sign-in) and `atom-desktop` (the keystores, the loopback listener, settings,
//! the scheme's entry: no window needed); this crate adds the window, its commands and events, the
//! plugins, the updater, the OS differences that need Tauri (`platform`) and the embedded sandbox.

#[macro_use]
mod command_list;

pub mod bindings;
pub mod boot;
pub mod commands;
pub mod embedded;
pub mod error;
pub mod links;
pub mod platform;
pub mod state;
#[cfg(test)]
mod structure;
#[cfg(test)]
mod tests {
    /// The identifier the Tauri-free parts use (the single-instance plugin's D-Bus name, say) is
    /// tauri.conf.json's.
    #[test]
    fn the_identifier_is_tauri_confs() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).expect("tauri.conf.json");
        assert_eq!(conf["identifier"].as_str(), Some(super::IDENTIFIER));
    }
}
mod test_hooks;
pub mod updates;

use tauri::Manager;
use tauri_plugin_deep_link::DeepLinkExt;

pub use atom_desktop::IDENTIFIER;
use atom_desktop::{args, logfile};
pub use platform::{check_link_handler, register_scheme};

use crate::state::{EnvChoice, Servers, Shell};

/// Every command the app defines, by name (what `build.rs` turns into permissions).
pub const COMMANDS: &[&str] = with_commands!(command_names);

fn init_logging(handle: &tauri::AppHandle) {
    use tracing_subscriber::fmt::writer::MakeWriterExt;
    // ATOM_LOG: a level ("debug") or per-target levels ("atom_core=debug,info").
    let filter: tracing_subscriber::filter::Targets = std::env::var("ATOM_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO));
    let file =
        handle.path().app_log_dir().ok().and_then(|dir| {
            logfile::LogFile::open(&dir.join("atom-marketplace.log"), logfile::MAX_BYTES).ok()
        });
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let fmt = tracing_subscriber::fmt::layer().with_ansi(false);
    let _ = match file {
        Some(f) => tracing_subscriber::registry()
            .with(fmt.with_writer(std::io::stderr.and(f)))
            .with(filter)
            .try_init(),
        None => tracing_subscriber::registry().with(fmt.with_writer(std::io::stderr)).with(filter).try_init(),
    };
}

/// Builds the HTTP client (which loads the OS's trust store, about 100 ms of CPU) on a thread of its
/// own from the first moment, while Tauri and GTK start on the main thread; at a low priority, so that
/// it never takes the CPU from the window and its web processes. The first request waits for it if it
/// must; a start that paints from the saved catalogue needs it only afterwards.
fn prewarm_http() {
    let _ = std::thread::Builder::new().name("trust-store".into()).spawn(|| {
        platform::lower_thread_priority();
        atom_core::http::prewarm();
    });
}

/// The window could not be made: say so where the user sees it, with the platform's likely cause
/// (`platform::WINDOW_FAILED_CAUSE`), and end, rather than panic in Tauri's setup and leave a process with no
/// window.
fn cannot_open_window(e: &tauri::Error) -> ! {
    let mut text = format!("ATOM Marketplace could not open its window ({e}).");
    if let Some(cause) = platform::WINDOW_FAILED_CAUSE {
        text = format!("{text}\n\n{cause}");
    }
    tracing::error!("{text}");
    eprintln!("{text}");
    platform::tell_window_failed(&text);
    std::process::exit(1)
}

pub fn run() {
    // A second start that only hands its link to the running app does that, and nothing else; then
    // what must come before any thread starts.
    if platform::prepare_process(&std::env::args().collect::<Vec<_>>()) == platform::Start::Forwarded {
        return;
    }
    prewarm_http();
    let args = args::Args::parse(std::env::args().skip(1), atom_core::contract::paths::REDIRECT_SCHEME);
    tauri::Builder::default()
        // First: a second process (the OS opening our link) hands its arguments to this one and exits.
        .plugin(tauri_plugin_single_instance::init(|handle, _argv, _cwd| {
            // With the deep-link feature, the URLs arrive through `on_open_url`; just come forward.
            links::focus_main_window(handle);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .setup(move |tauri_app| {
            let handle = tauri_app.handle().clone();
            init_logging(&handle);
            tauri_app.manage(Shell::new(handle.clone(), platform::keystore()));
            let updates = std::sync::Arc::new(updates::Updates::new(handle.clone()));
            tauri_app.manage(updates.clone());
            updates.start();
            let shell = handle.state::<Shell>();
            if args.sandbox && !embedded::INCLUDED {
                tracing::warn!(
                    "--sandbox: this build has no embedded sandbox (run atom-sandbox; --server URL)"
                );
            }
            let sandbox = args.sandbox && embedded::INCLUDED;
            let initial = if sandbox { EnvChoice::Sandbox } else { shell.first_choice() };

            // The environment opens now when that needs no server (ATOM, or a saved custom server), so
            // that the window paints its saved catalogue as it loads; the embedded sandbox and
            // `--server URL` (this run only, not remembered) open once their server answers.
            let opens_now = args.server.is_none() && initial != EnvChoice::Sandbox;
            let boot = if opens_now {
                let account = tauri::async_runtime::block_on(shell.open_first(initial.clone(), false));
                account.map(|account| {
                    let boot = boot::Boot::saved(shell.servers.view(&account), account.catalogue());
                    if boot.first_page.is_none() {
                        // A first run: ask for the first screen while the window is being made.
                        shell.prefetch_first_screen(&account);
                    }
                    boot
                })
            } else {
                None
            };
            if let Err(e) = links::build_main_window(tauri_app, boot.as_ref().map(boot::Boot::script)) {
                cannot_open_window(&e);
            }

            // Builds that no package or bundle registered register the URL scheme for this user.
            if platform::registers_scheme_itself() {
                if let Err(e) = register_scheme(&handle) {
                    tracing::warn!("could not register the URL scheme: {e}");
                }
            }
            let h = handle.clone();
            handle.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    let h = h.clone();
                    tauri::async_runtime::spawn(async move {
                        h.state::<Shell>().handle_link(url.to_string()).await
                    });
                }
            });

            // Nothing here blocks the first paint: the sandbox or the named server open in the background.
            let h = handle.clone();
            let cold_start_urls = args.urls.clone();
            let server = args.server.clone();
            tauri::async_runtime::spawn(async move {
                let shell = h.state::<Shell>();
                if !opens_now {
                    // `--server URL` is for this run: it is not remembered.
                    let (initial, remember) = match server {
                        Some(url) => (Servers::choice_for_server(&url).await, false),
                        None => (initial, sandbox),
                    };
                    if let Some(account) = shell.open_first(initial, remember).await {
                        shell.prefetch_first_screen(&account);
                    }
                }
                for url in cold_start_urls {
                    shell.handle_link(url).await;
                }
            });
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("ATOM Marketplace could not start: {e}");
            std::process::exit(1);
        });
}
