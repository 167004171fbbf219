// Generated from the Rust sources by src-tauri/src/bindings.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings` after changing a command or a type.

import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type * as T from "./types";

/** Events the app pushes, with their payloads. */
export type Events = {
  "auth-state": T.AuthState;
  "rate-limit": T.RateLimitStatus;
  "sign-in-error": T.ErrorInfo;
  "environment": T.EnvironmentView;
  "keystore": T.KeystoreStatus;
  "connectivity": boolean;
};

export function on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): Promise<UnlistenFn> {
  return listen<Events[K]>(event, (e) => handler(e.payload));
}
