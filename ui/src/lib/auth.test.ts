import { describe, expect, it } from "vitest";
import { accountLabel, accountStatus, canWrite, describeAuth, isApiKeyFormat } from "./auth";
import { toErrorInfo } from "./errors";

describe("auth helpers", () => {
  it("describes each state", () => {
    expect(describeAuth({ state: "signed_out" })).toMatch(/Signed out/);
    expect(
      describeAuth({
        state: "signed_in",
        method: "api_key",
        scopes: ["read"],
        can_write: false,
        key_hint: "atom_pub_…0001",
        persisted: true,
        keystore_error: null,
        keystore_refused: false,
        renewable: true,
        expires_at: null,
      }),
    ).toBe("Signed in with API key atom_pub_…0001 (read only)");
    expect(
      describeAuth({ state: "needs_reauth", reason: { code: "invalid_grant", message: "m", hint: "h" } }),
    ).toMatch(/sign in again/);
  });

  it("only a signed-in writer can write", () => {
    expect(canWrite({ state: "signed_out" })).toBe(false);
    expect(
      canWrite({
        state: "refreshing",
        method: "browser",
        scopes: [],
        can_write: true,
        key_hint: null,
        persisted: true,
        keystore_error: null,
        keystore_refused: false,
        renewable: true,
        expires_at: 1,
      }),
    ).toBe(true);
  });

  it("checks the API key format like the core does", () => {
    expect(isApiKeyFormat("atom_pub_00000000-0000-4000-8000-000000000002")).toBe(true);
    expect(isApiKeyFormat("  atom_pub_00000000-0000-4000-8000-000000000002 ")).toBe(true);
    expect(isApiKeyFormat("atom_pub_123")).toBe(false);
    expect(isApiKeyFormat("sk_00000000-0000-4000-8000-000000000002")).toBe(false);
  });

  it("turns any rejection into an ErrorInfo", () => {
    expect(toErrorInfo({ code: "network", message: "down", hint: "retry" }).code).toBe("network");
    expect(toErrorInfo("boom")).toMatchObject({ code: "internal", message: "boom" });
  });
});

describe("account labels", () => {
  const signedIn = {
    state: "signed_in" as const,
    method: "api_key" as const,
    scopes: ["read_write"],
    can_write: true,
    key_hint: "atom_pub_…0002",
    persisted: true,
    keystore_error: null,
    keystore_refused: false,
    renewable: true,
    expires_at: null,
  };
  const account = {
    id: "a1",
    label: null,
    name: null,
    email: null,
    environment: "Sandbox",
    environment_kind: "sandbox" as const,
    auth: signedIn,
    active: true,
    first: true,
  };

  it("names an account by what its server says, else by its key's hint and scope, never the key", () => {
    expect(accountLabel({ ...account, name: "Sam Okafor" })).toBe("Sam Okafor");
    expect(accountLabel({ ...account, name: "Sam Okafor", label: "Work" })).toBe("Work");
    expect(accountLabel(account)).toBe("API key atom_pub_…0002 (read_write)");
    expect(accountLabel({ ...account, auth: { state: "signed_out" } })).toBe("New account on Sandbox");
    expect(accountStatus({ ...account, auth: { state: "signed_out" } })).toMatch(/not signed in/);
    const ended = { state: "needs_reauth" as const, reason: toErrorInfo("x") };
    expect(accountStatus({ ...account, auth: ended })).toBe("Sandbox · sign in again");
    expect(accountStatus({ ...account, name: "Tenant" })).toBe(
      "Sandbox · API key atom_pub_…0002, read_write",
    );
    const browser = { ...signedIn, method: "browser" as const, key_hint: null };
    expect(accountStatus({ ...account, auth: { ...browser, can_write: false } })).toBe("Sandbox · read only");
  });
});
