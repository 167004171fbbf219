/**
 * Listens first, then asks. The app's state reaches the window two ways: a snapshot (a command) and
 * events for each change. A change made after the snapshot was taken but before its listener was
 * registered would be lost, and a start-up that ends quickly (a silent sign-in refused at once) would
 * leave the window showing the state from before it. So the snapshot is asked for only once every
 * listener is in place: a change before it is in the snapshot, a change after it arrives as an event.
 */
export async function listenThenAsk(listeners: Promise<unknown>[], ask: () => Promise<void>): Promise<void> {
  await Promise.allSettled(listeners);
  await ask();
}
