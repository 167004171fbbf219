//! Every path and limit of the contract, in one place, so that a correction is a one-line change.
//! Items marked [chosen] are our decisions where ATOM's public documentation is silent.

/// Paths served by the sandbox.
pub mod paths {
    pub const AUTHORIZE: &str = "/oauth/authorize";
    pub const TOKEN: &str = "/oauth/token";
    /// [chosen] RFC 7009 revocation.
    pub const REVOKE: &str = "/oauth/revoke";
    /// RFC 8414 authorization server metadata.
    pub const METADATA: &str = "/.well-known/oauth-authorization-server";

    /// Marketplace base, relative to the API host.
    pub const MARKETPLACE: &str = "/api/public/v1/marketplace";
    pub const SKILLS: &str = "/skills";
    pub const SKILL: &str = "/skills/{id}";
    pub const CATEGORIES: &str = "/categories";
    pub const SUBMIT: &str = "/submit";
    /// [chosen]
    pub const RATE: &str = "/skills/{id}/rate";
    /// [chosen]
    pub const REVIEWS: &str = "/skills/{id}/reviews";
    /// (ours) Who the credential stands for: a display name for the app's account list.
    pub const ME: &str = "/me";

    /// (ours) The app's update feed, for tests (`updates.rs`): `latest.json` in the folder given with
    /// `--updates-dir`, or 204 No Content when there is none.
    pub const UPDATE_FEED: &str = "/updates/latest.json";
    /// (ours) A file of that folder, for the feed to point at; `?cut=half` sends its first half and
    /// breaks the connection (a download cut off).
    pub const UPDATE_FILE: &str = "/updates/files/{name}";

    /// Test hooks, clearly apart from the API.
    pub const HOOKS: &str = "/__sandbox";
    pub const HOOK_STATS: &str = "/stats";
    pub const HOOK_RESET: &str = "/reset";
    pub const HOOK_FAULTS: &str = "/faults";
    /// Every access token issued so far expires now: the server stops taking them, whatever the client
    /// believes about their lifetime.
    pub const HOOK_EXPIRE_ACCESS_TOKENS: &str = "/expire-access-tokens";
}

/// Limits and lifetimes.
pub mod limits {
    /// [guide] Access tokens live one hour.
    pub const ACCESS_TOKEN_TTL_SECS: u64 = 3600;
    /// [chosen] Refresh tokens expire after 30 days without use (each rotation restarts the clock).
    pub const REFRESH_TOKEN_TTL_SECS: u64 = 30 * 24 * 3600;
    /// [guide] Authorization codes are usable for 10 minutes.
    pub const CODE_TTL_SECS: u64 = 600;
    /// [chosen] How long a consent page stays valid.
    pub const CONSENT_TTL_SECS: u64 = 600;
    /// RFC 7636: a S256 challenge is 43 base64url characters; verifiers are 43..=128 unreserved characters.
    pub const CODE_CHALLENGE_LEN: usize = 43;
    pub const CODE_VERIFIER_MIN: usize = 43;
    pub const CODE_VERIFIER_MAX: usize = 128;

    /// [guide] Requests per minute and per UTC day.
    pub const ANON_PER_MINUTE: u32 = 60;
    pub const ANON_PER_DAY: u32 = 1_000;
    pub const API_KEY_PER_MINUTE: u32 = 300;
    pub const API_KEY_PER_DAY: u32 = 10_000;
    pub const OAUTH_PER_MINUTE: u32 = 600;
    pub const OAUTH_PER_DAY: u32 = 50_000;

    /// [chosen] Largest request body, in bytes (413 beyond it).
    pub const MAX_BODY_BYTES: usize = 1024 * 1024;

    /// [chosen] `GET /skills` paging.
    pub const SKILLS_DEFAULT_LIMIT: u32 = 50;
    pub const SKILLS_MAX_LIMIT: u32 = 100;
    /// [chosen] `GET /skills/{id}/reviews` paging.
    pub const REVIEWS_DEFAULT_LIMIT: u32 = 20;
    pub const REVIEWS_MAX_LIMIT: u32 = 100;
    /// [chosen] Longest search query, in characters.
    pub const QUERY_MAX_CHARS: usize = 200;

    /// [chosen] Submit body.
    pub const NAME_MIN: usize = 3;
    pub const NAME_MAX: usize = 100;
    pub const DESCRIPTION_MIN: usize = 10;
    pub const DESCRIPTION_MAX: usize = 500;
    pub const LONG_DESCRIPTION_MAX: usize = 20_000;
    pub const TAGS_MAX: usize = 10;
    pub const TAG_MIN: usize = 1;
    pub const TAG_MAX: usize = 32;
    pub const LICENSE_MAX: usize = 100;
    pub const URL_MAX: usize = 2048;
    pub const VERSION_MAX: usize = 64;
    /// [chosen] Highest price, in USD.
    pub const PRICE_MAX: f64 = 1_000_000.0;

    /// [chosen] Ratings and reviews.
    pub const RATING_MIN: i64 = 1;
    pub const RATING_MAX: i64 = 5;
    pub const REVIEW_MAX: usize = 1000;

    /// Demo catalogue sizes.
    pub const DEMO_SKILLS_DEFAULT: usize = 300;
    pub const DEMO_SKILLS_MAX: usize = 10_000;
}

/// Skill types accepted by the API.
pub const SKILL_TYPES: &[&str] = &["api", "function", "script", "docker", "container"];

/// Sort orders of `GET /skills`; the first is the default.
pub const SORTS: &[&str] = &["popularity", "newest", "rating", "installs", "name"];

/// OAuth scopes [guide].
pub const SCOPE_READ: &str = "marketplace:read";
pub const SCOPE_WRITE: &str = "marketplace:write";
