// Whether the server answers. The Rust side watches it (a failed request marks it down, a probe brings
// it back) and says so with the "connectivity" event; every screen reads it from here, and what must be
// asked again when it comes back registers with `onReconnect`.
export const network = $state({ online: true });

// Bookkeeping, not state: nothing on screen reads it.
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const reconnected = new Set<() => void>();

/** Runs `task` each time the server answers again after it could not be reached; returns its stop. */
export function onReconnect(task: () => void): () => void {
  reconnected.add(task);
  return () => {
    reconnected.delete(task);
  };
}

export function setOnline(online: boolean): void {
  const back = online && !network.online;
  network.online = online;
  if (back) reconnected.forEach((task) => task());
}
