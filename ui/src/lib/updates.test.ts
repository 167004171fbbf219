import { describe, expect, it, vi } from "vitest";

vi.mock("../bindings/commands", () => ({ commands: {} }));
vi.mock("./pump", () => ({ on: () => Promise.resolve(() => {}) }));

import type { Offer, UpdateStatus } from "../bindings/types";
import { debounce, flushPending } from "./drafts";
import { answer, installText, offerOf, percent, showsNotice } from "./updates.svelte";

const offer: Offer = { version: "0.1.1", current: "0.1.0", rendered: null, notes: null, date: null };
const problem = {
  code: "update_refused" as const,
  message: "The update was refused.",
  hint: "Nothing was installed.",
};

describe("the update notice", () => {
  it("shows an offer until Later, and a download or a failure whatever was said", () => {
    const available: UpdateStatus = { state: "available", offer };
    expect(showsNotice(available, null)).toBe(true);
    expect(showsNotice(available, "0.1.1")).toBe(false);
    // A newer offer than the one put off shows again.
    expect(showsNotice({ state: "available", offer: { ...offer, version: "0.1.2" } }, "0.1.1")).toBe(true);
    expect(showsNotice({ state: "downloading", offer, progress: { done: 1, total: 2 } }, "0.1.1")).toBe(true);
    expect(showsNotice({ state: "failed", offer, problem }, null)).toBe(true);
    expect(showsNotice({ state: "failed", offer, problem }, "0.1.1")).toBe(false);
    // A failed check has no offer: nothing interrupts the user (the Account page says it when asked).
    expect(showsNotice({ state: "failed", offer: null, problem }, null)).toBe(false);
    for (const state of ["idle", "checking", "up_to_date"] as const) expect(offerOf({ state })).toBeNull();
  });

  it("counts the download in whole percent, and not at all while its size is unknown", () => {
    expect(percent({ state: "downloading", offer, progress: { done: 512, total: 1024 } })).toBe(50);
    expect(percent({ state: "downloading", offer, progress: { done: 1023, total: 1024 } })).toBe(99);
    expect(percent({ state: "downloading", offer, progress: { done: 5000, total: 1024 } })).toBe(100);
    expect(percent({ state: "downloading", offer, progress: { done: 5, total: null } })).toBeNull();
    expect(percent({ state: "available", offer })).toBeNull();
  });

  it("answers a check honestly, and says who updates an install", () => {
    expect(answer({ state: "up_to_date" })).toBe("You're up to date.");
    expect(answer({ state: "available", offer })).toBe("Version 0.1.1 is available.");
    expect(
      answer({ state: "failed", offer: null, problem: { ...problem, code: "update_offline" as const } }),
    ).toMatch(/offline/);
    expect(answer({ state: "failed", offer: null, problem })).toBe(
      "The update was refused. Nothing was installed.",
    );
    expect(answer({ state: "managed", by: "Flatpak" })).toMatch(/handled by Flatpak/);
    expect(answer({ state: "idle" })).toBeNull();
    expect(installText({ kind: "package", format: "deb" })).toMatch(/\.deb package: it updates itself/);
    expect(installText({ kind: "managed", by: "apt" })).toBe("updated by apt");
    expect(installText({ kind: "development" })).toMatch(/does not update itself/);
  });
});

describe("before a restart", () => {
  it("writes every debounced save still waiting, once", () => {
    const saved: string[] = [];
    const save = debounce((s: string) => saved.push(s), 10_000);
    save("a review being written");
    flushPending();
    flushPending();
    expect(saved).toEqual(["a review being written"]);
  });
});
