import { commands } from "../bindings/commands";
import { toErrorInfo } from "./errors";
import { notifyError } from "./toast.svelte";

/** Whether `href` is a web address the system browser may open. */
export function isWebAddress(href: string): boolean {
  return /^https?:\/\//i.test(href.trim());
}

/**
 * Click handler for blocks of rendered Markdown: a link never loads inside the app; a web address opens
 * in the system browser (the app's navigation guard would refuse it anyway).
 */
export function openLink(e: MouseEvent): void {
  const a = (e.target as HTMLElement | null)?.closest?.("a");
  if (!a) return;
  e.preventDefault();
  const href = a.getAttribute("href") ?? "";
  if (isWebAddress(href))
    void commands.openExternal(href).catch((err: unknown) => notifyError(toErrorInfo(err)));
}
