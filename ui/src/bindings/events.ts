// Generated from the Rust sources by src-tauri/src/bindings.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings` after changing a command or a type.

import type * as T from "./types";

/** Events the app sends, with their payloads (the window takes them with `on`, ui/src/lib/pump.ts). */
export type Events = {
  "auth-state": T.AuthState;
  "rate-limit": T.RateLimitStatus;
  "sign-in-error": T.ErrorInfo;
  "environment": T.EnvironmentView;
  "keystore": T.KeystoreStatus;
  "connectivity": boolean;
};
