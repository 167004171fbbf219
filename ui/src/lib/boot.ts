// The saved first screen that the app hands the page as it loads (src-tauri/src/boot.rs): the first
// catalogue page and the categories of the environment it opened, painted in the first frame. Taken
// once; a reload asks the app as usual.
import { commands } from "../bindings/commands";
import { SKILLS_PAGE } from "../bindings/contract";
import type { Boot, BootPage, Fetched, SkillPage, SkillQuery } from "../bindings/types";
import { defaultFilters, queryKey, toQuery } from "./query";

declare global {
  interface Window {
    __ATOM_BOOT__?: Boot;
  }
}

function take(): Boot | null {
  if (typeof window === "undefined") return null;
  const boot = window.__ATOM_BOOT__ ?? null;
  delete window.__ATOM_BOOT__;
  return boot;
}

export const boot: Boot | null = take();

/** The list's first query: what the app saves for the next start. */
export const firstQuery = (): SkillQuery => toQuery(defaultFilters(), 0, SKILLS_PAGE);

// With no saved page (a first run), the first page is asked for as soon as this script runs, so that the
// answer travels while the window is mounted and laid out (the app began fetching it at launch).
let early: { query: SkillQuery; reply: Promise<Fetched<SkillPage>> } | null =
  typeof window !== "undefined" && !boot?.first_page
    ? { query: firstQuery(), reply: commands.listSkills(firstQuery(), "cache_first") }
    : null;

// Taken or not, its failure is handled where it is awaited (or nowhere, when nobody needs it any more).
early?.reply.catch(() => {});

/** The early request for `query`, once: later asks go to the app as usual. */
export function takeEarlyReply(query: SkillQuery): Promise<Fetched<SkillPage>> | null {
  if (!early || !sameQuery(early.query, query)) return null;
  const reply = early.reply;
  early = null;
  return reply;
}

/** Whether two catalogue queries ask the same thing. */
export function sameQuery(a: SkillQuery, b: SkillQuery): boolean {
  return queryKey(a) === queryKey(b);
}

/** The saved page, when it answers `query`. */
export function savedPageFor(saved: BootPage | null | undefined, query: SkillQuery): BootPage["page"] | null {
  return saved && Array.isArray(saved.page?.data?.skills) && sameQuery(saved.query, query)
    ? saved.page
    : null;
}

let firstPage = boot?.first_page ?? null;

/** The saved first page the app handed the page, once, when it answers `query`: the list's first
 *  frame paints it; a list made later (another environment) asks the app as usual. */
export function takeSavedPage(query: SkillQuery): BootPage["page"] | null {
  const page = savedPageFor(firstPage, query);
  firstPage = null;
  return page;
}

/** Runs `task` once the next frame has been painted: what was painted first is not held up by it. */
export function afterPaint(task: () => void): void {
  requestAnimationFrame(() => setTimeout(task, 0));
}
