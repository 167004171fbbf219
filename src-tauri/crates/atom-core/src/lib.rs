//! The ATOM Marketplace client core: everything the desktop app does that a test would want to reach,
//! with no Tauri and no webview.
//!
//! - [`Environment`]: production, sandbox or a custom ATOM-compatible server.
//! - [`Catalogue`]: an environment's marketplace, shared by its accounts: the HTTP client, the
//!   catalogue cache, the rate limits and the watch for the network.
//! - [`Account`]: sign-in (browser with PKCE, or API key), the token lifecycle, and every marketplace
//!   call on the user's behalf, through its catalogue, with retries and typed errors. A second account
//!   of an environment is a second `Account` on the same `Catalogue`.
//! - [`SecretStore`]: where refresh tokens and API keys live; the app shell provides the OS keystore.
//! - [`Error`]: one error type with a stable `code()` and a `hint()` for the user.
//!
//! Standards: OAuth 2.0 (RFC 6749) with PKCE S256 (RFC 7636) as a native public client (RFC 8252);
//! server metadata (RFC 8414, OpenID Connect Discovery as the fallback) in [`discovery`]; the `iss`
//! callback parameter (RFC 9207) and the callback's whole shape in [`login`]; bearer challenges
//! (RFC 6750) in [`http::reply`]; revocation (RFC 7009) and rotation (RFC 9700) in [`token`] and
//! [`account`]. `docs/api-contract.md` says where ATOM's guide differs.
//!
//! The protocol layer is the `oauth2` crate: PKCE verifier and challenge, the CSRF state, the
//! authorization URL, the code exchange and the refresh. Around it, the core's own parts, each for a
//! reason written where it lives: the callback validation (stricter than the crate's), the HTTP
//! transport (the core's client, and ATOM's JSON bodies), a tolerant token reply, the error reader
//! (the crate drops the HTTP status), revocation (the crate refuses loopback http), and [`Secret`] at
//! every edge.
//!
//! ```no_run
//! # async fn demo() -> atom_core::Result<()> {
//! use std::sync::Arc;
//! use atom_core::{Account, Environment, MemoryStore, RedirectTarget, SkillQuery};
//! let account = Account::new(Environment::sandbox("http://127.0.0.1:4000")?, Arc::new(MemoryStore::default()))?;
//! account.restore().await.ok();
//! let page = account.skills(&SkillQuery { query: "github".into(), ..Default::default() }).await?;
//! let url = account.begin_login(RedirectTarget::Scheme); // open in the browser
//! // ... the deep link brings back the callback URL:
//! // account.complete_login(&callback).await?;
//! # let _ = (page, url); Ok(()) }
//! ```

pub mod account;
pub mod applink;
pub mod cache;
pub mod catalogue;
pub mod contract;
pub mod discovery;
pub mod env;
pub mod error;
pub mod http;
pub mod login;
pub mod markdown;
pub mod models;
pub mod offline;
pub mod probe;
pub mod ratelimit;
pub mod secret;
pub mod store;
pub mod text;
pub mod token;

pub use account::{
    account_namespace, is_api_key_format, restore_all, store_namespace, Account, AccountId, ApiKeyScope,
    AuthMethod, AuthState, Identity, KeptSignIn, SignedIn, TokenTimes,
};
pub use applink::{ping_link, read_app_link, skill_link, AppLink};
pub use catalogue::Catalogue;
pub use discovery::{discover, MetadataSource, ServerMetadata};
pub use env::{CustomEnvironment, Environment, EnvironmentKind, ServerKey, TokenEncoding};
pub use error::{Error, ErrorCode, ErrorInfo, OAuthStep, Result};
pub use http::{Fetched, Freshness};
pub use login::{CallbackError, PendingLogin, RedirectTarget};
pub use models::{
    Category, PriceFilter, RateResult, Review, ReviewPage, Skill, SkillDetail, SkillPage, SkillQuery,
    SkillSort, Submission, SubmitResult,
};
pub use ratelimit::{CredentialKind, Owner, Quota, QuotaKey, Quotas, RateLimitStatus};
pub use secret::Secret;
pub use store::{Late, MemoryStore, Patient, SecretStore, StoreError, StoreHandle};
