//! The ATOM Marketplace desktop app: Tauri wiring only. Behaviour lives in `atom-core`; this crate
//! adds the plugins, the OS keystore, the loopback listener, the commands and the embedded sandbox.

#[macro_use]
mod command_list;

pub mod args;
pub mod bindings;
pub mod boot;
pub mod commands;
#[cfg(target_os = "linux")]
pub mod desktop_proxy;
pub mod embedded;
pub mod keystore;
pub mod links;
pub mod logfile;
pub mod loopback;
pub mod memory;
pub mod outbox;
#[cfg(target_os = "linux")]
pub mod scheme;
pub mod state;
#[cfg(test)]
mod structure;
pub mod updates;

use std::sync::Arc;

use tauri::Manager;
use tauri_plugin_deep_link::DeepLinkExt;

use crate::state::{EnvChoice, Environments, Shell};

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

/// Makes this executable the handler of the app's URL scheme for the user. On Linux the entry is
/// written by `scheme.rs`, which every opener can read (the plugin's quoted `Exec` defeats the generic
/// `xdg-open`); on Windows the deep-link plugin writes the user's registry
/// (`HKCU\Software\Classes\<scheme>`, tested in `tests/windows_scheme.rs`).
#[cfg(any(target_os = "linux", windows))]
pub fn register_scheme<R: tauri::Runtime>(handle: &tauri::AppHandle<R>) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        let _ = handle;
        let program = std::env::var_os("APPIMAGE")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::current_exe().ok());
        match (program, scheme::xdg_homes()) {
            (Some(exe), Some((data, config))) => scheme::register(
                "ATOM Marketplace",
                &exe,
                atom_core::contract::paths::REDIRECT_SCHEME,
                &data,
                &config,
            )
            .map(|_| ())
            .map_err(|e| e.to_string()),
            _ => Err("no home folder".into()),
        }
    }
    #[cfg(windows)]
    {
        handle.deep_link().register_all().map_err(|e| e.to_string())
    }
}

/// Whether this executable was installed by a system package (a .deb or .rpm puts it under /usr).
#[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
fn installed_by_package() -> bool {
    std::env::current_exe().is_ok_and(|exe| exe.starts_with("/usr/") || exe.starts_with("/opt/"))
}

/// Builds the HTTP client (which loads the OS's trust store, about 100 ms of CPU) on a thread of its
/// own from the first moment, while Tauri and GTK start on the main thread; at a low priority, so that
/// it never takes the CPU from the window and its web processes. The first request waits for it if it
/// must; a start that paints from the saved catalogue needs it only afterwards.
fn prewarm_http() {
    let _ = std::thread::Builder::new().name("trust-store".into()).spawn(|| {
        #[cfg(target_os = "linux")]
        // SAFETY: setpriority on the calling thread (Linux threads have their own nice value).
        unsafe {
            let _ = libc::setpriority(libc::PRIO_PROCESS, 0, 10);
        }
        atom_core::http::prewarm();
    });
}

/// The window could not be made. On Windows that is nearly always a missing WebView2 runtime (Windows
/// 11 has it and the installers bring it; a copied `.exe` on an older Windows may not): say so where
/// the user sees it and end, rather than panic in Tauri's setup and leave a process with no window.
fn cannot_open_window(e: &tauri::Error) -> ! {
    let text = if cfg!(windows) {
        format!(
            "ATOM Marketplace could not open its window ({e}).\n\nIt needs the Microsoft Edge WebView2 \
             Runtime. Install it from https://developer.microsoft.com/microsoft-edge/webview2/ and start \
             the app again."
        )
    } else {
        format!("ATOM Marketplace could not open its window ({e}).")
    };
    tracing::error!("{text}");
    eprintln!("{text}");
    #[cfg(windows)]
    {
        use windows_sys::Win32::UI::WindowsAndMessaging::{MessageBoxW, MB_ICONERROR, MB_OK};
        let wide = |s: &str| s.encode_utf16().chain(Some(0)).collect::<Vec<u16>>();
        let (body, title) = (wide(&text), wide("ATOM Marketplace"));
        // SAFETY: both strings are NUL-terminated UTF-16 that outlive the call; no owner window.
        unsafe { MessageBoxW(std::ptr::null_mut(), body.as_ptr(), title.as_ptr(), MB_OK | MB_ICONERROR) };
    }
    std::process::exit(1)
}

pub fn run() {
    // Before any thread starts: it sets the environment the web processes inherit.
    memory::tune_web_engine();
    // Before the HTTP client is built.
    #[cfg(target_os = "linux")]
    desktop_proxy::install();
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
            let store: Arc<dyn atom_core::SecretStore> = if !keystore::OsKeystore::is_supported() {
                // No OS store on this platform: say so, keep secrets in memory for this session, and
                // show it on the Account page.
                tracing::error!("this build has no native keystore; secrets are kept for this session only");
                Arc::new(atom_core::MemoryStore::default())
            } else {
                Arc::new(keystore::OsKeystore)
            };
            tauri_app.manage(Shell::new(handle.clone(), store));
            let updates = Arc::new(updates::Updates::new(handle.clone()));
            tauri_app.manage(updates.clone());
            updates.start();
            let shell = handle.state::<Shell>();
            if args.sandbox && !embedded::INCLUDED {
                tracing::warn!(
                    "--sandbox: this build has no embedded sandbox (run atom-sandbox; --server URL)"
                );
            }
            let sandbox = args.sandbox && embedded::INCLUDED;
            let initial = if sandbox {
                EnvChoice::Sandbox
            } else {
                shell.accounts.active_choice().unwrap_or(EnvChoice::Production)
            };

            // The environment opens now when that needs no server (ATOM, or a saved custom server), so
            // that the window paints its saved catalogue as it loads; the embedded sandbox and
            // `--server URL` (this run only, not remembered) open once their server answers.
            let opens_now = args.server.is_none() && initial != EnvChoice::Sandbox;
            let boot = if opens_now {
                let account = tauri::async_runtime::block_on(shell.open_first(initial.clone(), false));
                account.map(|account| {
                    let boot = boot::Boot::saved(shell.environments.view(&account), account.catalogue());
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

            // Development builds and AppImages register the URL scheme for this user; packages (even a
            // debug one) do it at install time, and their own .desktop entry must stay the handler.
            #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
            if (cfg!(debug_assertions) && !installed_by_package()) || std::env::var_os("APPIMAGE").is_some() {
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
                        Some(url) => (Environments::choice_for_server(&url).await, false),
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
