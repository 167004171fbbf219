import type { AuthState } from "../bindings/types";

/** A sentence for the account panel. */
export function describeAuth(state: AuthState): string {
  switch (state.state) {
    case "signed_out":
      return "Signed out: browsing anonymously";
    case "needs_reauth":
      return "Session ended: sign in again";
    case "signed_in":
    case "refreshing": {
      const how =
        state.method === "browser"
          ? "Signed in with the browser"
          : `Signed in with API key ${state.key_hint ?? ""}`.trim();
      const access = state.can_write ? "can submit, rate and review" : "read only";
      return `${how} (${access})`;
    }
  }
}

export function canWrite(state: AuthState): boolean {
  return (state.state === "signed_in" || state.state === "refreshing") && state.can_write;
}

export function isSignedIn(state: AuthState): boolean {
  return state.state === "signed_in" || state.state === "refreshing";
}

/** `atom_pub_` followed by a UUID: the guide's key format, checked before anything is sent. */
export function isApiKeyFormat(key: string): boolean {
  return /^atom_pub_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(
    key.trim(),
  );
}
