// Generated from the Rust sources by src-tauri/src/bindings.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings` after changing a command or a type.

import type { AccountsView, Connectivity, EnvironmentView, KeystoreStatus, OpenedLink, RateLimits, SignInProblem, UpdateStatus } from "./types";

/** Events the app sends, with their payloads (the window takes them with `on`, ui/src/lib/pump.ts). */
export type Events = {
  "rate-limit": RateLimits;
  "sign-in-error": SignInProblem;
  "environment": EnvironmentView;
  "keystore": KeystoreStatus;
  "connectivity": Connectivity;
  "link": OpenedLink;
  "accounts": AccountsView;
  "update": UpdateStatus;
};
