// A list the server hands out in pages (the catalogue, a skill's reviews), loaded the one way the window
// loads anything (`resource.svelte.ts`): each page's saved copy at once, the server's when it is old,
// one race guard (a reset drops every answer still on its way), and the state in one place.
import type { ErrorInfo, Fetched, Freshness } from "../bindings/types";
import { toErrorInfo } from "./errors";
import { savedThenLive } from "./resource.svelte";

/** One page as the list reads it. */
export interface Page<T> {
  items: T[];
  total: number;
}

/** Where the first page on screen came from, for the line that says how old it is. */
export type Origin = Omit<Fetched<unknown>, "data">;

export function originOf(reply: Fetched<unknown>): Origin {
  return {
    stale: reply.stale,
    age_secs: reply.age_secs,
    offline: reply.offline,
    from_saved_pages: reply.from_saved_pages,
  };
}

export class Pages<T> {
  /** Every row, by its place in the list; `undefined` where its page has not come yet. */
  items = $state<(T | undefined)[]>([]);
  /** How many there are in all (`null` until a page says). */
  total = $state<number | null>(null);
  error = $state<ErrorInfo | null>(null);
  /** Where the first page came from. */
  origin = $state<Origin | null>(null);
  /** The server's copy of the first page is on its way to replace an old saved one. */
  revalidating = $state(false);
  /** A page is on its way. */
  loading = $state(false);
  #generation = 0;
  // Bookkeeping, not state: nothing on screen reads it.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #inFlight = new Set<number>();

  constructor(
    /** The page of `size` rows from `offset`. */
    private fetch: (offset: number, freshness: Freshness) => Promise<Fetched<Page<T>>>,
    readonly size: number,
    /** Told of each page's first answer (the catalogue's marks for the benchmark). */
    private answered: (page: number) => void = () => {},
  ) {}

  /** Shows `reply` as the rows from `offset` (a seed the window was handed, or an answer). */
  show(offset: number, reply: Fetched<Page<T>>): void {
    // A different total means the rows further down moved: they are asked again as they come into view.
    if (this.total !== null && this.total !== reply.data.total) {
      this.items = this.items.slice(0, offset + reply.data.items.length);
    }
    this.total = reply.data.total;
    reply.data.items.forEach((item, i) => (this.items[offset + i] = item));
    if (offset === 0) this.origin = originOf(reply);
    this.error = null;
  }

  /** Starts again (other filters, another skill): answers still on their way are dropped. */
  reset(): number {
    this.#generation++;
    this.#inFlight.clear();
    this.items = [];
    this.total = null;
    this.error = null;
    this.origin = null;
    this.revalidating = false;
    this.loading = false;
    return this.#generation;
  }

  /** The generation answers must belong to (a reset ends it). */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Loads page `page`: its saved copy then the server's (`cache_first`, the first page's), or the server's
   * alone (`live`). `first`: a reply to the same question already on its way. Once at a time per page.
   */
  load(
    page: number,
    freshness: Freshness = page === 0 ? "cache_first" : "live",
    first: Promise<Fetched<Page<T>>> | null = null,
  ): Promise<void> {
    return this.#loadAt(page * this.size, freshness, first);
  }

  /** The rows after those there are (a list read from the top: reviews). */
  more(): Promise<void> {
    return this.#loadAt(this.items.length, "live", null);
  }

  async #loadAt(
    offset: number,
    freshness: Freshness,
    first: Promise<Fetched<Page<T>>> | null,
  ): Promise<void> {
    if (this.#inFlight.has(offset)) return;
    this.#inFlight.add(offset);
    const page = Math.floor(offset / this.size);
    const gen = this.#generation;
    this.loading = true;
    let answered = false;
    try {
      await savedThenLive(
        (f) => this.fetch(offset, f),
        (reply) => {
          if (gen !== this.#generation) return false;
          if (!answered) {
            answered = true;
            this.answered(page);
          }
          this.show(offset, reply);
          return true;
        },
        {
          freshness,
          first,
          revalidating: (on) => offset === 0 && gen === this.#generation && (this.revalidating = on),
        },
      );
    } catch (e) {
      if (gen === this.#generation) this.error = toErrorInfo(e);
    } finally {
      if (gen === this.#generation) {
        this.#inFlight.delete(offset);
        this.loading = this.#inFlight.size > 0;
      }
    }
  }

  /** The server's copy of a page already on screen (the network came back, or a saved first page is
   * old); the rows on screen stay if it cannot be had. */
  async refresh(page: number): Promise<void> {
    const gen = this.#generation;
    const offset = page * this.size;
    if (offset === 0) this.revalidating = true;
    try {
      const reply = await this.fetch(offset, "live");
      if (gen === this.#generation) this.show(offset, reply);
    } catch {
      // The saved rows stay; the next scroll or reconnection asks again.
    } finally {
      if (offset === 0 && gen === this.#generation) this.revalidating = false;
    }
  }

  /**
   * An item the user just made (their review), first, from the write's own reply; one it replaces
   * (`same`: their earlier review) goes.
   */
  prepend(item: T, same: (a: T, b: T) => boolean): void {
    const replaced = this.items.some((i) => i !== undefined && same(i, item));
    this.items = [item, ...this.items.filter((i) => i === undefined || !same(i, item))];
    if (!replaced) this.total = (this.total ?? 0) + 1;
  }
}
