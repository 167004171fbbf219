// The app's commands by name, for `build.rs` (which turns them into `allow-…` permissions, so that
// the window may call only what `capabilities/` grants) and for the handler list in `lib.rs`, which a
// test keeps equal to this one. Included by `build.rs`: plain Rust, no `use`.

/// Every command the app defines.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "auth_state",
    "sign_in_browser",
    "complete_sign_in",
    "cancel_sign_in",
    "sign_in_api_key",
    "sign_out",
    "switch_environment",
    "rate_limit_status",
    "list_skills",
    "get_skill",
    "list_categories",
    "list_reviews",
    "submit_skill",
    "rate_skill",
    "post_review",
    "render_markdown",
    "discover_server",
    "open_external",
];
