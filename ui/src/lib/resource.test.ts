import { describe, expect, it } from "vitest";
import type { ErrorInfo, Fetched, Freshness } from "../bindings/types";
import { network, setOnline } from "./network.svelte";
import { resource, savedThenLive } from "./resource.svelte";

const reply = <T>(data: T, over: Partial<Fetched<T>> = {}): Fetched<T> => ({
  data,
  stale: false,
  age_secs: 0,
  offline: false,
  from_saved_pages: false,
  ...over,
});

/** A load that answers from a script, and says what it was asked. */
function scripted<T>(answers: Partial<Record<Freshness, Fetched<T> | ErrorInfo>>) {
  const asked: Freshness[] = [];
  const load = async (f: Freshness) => {
    asked.push(f);
    const a = answers[f];
    if (!a) throw new Error(`not scripted: ${f}`);
    if ("code" in a) throw a;
    return a;
  };
  return { asked, load };
}

const unreachable: ErrorInfo = { code: "network", message: "cannot reach the server", hint: "Check." };

describe("saved, then live", () => {
  it("shows the saved copy, then the server's when the saved one is old", async () => {
    const { asked, load } = scripted({
      cache_first: reply("old", { stale: true, age_secs: 90 }),
      live: reply("new"),
    });
    const shown: string[] = [];
    await savedThenLive(load, (r) => (shown.push(r.data), true));
    expect(asked).toEqual(["cache_first", "live"]);
    expect(shown).toEqual(["old", "new"]);
  });

  it("asks nothing more for a fresh copy, an offline one, or one no longer wanted", async () => {
    for (const first of [reply("fresh"), reply("saved", { stale: true, offline: true })]) {
      const { asked, load } = scripted({ cache_first: first });
      await savedThenLive(load, () => true);
      expect(asked).toEqual(["cache_first"]);
    }
    const { asked, load } = scripted({ cache_first: reply("old", { stale: true }) });
    await savedThenLive(load, () => false);
    expect(asked).toEqual(["cache_first"]);
  });

  it("keeps the saved copy when the server fails, and throws when there is none", async () => {
    const { load } = scripted<string>({ cache_first: reply("old", { stale: true }), live: unreachable });
    const shown: string[] = [];
    await savedThenLive(load, (r) => (shown.push(r.data), true));
    expect(shown).toEqual(["old"]);
    const none = scripted<string>({ cache_first: unreachable });
    await expect(savedThenLive(none.load, () => true)).rejects.toEqual(unreachable);
  });
});

describe("a resource", () => {
  it("gives data, age, offline and error, and keeps its data when a reload fails", async () => {
    const script = scripted<string>({
      cache_first: reply("saved", { stale: true, offline: true, age_secs: 120 }),
    });
    const r = resource(script.load);
    await r.reload();
    expect([r.data, r.age, r.offline, r.error]).toEqual(["saved", 120, true, null]);
    const failing = resource<string>(async () => Promise.reject(unreachable), { seed: reply("seeded") });
    expect(failing.data).toBe("seeded");
    await failing.reload("live");
    expect(failing.data).toBe("seeded");
    expect(failing.error?.code).toBe("network");
  });

  it("drops an answer that a newer load overtook", async () => {
    let release: (v: Fetched<string>) => void = () => {};
    const slow = new Promise<Fetched<string>>((resolve) => (release = resolve));
    let calls = 0;
    const r = resource<string>(async () => (++calls === 1 ? slow : reply("second")));
    const first = r.reload();
    await r.reload();
    release(reply("first"));
    await first;
    expect(r.data).toBe("second");
  });

  it("loads again from the server when the network comes back", async () => {
    const script = scripted<string>({
      cache_first: reply("saved", { offline: true, stale: true }),
      live: reply("new"),
    });
    const r = resource(script.load);
    await r.reload();
    setOnline(false);
    expect(network.online).toBe(false);
    setOnline(true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(script.asked).toEqual(["cache_first", "live"]);
    expect(r.data).toBe("new");
  });
});
