// Every command the app defines, declared once: its arguments, its result and what it does. From this
// list come the `#[tauri::command]` functions and the invoke handler (`commands/mod.rs`), the TypeScript
// wrappers (`bindings.rs`) and the permission each command becomes (`build.rs`, which includes this file;
// there the lines are only read as tokens, never resolved).
//
// What a command does is one of:
// - `core |s| call`: an async call to the core on the active account `s` (reads of the catalogue; `?`
//   turns its error into the window's `ErrorInfo`); `core call` when no account is needed;
// - `write account |a| call`: a write made as the account the window named (its `account` argument),
//   which must still be in the app and signed in, else the write is refused and nothing is sent;
// - `with account |a| call`: a call on the account the window named, opened if it was not (signing it
//   in);
// - `now |s| value`: a value read at once from the active account;
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
            // Signing in and out: each names the account (the id of the row or page the window shows).
            sign_in_browser(account: String, method: SignInMethod) -> SignInStarted { shell }
            complete_sign_in(url: String) -> AuthState { shell }
            cancel_sign_in(account: String) -> () { shell }
            sign_in_api_key(account: String, key: String, scope: ApiKeyScope) -> AuthState {
                with account |a| a.sign_in_with_api_key(&key, scope)
            }
            // Several accounts (`state/accounts.rs`): the list comes with `app_info` and the
            // `accounts` event.
            add_account() -> EnvironmentView { shell }
            switch_account(id: String) -> EnvironmentView { shell }
            sign_out_account(id: String) -> SignOutResult { shell }
            // Signs out of the account (where it can be) and takes it off the list.
            remove_account(id: String) -> SignOutResult { shell }
            sign_out_all() -> SignOutResult { shell }
            // The name the user gives an account (empty: none; the server's name shows).
            rename_account(id: String, name: String) -> () { shell }
            switch_environment(choice: EnvChoice) -> EnvironmentView { shell }
            rate_limit_status() -> RateLimitStatus { now |s| s.rate_limits().borrow().clone() }
            // The reads take a `freshness`: `cache_first` paints at once from the saved catalogue (then
            // the window asks `live` when the reply is `stale`); `live` asks the server, and falls back on
            // the cache when it cannot be reached (`offline`).
            list_skills(query: SkillQuery, freshness: Freshness) -> Fetched<SkillPage> {
                core |s| s.catalogue().skills_with(&s, &query, freshness)
            }
            get_skill(id: String, freshness: Freshness) -> Fetched<SkillDetail> {
                core |s| s.catalogue().skill_with(&s, &id, freshness)
            }
            list_categories(freshness: Freshness) -> Fetched<Vec<Category>> {
                core |s| s.catalogue().categories_with(&s, freshness)
            }
            list_reviews(id: String, limit: u32, offset: u32, freshness: Freshness) -> Fetched<ReviewPage> {
                core |s| s.catalogue().reviews_with(&s, &id, limit, u64::from(offset), freshness)
            }
            // Writes, as the account beside the button ("as …").
            submit_skill(account: String, submission: Submission) -> SubmitResult {
                write account |a| a.submit(&submission)
            }
            rate_skill(account: String, id: String, rating: u8, review: Option<String>) -> RateResult {
                write account |a| a.rate(&id, rating, review.as_deref())
            }
            post_review(account: String, id: String, rating: u8, review: String) -> Review {
                write account |a| a.post_review(&id, rating, &review)
            }
            render_markdown(text: String) -> RenderedMarkdown { shell }
            // Reads a server's OAuth metadata from its address (RFC 8414, then OpenID Connect discovery),
            // for the custom-server form to fill in its endpoints.
            discover_server(address: String) -> ServerMetadata { core atom_core::discover(&address) }
            // The redirect URIs the app will use with a custom server, for its administrator to
            // register (a server known without an issuer has its own: docs/security.md, mix-up).
            server_redirects(settings: CustomEnvironment) -> Vec<String> { shell }
            open_external(url: String) -> () { shell }
            // What the last link in the app's scheme asked the window to show, once (`state/opened.rs`).
            take_link() -> Option<OpenedLink> { shell }
            // The link to a skill's page in the app, for "Copy link".
            skill_link(id: String) -> String { shell }
            // Signed updates (`updates/mod.rs`): the state comes with `app_info` and the `update` event.
            // The sign-in doctor ("Check sign-in" on the Account page): its checks and the report to copy;
            // "Register again" makes this app the link handler, then checks again.
            check_sign_in() -> SignInCheck { shell }
            register_link_handler() -> SignInCheck { shell }
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
