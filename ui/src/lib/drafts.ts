// Drafts the user is typing (a review, a submission) are saved as they type and survive a failed request
// and a restart. They hold no secret, so the webview's local storage (kept in the app's data folder) is
// the right place. Storage may be full or missing: then drafts live in memory, and nothing breaks.

export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  /** Every key it holds (localStorage: `length` and `key(i)`). */
  keys?(): string[];
}

const memory = new Map<string, string>();
const memoryStore: KeyValue = {
  getItem: (k) => memory.get(k) ?? null,
  setItem: (k, v) => void memory.set(k, v),
  removeItem: (k) => void memory.delete(k),
  keys: () => [...memory.keys()],
};

function defaultStore(): KeyValue {
  try {
    const storage = globalThis.localStorage;
    if (!storage) return memoryStore;
    return {
      getItem: (k) => storage.getItem(k),
      setItem: (k, v) => storage.setItem(k, v),
      removeItem: (k) => storage.removeItem(k),
      keys: () => Array.from({ length: storage.length }, (_, i) => storage.key(i)).filter((k) => k !== null),
    };
  } catch {
    return memoryStore;
  }
}

const PREFIX = "atom.draft.";

export class Drafts {
  constructor(private store: KeyValue = defaultStore()) {}

  load<T>(key: string, fallback: T): T {
    try {
      const raw = this.store.getItem(PREFIX + key);
      if (raw === null) return fallback;
      const parsed = JSON.parse(raw) as { v: number; value: T };
      return parsed && parsed.v === 1 ? parsed.value : fallback;
    } catch {
      return fallback;
    }
  }

  save<T>(key: string, value: T): void {
    try {
      this.store.setItem(PREFIX + key, JSON.stringify({ v: 1, value }));
    } catch {
      memoryStore.setItem(PREFIX + key, JSON.stringify({ v: 1, value }));
    }
  }

  clear(key: string): void {
    try {
      this.store.removeItem(PREFIX + key);
    } catch {
      // nothing to do
    }
    memoryStore.removeItem(PREFIX + key);
  }

  /**
   * Removes every draft of the account whose drafts are kept under `account` (its review, rating and
   * submission drafts): what an account wrote goes with it when it is removed.
   */
  clearAccount(account: string): void {
    const mine = (key: string) =>
      ["review", "mine", "submit"].some(
        (kind) => key === `${PREFIX}${kind}:${account}` || key.startsWith(`${PREFIX}${kind}:${account}:`),
      );
    for (const store of [this.store, memoryStore]) {
      try {
        for (const key of store.keys?.() ?? []) if (mine(key)) store.removeItem(key);
      } catch {
        // nothing to do
      }
    }
  }
}

export const drafts = new Drafts();

/**
 * Calls `fn` once things have been quiet for `ms`. `cancel()` drops a call still waiting; `flush()` makes
 * it now (a form that goes away saves what it last had then, and no later timer can write an older
 * draft over one saved since by another copy of the form).
 */
export function debounce<A extends unknown[]>(
  fn: (...args: A) => void,
  ms: number,
): ((...args: A) => void) & { cancel(): void; flush(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: A | null = null;
  const cancel = () => {
    clearTimeout(timer);
    pending = null;
    waiting.delete(flush);
  };
  const flush = () => {
    const args = pending;
    cancel();
    if (args) fn(...args);
  };
  const call = (...args: A) => {
    clearTimeout(timer);
    pending = args;
    waiting.add(flush);
    timer = setTimeout(flush, ms);
  };
  return Object.assign(call, { cancel, flush });
}

/** The debounced calls still waiting. */
const waiting = new Set<() => void>();

/** Makes every debounced call still waiting now: before the app restarts (an update), nothing typed is lost. */
export function flushPending(): void {
  for (const flush of [...waiting]) flush();
}
