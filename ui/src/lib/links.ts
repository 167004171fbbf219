import { commands } from "../bindings/commands";
import { toErrorInfo } from "./errors";
import { notify, notifyError } from "./toast.svelte";

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

/**
 * Puts `text` on the clipboard, from a click's handler before anything is awaited (the page may write
 * the clipboard only while the click's user activation lasts): the page's copy command, which answers
 * at once, else the Clipboard API.
 */
export async function toClipboard(text: string): Promise<boolean> {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  const focused = document.activeElement as HTMLElement | null;
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  focused?.focus();
  if (copied) return true;
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * "Copy link": a skill's link in the app's scheme (`com.atomagentos.marketplace://skill/<id>`, from
 * `skillLink`) on the clipboard, said in a toast; when the clipboard cannot be written, the toast shows
 * the link to copy by hand.
 */
export async function copySkillLink(link: string): Promise<void> {
  if (await toClipboard(link)) notify("success", "Link copied", link);
  else notify("info", "Copy this link", link, 15000);
}
