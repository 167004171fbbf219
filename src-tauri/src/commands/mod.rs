//! The command layer: the functions the window invokes, written by [`with_commands`] from the command
//! list (`command_list.rs`). Each calls the core or a function of [`shell`] and hands errors to the
//! window as `{code, message, hint, fields}`. Their TypeScript twins are generated (`bindings.rs`).

pub mod shell;

use atom_core::markdown::RenderedMarkdown;
use atom_core::{
    ApiKeyScope, AuthState, Category, CustomEnvironment, ErrorInfo, Fetched, Freshness, RateLimitStatus,
    RateResult, Review, ReviewPage, ServerMetadata, SkillDetail, SkillPage, SkillQuery, Submission,
    SubmitResult,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager};
use ts_rs::TS;

use crate::state::{EnvChoice, EnvironmentView, KeystoreStatus, OpenedLink, Shell};
use crate::updates::{UpdateInfo, UpdateStatus};
use atom_desktop::doctor::Finding;
use atom_desktop::outbox::EventBatch;

type Result<T> = std::result::Result<T, ErrorInfo>;

#[derive(Clone, Debug, Serialize, TS)]
pub struct AppInfo {
    pub version: String,
    pub environment: EnvironmentView,
    /// The active account's server, as chosen.
    pub choice: Option<EnvChoice>,
    /// The embedded sandbox's address, when it runs.
    pub sandbox_url: Option<String>,
    /// Whether this build has the embedded sandbox (development builds; not the packages).
    pub has_sandbox: bool,
    /// A sign-in problem that happened before the window was listening (a cold start with a link).
    pub pending_error: Option<ErrorInfo>,
    /// Whether the OS keystore could be used at start-up.
    pub keystore: KeystoreStatus,
    /// Whether the server answered the last request (`false`: browsing the saved catalogue).
    pub online: bool,
    /// Every account with its state, and the active one (`state/accounts.rs`).
    pub accounts: crate::state::AccountsView,
    /// The running version, how it was installed, and where an update stands.
    pub updates: UpdateInfo,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    /// The `com.atomagentos.marketplace://` link, opened by the OS.
    DeepLink,
    /// A one-shot listener on 127.0.0.1 (for when the link does not reach the app).
    Loopback,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct SignInStarted {
    pub method: SignInMethod,
    /// The page opened in the browser; shown so that the user can open it by hand.
    pub authorize_url: String,
    /// Whether the system browser could be started.
    pub opened: bool,
}

/// What "Check sign-in" found: each check's finding, the report to copy (every secret taken out), and
/// whether "Register again" can fix the link handler on this system.
#[derive(Clone, Debug, Serialize, TS)]
pub struct SignInCheck {
    pub findings: Vec<Finding>,
    pub report: String,
    pub can_register: bool,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct SignOutResult {
    /// Signed out locally in any case; set when the server could not be told.
    pub warning: Option<ErrorInfo>,
}

/// One `#[tauri::command]` per line of the command list, and [`handler`], the invoke handler of them
/// all. The functions are private: the window reaches them through the handler only.
macro_rules! define_commands {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty { $($how:tt)* })*) => {
        $(
            #[tauri::command]
            async fn $name(handle: AppHandle, $($arg: $ty),*) -> Result<$ret> {
                command_body!(handle, $name($($arg),*) $($how)*)
            }
        )*

        /// The invoke handler of every command of the list.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }
    };
}

/// What one command does, by its kind in the list.
macro_rules! command_body {
    ($handle:ident, $name:ident($($arg:ident),*) shell) => {
        shell::$name(&$handle, $($arg),*).await
    };
    ($handle:ident, $name:ident($($arg:ident),*) core |$s:ident| $call:expr) => {{
        let $s = $handle.state::<Shell>().account().await;
        Ok($call.await?)
    }};
    ($handle:ident, $name:ident($($arg:ident),*) write $account:ident |$a:ident| $call:expr) => {{
        crate::test_hooks::hold(stringify!($name)).await;
        let $a = $handle.state::<Shell>().signed_in_account(&$account)?;
        Ok($call.await?)
    }};
    ($handle:ident, $name:ident($($arg:ident),*) with $account:ident |$a:ident| $call:expr) => {{
        let $a = $handle.state::<Shell>().account_for(&$account).await?;
        Ok($call.await?)
    }};
    ($handle:ident, $name:ident($($arg:ident),*) core $call:expr) => {{
        let _ = $handle;
        Ok($call.await?)
    }};
    ($handle:ident, $name:ident($($arg:ident),*) now |$s:ident| $value:expr) => {{
        let $s = $handle.state::<Shell>().account().await;
        Ok($value)
    }};
}

with_commands!(define_commands);
