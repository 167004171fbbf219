// Generated from the Rust sources by src-tauri/src/bindings.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings` after changing a command or a type.

import { invoke } from "@tauri-apps/api/core";
import type * as T from "./types";

/** The app's commands. Each rejects with an `ErrorInfo`. */
export const commands = {
  appInfo: () => invoke<T.AppInfo>("app_info"),
  nextEvents: (after: number | null) => invoke<T.EventBatch>("next_events", { after }),
  authState: () => invoke<T.AuthState>("auth_state"),
  signInBrowser: (method: T.SignInMethod) => invoke<T.SignInStarted>("sign_in_browser", { method }),
  completeSignIn: (url: string) => invoke<T.AuthState>("complete_sign_in", { url }),
  cancelSignIn: () => invoke<null>("cancel_sign_in"),
  signInApiKey: (key: string, scope: T.ApiKeyScope) => invoke<T.AuthState>("sign_in_api_key", { key, scope }),
  signOut: () => invoke<T.SignOutResult>("sign_out"),
  switchEnvironment: (choice: T.EnvChoice) => invoke<T.EnvironmentView>("switch_environment", { choice }),
  rateLimitStatus: () => invoke<T.RateLimitStatus>("rate_limit_status"),
  listSkills: (query: T.SkillQuery, freshness: T.Freshness) => invoke<T.Fetched<T.SkillPage>>("list_skills", { query, freshness }),
  getSkill: (id: string, freshness: T.Freshness) => invoke<T.Fetched<T.SkillDetail>>("get_skill", { id, freshness }),
  listCategories: (freshness: T.Freshness) => invoke<T.Fetched<Array<T.Category>>>("list_categories", { freshness }),
  listReviews: (id: string, limit: number, offset: number, freshness: T.Freshness) => invoke<T.Fetched<T.ReviewPage>>("list_reviews", { id, limit, offset, freshness }),
  submitSkill: (submission: T.Submission) => invoke<T.SubmitResult>("submit_skill", { submission }),
  rateSkill: (id: string, rating: number, review: string | null) => invoke<T.RateResult>("rate_skill", { id, rating, review }),
  postReview: (id: string, rating: number, review: string) => invoke<T.Review>("post_review", { id, rating, review }),
  renderMarkdown: (text: string) => invoke<T.RenderedMarkdown>("render_markdown", { text }),
  discoverServer: (address: string) => invoke<T.ServerMetadata>("discover_server", { address }),
  openExternal: (url: string) => invoke<null>("open_external", { url }),
};
