// Short messages in the corner: what happened, and what to do about it.
import type { ErrorInfo } from "../bindings/types";

export interface Toast {
  id: number;
  kind: "error" | "success" | "info";
  title: string;
  detail?: string;
}

let next = 1;
export const toasts = $state<Toast[]>([]);

export function dismiss(id: number) {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}

export function notify(
  kind: Toast["kind"],
  title: string,
  detail?: string,
  ms = kind === "error" ? 9000 : 4000,
) {
  const id = next++;
  toasts.push({ id, kind, title, detail });
  if (toasts.length > 4) toasts.shift();
  setTimeout(() => dismiss(id), ms);
}

/** An error from a command, with the core's hint (the guide's fix), never a bare code. */
export function notifyError(e: ErrorInfo) {
  notify("error", e.message, e.hint);
}
