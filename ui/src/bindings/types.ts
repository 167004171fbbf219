// Generated from the Rust sources by src-tauri/src/bindings.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings` after changing a command or a type.

export type AccountView = { id: string, 
/**
 * The name the user gave it, if any (shown first).
 */
label: string | null, name: string | null, email: string | null, 
/**
 * Its server's name ("ATOM", "Sandbox", a custom server's), as the core names it.
 */
environment: string, environment_kind: EnvironmentKind, auth: AuthState, active: boolean, 
/**
 * Its server's first account (the one versions before several accounts signed in).
 */
first: boolean, };

export type AccountsView = { 
/**
 * The active account's id (`None` only before start-up chose one).
 */
active: string | null, accounts: Array<AccountView>, };

export type ApiKeyScope = "read" | "read_write";

export type AppInfo = { version: string, environment: EnvironmentView, 
/**
 * The active account's server, as chosen.
 */
choice: EnvChoice | null, 
/**
 * The embedded sandbox's address, when it runs.
 */
sandbox_url: string | null, 
/**
 * Whether this build has the embedded sandbox (development builds; not the packages).
 */
has_sandbox: boolean, 
/**
 * A sign-in problem that happened before the window was listening (a cold start with a link).
 */
pending_error: ErrorInfo | null, 
/**
 * Whether the OS keystore could be used at start-up.
 */
keystore: KeystoreStatus, 
/**
 * Whether the server answered the last request (`false`: browsing the saved catalogue).
 */
online: boolean, 
/**
 * Every account with its state, and the active one (`state/accounts.rs`).
 */
accounts: AccountsView, 
/**
 * The running version, how it was installed, and where an update stands.
 */
updates: UpdateInfo, };

export type AuthMethod = "browser" | "api_key";

export type AuthState = { "state": "signed_out" } | { "state": "signed_in" } & SignedIn | { "state": "refreshing" } & SignedIn | { "state": "needs_reauth", reason: ErrorInfo, };

export type Author = { 
/**
 * Cleaned as every shown name is (`text.rs`); none: empty.
 */
name: string, };

export type Boot = { environment: EnvironmentView, 
/**
 * The saved reply to the list's first query, when there is one.
 */
first_page: BootPage | null, categories: Fetched<Array<Category>> | null, };

export type BootPage = { query: SkillQuery, page: Fetched<SkillPage>, };

export type Category = { slug: string, name: string, description: string, skill_count: number, };

export type Connectivity = boolean;

export type CredentialKind = "anonymous" | "api_key" | "o_auth";

export type CustomEnvironment = { name: string, 
/**
 * The API host; the marketplace lives at `{api_base}/api/public/v1/marketplace`.
 */
api_base: string, 
/**
 * The authorization server's issuer identifier (RFC 8414), when known: discovery fills it. A
 * callback's `iss` must then equal it (RFC 9207).
 */
issuer: string | null, authorize_url: string, token_url: string, 
/**
 * RFC 7009 revocation. Without one, sign-out cannot tell the server, and says so.
 */
revoke_url: string | null, 
/**
 * A desktop app is a public client (RFC 8252 §8.5): it has a client ID and no secret, so the
 * settings a user types in have no secret either (nothing to lose on restart, nothing to leak).
 */
client_id: string, 
/**
 * Defaults to `com.atomagentos.marketplace`.
 */
redirect_scheme: string | null, token_encoding: TokenEncoding, 
/**
 * The scopes to ask for, space-separated; the marketplace's two by default.
 */
scopes: string | null, 
/**
 * The server says its authorization responses carry `iss` (RFC 9207): a callback without it is
 * then refused.
 */
iss_parameter_supported: boolean, 
/**
 * An OpenID Connect server's signing keys (its discovery's `jwks_uri`): with `openid` among the
 * scopes, the ID token that comes with a sign-in is verified against them and names the account.
 */
jwks_uri: string | null, };

export type EnvChoice = { "kind": "production" } | { "kind": "sandbox" } | { "kind": "custom", settings: CustomEnvironment, };

export type EnvironmentKind = "production" | "sandbox" | "custom";

export type EnvironmentView = { kind: EnvironmentKind, name: string, api_base: string, 
/**
 * Where the secrets are kept ("Secret Service", …).
 */
keystore: string, };

export type ErrorCode = "invalid_api_key" | "token_invalid" | "token_expired" | "insufficient_scope" | "not_found" | "conflict" | "validation" | "rate_limited" | "too_large" | "server_error" | "api_error" | "auth_required" | "token_encoding" | "invalid_grant" | "invalid_client" | "invalid_scope" | "oauth_error" | "network" | "certificate" | "proxy" | "timeout" | "bad_response" | "callback_rejected" | "sign_in_cancelled" | "keystore_unavailable" | "needs_reauth" | "session_expired" | "tokens_unusable" | "not_revoked" | "discovery_failed" | "config" | "browser_not_started" | "unsupported_link" | "bad_link" | "no_such_account" | "account_in_use" | "loopback_unavailable" | "sandbox_unavailable" | "settings_unreadable" | "update_offline" | "update_feed" | "update_no_package" | "update_refused" | "update_broken" | "update_install" | "update_unavailable" | "internal";

export type ErrorInfo = { code: ErrorCode, message: string, hint: string, fields?: { [key in string]: string }, retry_after_secs?: number, request_id?: string, };

export type EventBatch = { 
/**
 * The events after the one asked about, oldest first.
 */
events: Array<PushedEvent>, 
/**
 * The number to ask after next time.
 */
latest: number, 
/**
 * Some events after the one asked about are no longer kept: the window asks for a new snapshot.
 */
missed: boolean, };

export type Fetched<T> = { data: T, 
/**
 * Not confirmed by the server just now: saved `age_secs` ago.
 */
stale: boolean, age_secs: number, 
/**
 * Served from the cache because the server could not be reached.
 */
offline: boolean, 
/**
 * Worked out from the saved pages (a search or filter while offline), not a reply to this query.
 */
from_saved_pages: boolean, };

export type Finding = { 
/**
 * What was checked ("Link handler").
 */
check: string, verdict: Verdict, 
/**
 * What was found.
 */
detail: string, 
/**
 * What to do, when there is something to do.
 */
fix: string | null, };

export type Freshness = "live" | "cache_first";

export type InstallKind = { "kind": "development" } | { "kind": "package", format: string, } | { "kind": "managed", by: string, };

export type KeystoreStatus = { available: boolean, 
/**
 * What the keystore library said, for the technical details.
 */
detail: string | null, };

export type MetadataSource = "o_auth" | "open_id";

export type Offer = { version: string, 
/**
 * The version running now.
 */
current: string, 
/**
 * The release notes, rendered by the app's safe Markdown renderer (`html: None`: show `notes`).
 */
rendered: RenderedMarkdown | null, 
/**
 * The notes as the feed wrote them (at most the renderer's limit), for when rendering gave up.
 */
notes: string | null, 
/**
 * When it was published (RFC 3339), if the feed says.
 */
date: string | null, };

export type OpenedLink = { "kind": "skill", id: string, } | { "kind": "refused", error: ErrorInfo, };

export type PriceFilter = "free" | "paid";

export type Progress = { done: number, total: number | null, };

export type PushedEvent = { seq: number, name: string, payload: unknown, };

export type RateLimitStatus = { credential: CredentialKind | null, limit: number | null, remaining: number | null, 
/**
 * Unix seconds.
 */
reset_at: number | null, 
/**
 * Set while a request waits for the limit (after a 429 or on the local limiter).
 */
waiting_secs: number | null, };

export type RateLimits = RateLimitStatus;

export type RateResult = { success: boolean, 
/**
 * `created` or `updated`.
 */
action: string, average_rating: number, rating_count: number, };

export type RenderedMarkdown = { 
/**
 * Sanitised HTML, or `None` when rendering gave up (over its time budget): show the text as it is.
 */
html: string | null, 
/**
 * The input was longer than the contract allows, and only its first part was rendered.
 */
truncated: boolean, };

export type Review = { id: string, skill_id: string, rating: number, review: string, author_name: string, created_at: string | null, updated_at: string | null, };

export type ReviewPage = { reviews: Array<Review>, total: number, limit: number, offset: number, has_more: boolean, };

export type ServerMetadata = { issuer: string, authorization_endpoint: string, token_endpoint: string, revocation_endpoint: string | null, 
/**
 * An OpenID Connect server's signing keys (`jwks_uri`), for its ID tokens.
 */
jwks_uri: string | null, scopes_supported: Array<string>, code_challenge_methods_supported: Array<string>, authorization_response_iss_parameter_supported: boolean, source: MetadataSource, };

export type SignInCheck = { findings: Array<Finding>, report: string, can_register: boolean, };

export type SignInMethod = "deep_link" | "loopback";

export type SignInProblem = ErrorInfo;

export type SignInStarted = { method: SignInMethod, 
/**
 * The page opened in the browser; shown so that the user can open it by hand.
 */
authorize_url: string, 
/**
 * Whether the system browser could be started.
 */
opened: boolean, };

export type SignOutResult = { 
/**
 * Signed out locally in any case; set when the server could not be told.
 */
warning: ErrorInfo | null, };

export type SignedIn = { method: AuthMethod, 
/**
 * OAuth scopes, or the API key's declared scope.
 */
scopes: Array<string>, can_write: boolean, 
/**
 * `atom_pub_…0002` for an API key.
 */
key_hint: string | null, 
/**
 * `false` when the keystore could not keep the secret: signed in until the app closes.
 */
persisted: boolean, 
/**
 * What the keystore said when it could not keep the secret, for the technical details.
 */
keystore_error: string | null, 
/**
 * The keystore refused the secret for good (rather than being locked or away): unlocking it will
 * not help, and the app does not ask it again until it has a new secret to keep.
 */
keystore_refused: boolean, 
/**
 * `false` when the server issued no refresh token: the sign-in ends when the access token expires.
 */
renewable: boolean, 
/**
 * When the access token expires (Unix seconds), for OAuth.
 */
expires_at: number | null, };

export type Skill = { id: string, slug: string, name: string, description: string, category: string, tags: Array<string>, type: string, price: number, is_free: boolean, rating: number, rating_count: number, installs: number, };

export type SkillDetail = { long_description: string, version: string, author: Author, license: string | null, repository_url: string | null, documentation_url: string | null, is_featured: boolean, created_at: string | null, updated_at: string | null, 
/**
 * `published` or `pending_review` (the sandbox's; absent elsewhere).
 */
status: string | null, 
/**
 * Star → count, when the server gives it.
 */
rating_distribution: Record<string, number>, id: string, slug: string, name: string, description: string, category: string, tags: Array<string>, type: string, price: number, is_free: boolean, rating: number, rating_count: number, installs: number, };

export type SkillPage = { skills: Array<Skill>, total: number, limit: number, offset: number, has_more: boolean, };

export type SkillQuery = { query: string, category: string | null, tags: Array<string>, type: string | null, price: PriceFilter | null, sort: SkillSort, limit: number | null, offset: number, };

export type SkillSort = "popularity" | "newest" | "rating" | "installs" | "name";

export type Submission = { name: string, description: string, long_description: string, category: string, type: string, version: string, tags: Array<string>, price: number, license: string | null, repository_url: string | null, documentation_url: string | null, config: Record<string, unknown> | null, };

export type SubmitResult = { success: boolean, skill_id: string, slug: string, status: string, };

export type TokenEncoding = "json" | "form";

export type UpdateInfo = { 
/**
 * The version running (the package's).
 */
version: string, kind: InstallKind, 
/**
 * Automatic checks.
 */
automatic: boolean, status: UpdateStatus, 
/**
 * The version skipped by the user, not offered again.
 */
skipped: string | null, 
/**
 * Set after an update until the user closes the notice: the version it came from.
 */
updated_from: string | null, };

export type UpdateStatus = { "state": "idle" } | { "state": "checking" } | { "state": "up_to_date" } | { "state": "available", offer: Offer, } | { "state": "downloading", offer: Offer, progress: Progress, } | { "state": "installing", offer: Offer, } | { "state": "restarting", offer: Offer, } | { "state": "failed", offer: Offer | null, problem: ErrorInfo, } | { "state": "managed", by: string, } | { "state": "unavailable", reason: string, };

export type Verdict = "ok" | "warning" | "problem" | "not_checked";
