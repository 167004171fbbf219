import { beforeEach, describe, expect, it, vi } from "vitest";
import type { EventBatch } from "../bindings/types";

// A stand-in for the app's outbox (src-tauri/src/outbox.rs): numbered events, and questions answered
// when there is one after the number asked.
const outbox = vi.hoisted(() => {
  const state = {
    events: [] as { seq: number; name: string; payload: unknown }[],
    keptFrom: 1,
    waiting: [] as (() => void)[],
    failNext: 0,
    asked: [] as (number | null)[],
  };
  const latest = () => state.events.length;
  return {
    state,
    push(name: string, payload: unknown) {
      state.events.push({ seq: latest() + 1, name, payload });
      state.waiting.splice(0).forEach((wake) => wake());
    },
    async nextEvents(after: number | null): Promise<EventBatch> {
      state.asked.push(after);
      if (state.failNext > 0) {
        state.failNext--;
        throw { code: "internal", message: "busy" };
      }
      if (after === null) return { events: [], latest: latest(), missed: false };
      while (latest() === after) await new Promise<void>((wake) => state.waiting.push(wake));
      const kept = state.events.filter((e) => e.seq >= state.keptFrom);
      return {
        events: kept.filter((e) => e.seq > after),
        latest: latest(),
        missed: state.keptFrom > after + 1,
      };
    },
  };
});

vi.mock("../bindings/commands", () => ({ commands: { nextEvents: outbox.nextEvents } }));

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the window takes the app's events", () => {
  beforeEach(() => {
    vi.resetModules();
    Object.assign(outbox.state, { events: [], keptFrom: 1, waiting: [], failNext: 0, asked: [] });
  });

  it("delivers every event sent once it listens, in order, to each of its handlers", async () => {
    const { on } = await import("./pump");
    outbox.push("keystore", { available: true, detail: null }); // before listening: in the snapshot instead
    const seen: string[] = [];
    const stop = await on("keystore", (k) => seen.push(`k:${k.available}`));
    await on("keystore", () => {
      throw new Error("a broken handler");
    });
    await on("connectivity", (online) => seen.push(`c:${online}`));
    outbox.push("connectivity", false);
    outbox.push("keystore", { available: false, detail: "locked" });
    await tick();
    expect(seen).toEqual(["c:false", "k:false"]);

    stop();
    outbox.push("keystore", { available: true, detail: null });
    outbox.push("connectivity", true);
    await tick();
    expect(seen).toEqual(["c:false", "k:false", "c:true"]);
    // One question to start (`null`), then one at a time after the latest seen.
    expect(outbox.state.asked.slice(0, 3)).toEqual([null, 1, 3]);
  });

  it("asks for a snapshot when events were dropped before it could take them", async () => {
    const { on, onMissed } = await import("./pump");
    let missed = 0;
    onMissed(() => missed++);
    const seen: boolean[] = [];
    await on("connectivity", (online) => seen.push(online));
    outbox.state.keptFrom = 3; // the app kept only from number 3 on
    outbox.push("connectivity", false);
    outbox.push("connectivity", true);
    outbox.push("connectivity", false);
    await tick();
    expect(missed).toBe(1);
    expect(seen).toEqual([false]);
  });

  it("asks again after a failed question, losing nothing", async () => {
    const { on } = await import("./pump");
    const seen: boolean[] = [];
    await on("connectivity", (online) => seen.push(online));
    outbox.state.failNext = 1;
    await tick();
    outbox.push("connectivity", false);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(seen).toEqual([false]);
  });

  it("lets a listener that could not start try again", async () => {
    const { on } = await import("./pump");
    outbox.state.failNext = 1;
    await expect(on("keystore", () => {})).rejects.toMatchObject({ code: "internal" });
    const seen: unknown[] = [];
    await on("keystore", (k) => seen.push(k));
    outbox.push("keystore", { available: false, detail: "locked" });
    await tick();
    expect(seen).toEqual([{ available: false, detail: "locked" }]);
  });
});
