// Generated from the Rust sources by src-tauri/src/bindings.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings` after changing a command or a type.

import type { AccountView, AuthState, EnvironmentView, ErrorInfo, KeystoreStatus, OpenedLink, RateLimitStatus, UpdateStatus } from "./types";

/** Events the app sends, with their payloads (the window takes them with `on`, ui/src/lib/pump.ts). */
export type Events = {
  "auth-state": AuthState;
  "rate-limit": RateLimitStatus;
  "sign-in-error": ErrorInfo;
  "environment": EnvironmentView;
  "keystore": KeystoreStatus;
  "connectivity": boolean;
  "link": OpenedLink;
  "accounts": Array<AccountView>;
  "update": UpdateStatus;
};
