//! Every path and limit the client relies on, in one place. Items marked [chosen] are this project's
//! decisions where ATOM's public documentation is silent (see docs/api-contract.md).

/// Paths, relative to an environment's hosts.
pub mod paths {
    /// [guide] Production hosts.
    pub const PRODUCTION_AUTHORIZE: &str = "https://atomagentos.com/oauth/authorize";
    pub const PRODUCTION_TOKEN: &str = "https://api.atomagentos.com/oauth/token";
    /// [chosen] RFC 7009 revocation; a 404 there is tolerated.
    pub const PRODUCTION_REVOKE: &str = "https://api.atomagentos.com/oauth/revoke";
    pub const PRODUCTION_API: &str = "https://api.atomagentos.com";

    pub const AUTHORIZE: &str = "/oauth/authorize";
    pub const TOKEN: &str = "/oauth/token";
    pub const REVOKE: &str = "/oauth/revoke";

    /// [guide] Marketplace base, relative to the API host.
    pub const MARKETPLACE: &str = "/api/public/v1/marketplace";
    pub const SKILLS: &str = "skills";
    pub const CATEGORIES: &str = "categories";
    pub const SUBMIT: &str = "submit";
    /// (ours) Who the request's credential stands for: `{name, email?}`; the account list's names.
    pub const ME: &str = "me";

    pub fn skill(id: &str) -> String {
        format!("skills/{}", segment(id))
    }

    /// [chosen]
    pub fn rate(id: &str) -> String {
        format!("skills/{}/rate", segment(id))
    }

    /// [chosen]
    pub fn reviews(id: &str) -> String {
        format!("skills/{}/reviews", segment(id))
    }

    /// Percent-encodes an id or slug so that it stays one path segment.
    fn segment(s: &str) -> String {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    /// The desktop app's OAuth client and its redirect.
    pub const CLIENT_ID: &str = "atom-desktop";
    pub const REDIRECT_SCHEME: &str = "com.atomagentos.marketplace";
    pub const REDIRECT_HOST: &str = "oauth";
    pub const REDIRECT_PATH: &str = "/callback";
    /// RFC 8252 §7.3 loopback redirect path.
    pub const LOOPBACK_PATH: &str = "/oauth/callback";

    /// [guide] Scopes.
    pub const SCOPE_READ: &str = "marketplace:read";
    pub const SCOPE_WRITE: &str = "marketplace:write";
}

/// Limits, lifetimes and timings.
pub mod limits {
    use std::time::Duration;

    /// [guide] Requests per minute and per day, by credential.
    pub const ANON_PER_MINUTE: u32 = 60;
    pub const ANON_PER_DAY: u32 = 1_000;
    pub const API_KEY_PER_MINUTE: u32 = 300;
    pub const API_KEY_PER_DAY: u32 = 10_000;
    pub const OAUTH_PER_MINUTE: u32 = 600;
    pub const OAUTH_PER_DAY: u32 = 50_000;

    /// [guide] A sign-in must finish within the code's 10-minute life.
    pub const PENDING_LOGIN_TTL: Duration = Duration::from_secs(600);
    /// [guide] Access tokens last an hour when the server does not say.
    pub const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(3600);
    /// Refresh at 80 % of the lifetime or 5 minutes before expiry, whichever is earlier, but never
    /// before half of it has passed (`account/pacing.rs` has the whole rule).
    pub const REFRESH_AT_FRACTION: f64 = 0.8;
    pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);
    pub const REFRESH_NOT_BEFORE_FRACTION: f64 = 0.5;
    /// [chosen] The shortest lifetime the app plans refreshes for: below it a token is unusable.
    pub const MIN_USABLE_LIFETIME: Duration = Duration::from_secs(2);
    /// [chosen] How many round trips of its grant a usable token must outlive.
    pub const ROUND_TRIPS_PER_LIFETIME: u32 = 4;
    /// [chosen] Grants in a row that brought no usable token, after which a server's tokens are
    /// unusable.
    pub const MAX_WASTED_GRANTS: u32 = 3;
    /// [chosen] How long the app waits before asking a server whose tokens are unusable again.
    pub const UNUSABLE_PAUSE: Duration = Duration::from_secs(60);
    /// [chosen] Refreshes asked for before the token is due that go at once...
    pub const EARLY_REFRESH_BURST: f64 = 3.0;
    /// [chosen] ...and one more each this long (six a minute).
    pub const EARLY_REFRESH_REFILL: Duration = Duration::from_secs(10);
    /// The refresh task looks at the wall clock at least this often, which also catches a wake from sleep.
    pub const REFRESH_CHECK_INTERVAL: Duration = Duration::from_secs(30);
    /// How often a refresh token that only memory holds (the keystore failed) is written again.
    pub const STORE_RETRY_INTERVAL: Duration = Duration::from_secs(5);
    /// After a failed background refresh (network), wait this long, doubling up to the maximum.
    pub const REFRESH_RETRY_MIN: Duration = Duration::from_secs(2);
    pub const REFRESH_RETRY_MAX: Duration = Duration::from_secs(60);

    /// HTTP.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    /// [chosen] A download (an update: megabytes) has no total timeout; a read that waits this long
    /// for its next bytes ends it.
    pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
    /// [chosen] Redirects a download follows (a release host hands the file to its storage: one or two).
    pub const MAX_DOWNLOAD_REDIRECTS: usize = 5;
    /// [chosen] The largest update feed read (`latest.json`: versions, addresses, signatures and release
    /// notes; the notes are cut to 20,000 characters when shown), and how long reading it may take.
    pub const UPDATE_FEED_MAX: u64 = 4 * 1024 * 1024;
    pub const UPDATE_FEED_DEADLINE: Duration = Duration::from_secs(60);
    /// [chosen] The largest update package read (the app's packages are 4 to 10 MB), and how long
    /// downloading it may take (64 MiB at 40 KB/s).
    pub const UPDATE_PACKAGE_MAX: u64 = 64 * 1024 * 1024;
    pub const UPDATE_PACKAGE_DEADLINE: Duration = Duration::from_secs(30 * 60);
    /// [chosen] Largest reply body read; beyond it the reply is refused. The contract's largest reply, a
    /// page of 100 skills with every text at its longest and every character escaped as `\uXXXX`
    /// (100 × (100 + 500 + 10 × 32) characters × 6 bytes), is about 0.6 MB; a skill's detail with a
    /// 20,000-character description about 0.12 MB; a page of reviews 0.6 MB. A page is tens of KB.
    pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
    /// Idempotent GETs: attempts in all, and the first backoff (doubled each time, with jitter).
    pub const GET_ATTEMPTS: u32 = 3;
    pub const RETRY_BACKOFF: Duration = Duration::from_millis(250);
    /// The longest a GET waits on a 429's `Retry-After` (or the local limiter) before giving up.
    pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
    /// The longest wait a server can impose through `Retry-After` or `X-RateLimit-Reset`; larger values
    /// (a bug, or a hostile server) are clamped so that no credential is blocked for the session.
    pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(3600);
    /// An `X-RateLimit-Reset` below this (2001-09-09) is seconds from now, not a Unix time.
    pub const RESET_IS_UNIX_AFTER: u64 = 1_000_000_000;
    /// The longest a write waits on the local limiter; past it, the write reports `rate_limited`.
    pub const MAX_WRITE_WAIT: Duration = Duration::from_secs(2);

    /// A cached reply is served without asking the server this long after the server confirmed it.
    pub const CACHE_TTL: Duration = Duration::from_secs(30);
    /// While the server cannot be reached, it is asked again after this, then after twice as long
    /// each time, up to [`PROBE_MAX_WAIT`].
    pub const PROBE_FIRST_WAIT: Duration = Duration::from_secs(2);
    pub const PROBE_MAX_WAIT: Duration = Duration::from_secs(30);

    /// Keystore calls are bounded: a locked keystore must not freeze the app.
    pub const STORE_TIMEOUT: Duration = Duration::from_secs(3);
    /// [chosen] How long a keystore read at start-up that outlived [`STORE_TIMEOUT`] is still awaited:
    /// a user at the unlock prompt, typing the password.
    pub const UNLOCK_WAIT: Duration = Duration::from_secs(300);

    /// Callback URLs longer than this are refused before parsing.
    pub const MAX_CALLBACK_URL: usize = 8 * 1024;

    /// [chosen] Submit body, mirroring the server's rules.
    pub const NAME_MIN: usize = 3;
    pub const NAME_MAX: usize = 100;
    pub const DESCRIPTION_MIN: usize = 10;
    pub const DESCRIPTION_MAX: usize = 500;
    pub const LONG_DESCRIPTION_MAX: usize = 20_000;
    pub const TAGS_MAX: usize = 10;
    pub const TAG_MAX: usize = 32;
    pub const LICENSE_MAX: usize = 100;
    pub const URL_MAX: usize = 2048;
    pub const PRICE_MAX: f64 = 1_000_000.0;
    pub const REVIEW_MAX: usize = 1000;
    /// [chosen] The longest id or slug the client sends (a UUID is 36; a slug comes from a name of at most
    /// 100 characters).
    pub const SKILL_ID_MAX: usize = 200;
    /// [chosen] The longest link in the app's scheme that is read at all (a sign-in's callback, with its
    /// code, state and issuer, is far shorter).
    pub const APP_LINK_MAX: usize = 4096;
    /// A list page when the query names no size.
    pub const SKILLS_PAGE_DEFAULT: u32 = 50;
    pub const SKILLS_PAGE_MAX: u32 = 100;
    pub const REVIEWS_PAGE_MAX: u32 = 100;
}

/// Skill types the API knows.
pub const SKILL_TYPES: &[&str] = &["api", "function", "script", "docker", "container"];
