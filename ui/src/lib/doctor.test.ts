import { describe, expect, it } from "vitest";
import type { Finding, SignInCheck } from "../bindings/types";
import { findingText, offersRegister, summary, verdictLabel } from "./doctor.svelte";

const finding = (check: string, verdict: Finding["verdict"]): Finding => ({
  check,
  verdict,
  detail: "",
  fix: null,
});

describe("the sign-in doctor's words", () => {
  it("sums up with the problems first", () => {
    expect(summary([finding("Keystore", "ok"), finding("Link handler", "ok")])).toBe("No problem found.");
    expect(summary([finding("Keystore", "warning")])).toBe("No problem found; something is worth knowing.");
    expect(summary([finding("Keystore", "problem"), finding("Link handler", "warning")])).toBe(
      "1 problem found.",
    );
    expect(summary([finding("Keystore", "problem"), finding("Link handler", "problem")])).toBe(
      "2 problems found.",
    );
  });

  it("offers Register again only for a wrong link handler the app can fix", () => {
    const result = (verdict: Finding["verdict"], can_register: boolean): SignInCheck => ({
      findings: [finding("Keystore", "problem"), finding("Link handler", verdict)],
      report: "",
      can_register,
    });
    expect(offersRegister(result("problem", true))).toBe(true);
    expect(offersRegister(result("problem", false))).toBe(false);
    expect(offersRegister(result("ok", true))).toBe(false);
    expect(offersRegister(result("not_checked", true))).toBe(false);
  });

  it("gives every verdict a word, not only a mark", () => {
    for (const v of ["ok", "warning", "problem", "not_checked"] as const) {
      expect(verdictLabel(v).word.length).toBeGreaterThan(1);
    }
  });

  it("makes sentences but leaves a scheme at the start as it is", () => {
    expect(findingText("no application opens com.example:// links")).toBe(
      "No application opens com.example:// links.",
    );
    expect(findingText("com.example:// links open this app (/a/b.desktop)")).toBe(
      "com.example:// links open this app (/a/b.desktop)",
    );
  });
});
