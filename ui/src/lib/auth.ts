import type { AccountView, AuthState } from "../bindings/types";

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

/** Signed in (or refreshing its tokens): the account's details are there to read. */
export function isSignedIn(
  state: AuthState,
): state is Extract<AuthState, { state: "signed_in" | "refreshing" }> {
  return state.state === "signed_in" || state.state === "refreshing";
}

/** `atom_pub_` followed by a UUID: the guide's key format, checked before anything is sent. */
export function isApiKeyFormat(key: string): boolean {
  return /^atom_pub_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(
    key.trim(),
  );
}

/**
 * What an account is called in the account menu and beside a write ("as …"): the name the user gave it,
 * else who its server says it is; an API key by its hint and scope (never the key); else where it signs
 * in.
 */
export function accountLabel(account: AccountView): string {
  if (account.label) return account.label;
  if (account.name) return account.name;
  const auth = account.auth;
  if ((auth.state === "signed_in" || auth.state === "refreshing") && auth.method === "api_key")
    return `API key ${auth.key_hint ?? "…"} (${auth.scopes.join(", ") || (auth.can_write ? "read_write" : "read")})`;
  if (auth.state === "signed_out") return `New account on ${account.environment}`;
  return `Account on ${account.environment}`;
}

/** The second line of an account's row: where, and whether it is signed in. */
export function accountStatus(account: AccountView): string {
  switch (account.auth.state) {
    case "signed_in":
    case "refreshing": {
      const auth = account.auth;
      if (auth.method === "api_key")
        return `${account.environment} · API key ${auth.key_hint ?? ""}, ${auth.scopes.join(", ") || (auth.can_write ? "read_write" : "read")}`;
      return auth.can_write ? account.environment : `${account.environment} · read only`;
    }
    case "needs_reauth":
      return `${account.environment} · sign in again`;
    case "signed_out":
      return `${account.environment} · not signed in`;
  }
}
