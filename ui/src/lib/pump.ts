// How the window takes the app's events: one question at a time (the `next_events` command), each
// answered as soon as there is an event after the last one seen (src-tauri/src/outbox.rs says why the
// app does not push them). The event names and payloads are generated: ../bindings/events.ts.
import { commands } from "../bindings/commands";
import type { Events } from "../bindings/events";

type Handler = (payload: unknown) => void;
const handlers = new Map<string, Set<Handler>>();
const resyncs = new Set<() => void>();
let started: Promise<void> | null = null;

/** Starts taking events, once; resolves when no event from then on can be missed. */
function start(): Promise<void> {
  started ??= commands.nextEvents(null).then(
    (first) => void take(first.latest),
    (e: unknown) => {
      started = null;
      throw e;
    },
  );
  return started;
}

async function take(after: number): Promise<void> {
  for (;;) {
    try {
      const batch = await commands.nextEvents(after);
      after = batch.latest;
      if (batch.missed) resyncs.forEach(run);
      for (const e of batch.events) handlers.get(e.name)?.forEach((h) => run(() => h(e.payload)));
    } catch {
      // The app is busy or going away: ask again in a moment.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** One handler's failure does not keep the events from the others. */
function run(f: () => void): void {
  try {
    f();
  } catch (e) {
    console.error(e);
  }
}

/** Calls `handler` with every `event` from now on; resolves (to the way to stop) once listening. */
export function on<K extends keyof Events>(
  event: K,
  handler: (payload: Events[K]) => void,
): Promise<() => void> {
  const set = handlers.get(event) ?? new Set<Handler>();
  handlers.set(event, set);
  const h = handler as Handler;
  set.add(h);
  return start().then(() => () => void set.delete(h));
}

/** Calls `f` when the window fell so far behind that some events were not kept: ask for a snapshot. */
export function onMissed(f: () => void): () => void {
  resyncs.add(f);
  return () => void resyncs.delete(f);
}
