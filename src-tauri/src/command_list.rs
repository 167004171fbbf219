// Every command the app defines, declared once: its arguments, its result and what it does. From this
// list come the `#[tauri::command]` functions and the invoke handler (`commands/mod.rs`), the TypeScript
// wrappers (`bindings.rs`) and the permission each command becomes (`build.rs`, which includes this file;
// there the lines are only read as tokens, never resolved).
//
// What a command does is one of:
// - `core |s| call`: an async call to the core, on the environment's session `s` (`?` turns its error
//   into the window's `ErrorInfo`); `core call` when no session is needed;
// - `now |s| value`: a value read at once from the session;
// - `shell`: real work in the shell, in the function of the same name in `commands/shell.rs`, which
//   takes the `AppHandle` and then the arguments.
//
// Adding a command: its line here, its core function, and a grant in `capabilities/default.json` if the
// window calls it; then `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings` writes its
// TypeScript.
macro_rules! with_commands {
    ($then:ident) => {
        $then! {
            app_info() -> AppInfo { shell }
            next_events(after: Option<u64>) -> EventBatch { shell }
            auth_state() -> AuthState { now |s| s.current_state() }
            sign_in_browser(method: SignInMethod) -> SignInStarted { shell }
            complete_sign_in(url: String) -> AuthState { shell }
            cancel_sign_in() -> () { shell }
            sign_in_api_key(key: String, scope: ApiKeyScope) -> AuthState {
                core |s| s.sign_in_with_api_key(&key, scope)
            }
            // Signs out of the active account (`sign_out_account` for another).
            sign_out() -> SignOutResult { shell }
            // Several accounts (`state/accounts.rs`): the list comes with `app_info` and the
            // `accounts` event.
            add_account() -> EnvironmentView { shell }
            switch_account(id: String) -> EnvironmentView { shell }
            sign_out_account(id: String) -> SignOutResult { shell }
            sign_out_all() -> SignOutResult { shell }
            // The name the user gives an account (empty: none; the server's name shows).
            rename_account(id: String, name: String) -> () { shell }
            switch_environment(choice: EnvChoice) -> EnvironmentView { shell }
            rate_limit_status() -> RateLimitStatus { now |s| s.rate_limits().borrow().clone() }
            // The reads take a `freshness`: `cache_first` paints at once from the saved catalogue (then
            // the window asks `live` when the reply is `stale`); `live` asks the server, and falls back on
            // the cache when it cannot be reached (`offline`).
            list_skills(query: SkillQuery, freshness: Freshness) -> Fetched<SkillPage> {
                core |s| s.skills_with(&query, freshness)
            }
            get_skill(id: String, freshness: Freshness) -> Fetched<SkillDetail> {
                core |s| s.skill_with(&id, freshness)
            }
            list_categories(freshness: Freshness) -> Fetched<Vec<Category>> {
                core |s| s.categories_with(freshness)
            }
            list_reviews(id: String, limit: u32, offset: u32, freshness: Freshness) -> Fetched<ReviewPage> {
                core |s| s.reviews_with(&id, limit, u64::from(offset), freshness)
            }
            submit_skill(submission: Submission) -> SubmitResult { core |s| s.submit(&submission) }
            rate_skill(id: String, rating: u8, review: Option<String>) -> RateResult {
                core |s| s.rate(&id, rating, review.as_deref())
            }
            post_review(id: String, rating: u8, review: String) -> Review {
                core |s| s.post_review(&id, rating, &review)
            }
            render_markdown(text: String) -> RenderedMarkdown { shell }
            // Reads a server's OAuth metadata from its address (RFC 8414, then OpenID Connect discovery),
            // for the custom-server form to fill in its endpoints.
            discover_server(address: String) -> ServerMetadata { core atom_core::discover(&address) }
            open_external(url: String) -> () { shell }
            // What the last link in the app's scheme asked the window to show, once (`state/opened.rs`).
            take_link() -> Option<OpenedLink> { shell }
            // The link to a skill's page in the app, for "Copy link".
            skill_link(id: String) -> String { shell }
            // Signed updates (`updates/mod.rs`): the state comes with `app_info` and the `update` event.
            check_for_updates() -> UpdateStatus { shell }
            install_update() -> UpdateStatus { shell }
            skip_update(version: String) -> () { shell }
            set_automatic_updates(on: bool) -> () { shell }
            dismiss_updated() -> () { shell }
        }
    };
}

/// The names alone, in the list's order.
macro_rules! command_names {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty { $($how:tt)* })*) => {
        &[$(stringify!($name)),*]
    };
}
