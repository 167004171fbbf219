// Generated from the Rust sources by src-tauri/src/bindings.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings` after changing a command or a type.

import { invoke } from "@tauri-apps/api/core";
import type { ApiKeyScope, AppInfo, AuthState, Category, CustomEnvironment, EnvChoice, EnvironmentView, EventBatch, Fetched, Freshness, OpenedLink, RateLimitStatus, RateResult, RenderedMarkdown, Review, ReviewPage, ServerMetadata, SignInCheck, SignInMethod, SignInStarted, SignOutResult, SkillDetail, SkillPage, SkillQuery, Submission, SubmitResult, UpdateStatus } from "./types";

/** The app's commands. Each rejects with an `ErrorInfo`. */
export const commands = {
  appInfo: () => invoke<AppInfo>("app_info"),
  nextEvents: (after: number | null) => invoke<EventBatch>("next_events", { after }),
  authState: () => invoke<AuthState>("auth_state"),
  signInBrowser: (account: string, method: SignInMethod) => invoke<SignInStarted>("sign_in_browser", { account, method }),
  completeSignIn: (url: string) => invoke<AuthState>("complete_sign_in", { url }),
  cancelSignIn: (account: string) => invoke<null>("cancel_sign_in", { account }),
  signInApiKey: (account: string, key: string, scope: ApiKeyScope) => invoke<AuthState>("sign_in_api_key", { account, key, scope }),
  addAccount: () => invoke<EnvironmentView>("add_account"),
  switchAccount: (id: string) => invoke<EnvironmentView>("switch_account", { id }),
  signOutAccount: (id: string) => invoke<SignOutResult>("sign_out_account", { id }),
  removeAccount: (id: string) => invoke<SignOutResult>("remove_account", { id }),
  signOutAll: () => invoke<SignOutResult>("sign_out_all"),
  renameAccount: (id: string, name: string) => invoke<null>("rename_account", { id, name }),
  switchEnvironment: (choice: EnvChoice) => invoke<EnvironmentView>("switch_environment", { choice }),
  rateLimitStatus: () => invoke<RateLimitStatus>("rate_limit_status"),
  listSkills: (query: SkillQuery, freshness: Freshness) => invoke<Fetched<SkillPage>>("list_skills", { query, freshness }),
  getSkill: (id: string, freshness: Freshness) => invoke<Fetched<SkillDetail>>("get_skill", { id, freshness }),
  listCategories: (freshness: Freshness) => invoke<Fetched<Array<Category>>>("list_categories", { freshness }),
  listReviews: (id: string, limit: number, offset: number, freshness: Freshness) => invoke<Fetched<ReviewPage>>("list_reviews", { id, limit, offset, freshness }),
  submitSkill: (account: string, submission: Submission) => invoke<SubmitResult>("submit_skill", { account, submission }),
  rateSkill: (account: string, id: string, rating: number, review: string | null) => invoke<RateResult>("rate_skill", { account, id, rating, review }),
  postReview: (account: string, id: string, rating: number, review: string) => invoke<Review>("post_review", { account, id, rating, review }),
  renderMarkdown: (text: string) => invoke<RenderedMarkdown>("render_markdown", { text }),
  discoverServer: (address: string) => invoke<ServerMetadata>("discover_server", { address }),
  serverRedirects: (settings: CustomEnvironment) => invoke<Array<string>>("server_redirects", { settings }),
  openExternal: (url: string) => invoke<null>("open_external", { url }),
  takeLink: () => invoke<OpenedLink | null>("take_link"),
  skillLink: (id: string) => invoke<string>("skill_link", { id }),
  checkSignIn: () => invoke<SignInCheck>("check_sign_in"),
  registerLinkHandler: () => invoke<SignInCheck>("register_link_handler"),
  checkForUpdates: () => invoke<UpdateStatus>("check_for_updates"),
  installUpdate: () => invoke<UpdateStatus>("install_update"),
  skipUpdate: (version: string) => invoke<null>("skip_update", { version }),
  setAutomaticUpdates: (on: boolean) => invoke<null>("set_automatic_updates", { on }),
  dismissUpdated: () => invoke<null>("dismiss_updated"),
};
