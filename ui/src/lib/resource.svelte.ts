// How a screen loads what the app keeps: the saved copy at once, then the server's when the saved one is
// old and the server answers; again when the network comes back. Written once, here, for every screen.
import { onDestroy } from "svelte";
import type { ErrorInfo, Fetched, Freshness } from "../bindings/types";
import { toErrorInfo } from "./errors";
import { onReconnect } from "./network.svelte";

export type Load<T> = (freshness: Freshness) => Promise<Fetched<T>>;

/**
 * Asks `load` for the saved copy (`first`, when one is already on its way), hands it to `show`, and when
 * it is old and the server may answer, asks the server and hands that to `show` too. `show` returns
 * false when the answer is no longer wanted (the user moved on): then nothing more is asked. A failure
 * of the second ask keeps the first copy on screen; a failure of the first is thrown.
 */
export async function savedThenLive<T>(
  load: Load<T>,
  show: (reply: Fetched<T>) => boolean,
  options: {
    freshness?: Freshness;
    first?: Promise<Fetched<T>> | null;
    revalidating?: (on: boolean) => void;
  } = {},
): Promise<void> {
  const reply = await (options.first ?? load(options.freshness ?? "cache_first"));
  if (!show(reply) || !reply.stale || reply.offline) return;
  options.revalidating?.(true);
  try {
    show(await load("live"));
  } catch {
    // The saved copy stays; the next reconnection or reload asks again.
  } finally {
    options.revalidating?.(false);
  }
}

/** One thing a screen shows, as [`resource`] loads it. */
export class Resource<T> {
  data = $state<T | null>(null);
  /** Seconds since the copy on screen was saved, while it is a saved one; `null` for the server's. */
  age = $state<number | null>(null);
  /** The copy on screen is the saved one because the server could not be reached. */
  offline = $state(false);
  /** The last load's failure; the data it could not replace stays. */
  error = $state<ErrorInfo | null>(null);
  loading = $state(false);
  /** The server's copy is on its way to replace an old saved one. */
  revalidating = $state(false);
  #load: Load<T>;
  #asked = 0;

  constructor(load: Load<T>, seed: Fetched<T> | null = null) {
    this.#load = load;
    if (seed) this.#show(seed);
  }

  #show(reply: Fetched<T>) {
    this.data = reply.data;
    this.age = reply.stale || reply.offline ? reply.age_secs : null;
    this.offline = reply.offline;
    this.error = null;
  }

  /** Loads again: the saved copy then the server's (`cache_first`), or the server's alone (`live`). */
  async reload(
    freshness: Freshness = "cache_first",
    first: Promise<Fetched<T>> | null = null,
  ): Promise<void> {
    const asked = ++this.#asked;
    this.loading = true;
    try {
      await savedThenLive(
        this.#load,
        (reply) => {
          if (asked !== this.#asked) return false;
          this.#show(reply);
          return true;
        },
        { freshness, first, revalidating: (on) => asked === this.#asked && (this.revalidating = on) },
      );
    } catch (e) {
      if (asked === this.#asked) this.error = toErrorInfo(e);
    } finally {
      if (asked === this.#asked) this.loading = false;
    }
  }

  /** Shows `data`, made here from a write's own reply (the user's rating in a skill's average): what
   * the server now has, without asking it again. A load on its way is dropped. */
  patch(data: T): void {
    this.#asked++;
    this.data = data;
    this.error = null;
    this.loading = false;
    this.revalidating = false;
  }

  /** Forgets what it showed (it is about to show something else); a load on its way is dropped. */
  clear(): void {
    this.#asked++;
    this.data = null;
    this.age = null;
    this.offline = false;
    this.error = null;
    this.loading = false;
    this.revalidating = false;
  }
}

/**
 * A [`Resource`] loaded by `load` (`seed`: a copy the page already holds, painted at once). It loads
 * again, from the server, when the network comes back, for as long as the component that made it lives.
 */
export function resource<T>(load: Load<T>, options: { seed?: Fetched<T> | null } = {}): Resource<T> {
  const r = new Resource(load, options.seed ?? null);
  whileMounted(onReconnect(() => void r.reload("live")));
  return r;
}

/** Ends `stop` with the component being set up; outside one (the app's own state), never. */
export function whileMounted(stop: () => void): void {
  try {
    onDestroy(stop);
  } catch {
    // Not in a component's set-up: it lives as long as the page.
  }
}
