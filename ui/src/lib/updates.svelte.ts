// Signed updates, as the window sees them (the Rust side is src-tauri/src/updates): the state comes with
// the app's snapshot and the `update` event; the notice and the Account page's "Updates" section read it.
import { commands } from "../bindings/commands";
import type { InstallKind, Offer, UpdateInfo, UpdateStatus } from "../bindings/types";
import { flushPending } from "./drafts";
import { toErrorInfo } from "./errors";
import { on } from "./pump";
import { notifyError } from "./toast.svelte";

class Updates {
  info = $state<UpdateInfo | null>(null);
  status = $state<UpdateStatus>({ state: "idle" });
  /** The version the user put off with "Later": its notice stays closed in this run. */
  later = $state<string | null>(null);
  /** The user asked (Account page): say what the check found, even "up to date". */
  asked = $state(false);
}

export const updates = new Updates();

/** The offer the notice is about, if any (also while it downloads, installs, or after it failed). */
export function offerOf(status: UpdateStatus): Offer | null {
  switch (status.state) {
    case "available":
    case "downloading":
    case "installing":
    case "restarting":
    case "failed":
      return status.offer;
    default:
      return null;
  }
}

/** Whether the banner shows: an offer not put off, or an install under way or failed. */
export function showsNotice(status: UpdateStatus, later: string | null): boolean {
  const offer = offerOf(status);
  if (!offer) return false;
  // "Later" closes an offer or a failed try; a download under way always shows.
  return !((status.state === "available" || status.state === "failed") && offer.version === later);
}

/** The download's progress, 0 to 100, or `null` while its size is unknown. */
export function percent(status: UpdateStatus): number | null {
  if (status.state !== "downloading" || !status.progress.total) return null;
  return Math.min(100, Math.floor((status.progress.done / status.progress.total) * 100));
}

/** Who updates this install, in words (the Account page). */
export function installText(kind: InstallKind): string {
  switch (kind.kind) {
    case "development":
      return "a development build: it does not update itself";
    case "package":
      return `installed from the project's ${kind.format === "app" ? "macOS app" : `.${kind.format}`} package: it updates itself, after checking each update's signature`;
    case "managed":
      return `updated by ${kind.by}`;
  }
}

/** The answer to "Check for updates", in words; `null` while there is nothing to say. */
export function answer(status: UpdateStatus): string | null {
  switch (status.state) {
    case "checking":
      return "Checking for updates…";
    case "up_to_date":
      return "You're up to date.";
    case "available":
      return `Version ${status.offer.version} is available.`;
    case "failed":
      return status.problem.code === "update_offline"
        ? "You're offline, or the update server cannot be reached. The app checks again later."
        : `${status.problem.message} ${status.problem.hint}`.trim();
    case "managed":
      return `Updates for this install are handled by ${status.by}: update it there.`;
    case "unavailable":
      return status.reason;
    default:
      return null;
  }
}

export function setUpdateInfo(info: UpdateInfo): void {
  updates.info = info;
  updates.status = info.status;
}

export function followUpdates(): Promise<() => void> {
  return on("update", (status) => (updates.status = status));
}

async function run(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (e) {
    notifyError(toErrorInfo(e));
  }
}

export const checkForUpdates = () =>
  run(async () => {
    updates.asked = true;
    updates.later = null;
    updates.status = await commands.checkForUpdates();
  });

/** Installs the offered update and restarts into it; whatever is being typed is saved first. */
export const installUpdate = () =>
  run(async () => {
    flushPending();
    updates.status = await commands.installUpdate();
  });

export const skipUpdate = (version: string) =>
  run(async () => {
    await commands.skipUpdate(version);
    if (updates.info) updates.info.skipped = version;
  });

export const setAutomaticUpdates = (on: boolean) =>
  run(async () => {
    await commands.setAutomaticUpdates(on);
    if (updates.info) updates.info.automatic = on;
  });

export const dismissUpdated = () =>
  run(async () => {
    await commands.dismissUpdated();
    if (updates.info) updates.info.updated_from = null;
  });
