// Every command the app defines, declared once, with its arguments and its result. From this list come
// the invoke handler (`lib.rs`), the TypeScript wrappers (`bindings.rs`) and the permission each command
// becomes (`build.rs`, which includes this file; there the types are only read as tokens, never
// resolved). A test checks each line against the function in `commands.rs`.
//
// Adding a command: write it in `commands.rs`, add its line here, grant it in `capabilities/` if the
// window calls it, and regenerate the bindings (`UPDATE_BINDINGS=1 cargo test -p atom-marketplace
// bindings`).
macro_rules! with_commands {
    ($then:ident) => {
        $then! {
            app_info() -> AppInfo;
            next_events(after: Option<u64>) -> EventBatch;
            auth_state() -> AuthState;
            sign_in_browser(method: SignInMethod) -> SignInStarted;
            complete_sign_in(url: String) -> AuthState;
            cancel_sign_in() -> ();
            sign_in_api_key(key: String, scope: ApiKeyScope) -> AuthState;
            sign_out() -> SignOutResult;
            switch_environment(choice: EnvChoice) -> EnvironmentView;
            rate_limit_status() -> RateLimitStatus;
            list_skills(query: SkillQuery, freshness: Freshness) -> Fetched<SkillPage>;
            get_skill(id: String, freshness: Freshness) -> Fetched<SkillDetail>;
            list_categories(freshness: Freshness) -> Fetched<Vec<Category>>;
            list_reviews(id: String, limit: u32, offset: u32, freshness: Freshness) -> Fetched<ReviewPage>;
            submit_skill(submission: Submission) -> SubmitResult;
            rate_skill(id: String, rating: u8, review: Option<String>) -> RateResult;
            post_review(id: String, rating: u8, review: String) -> Review;
            render_markdown(text: String) -> RenderedMarkdown;
            discover_server(address: String) -> ServerMetadata;
            open_external(url: String) -> ();
        }
    };
}

/// The names alone, in the list's order.
macro_rules! command_names {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        &[$(stringify!($name)),*]
    };
}
