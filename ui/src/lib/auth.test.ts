import { describe, expect, it } from "vitest";
import { canWrite, describeAuth, isApiKeyFormat } from "./auth";
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
