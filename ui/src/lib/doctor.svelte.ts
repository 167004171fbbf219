// The sign-in doctor ("Check sign-in", on the Account page and beside a sign-in failure): the checks run
// in the app (src-tauri/src/commands/shell.rs, check_sign_in); the window shows what they found.
import { commands } from "../bindings/commands";
import type { ErrorInfo, Finding, SignInCheck, Verdict } from "../bindings/types";
import { toErrorInfo } from "./errors";
import { sentence } from "./format";

class Doctor {
  result = $state<SignInCheck | null>(null);
  running = $state(false);
  error = $state<ErrorInfo | null>(null);
  /** How many runs have finished (the page marks it, so that a test can wait for the next). */
  runs = $state(0);
}

export const doctor = new Doctor();

async function runWith(call: () => Promise<SignInCheck>): Promise<void> {
  if (doctor.running) return;
  doctor.running = true;
  doctor.error = null;
  try {
    doctor.result = await call();
  } catch (e) {
    doctor.error = toErrorInfo(e);
  } finally {
    doctor.running = false;
    doctor.runs += 1;
  }
}

/** Runs every check (a few seconds at most; the window keeps answering). */
export function checkSignIn(): Promise<void> {
  return runWith(() => commands.checkSignIn());
}

/** Makes this app the handler of its links, then checks again. */
export function registerAgain(): Promise<void> {
  return runWith(() => commands.registerLinkHandler());
}

/** The mark and the word a verdict is shown with (the word is for screen readers and the report). */
export function verdictLabel(verdict: Verdict): { mark: string; word: string } {
  switch (verdict) {
    case "ok":
      return { mark: "✓", word: "OK" };
    case "warning":
      return { mark: "!", word: "Worth knowing" };
    case "problem":
      return { mark: "✕", word: "Problem" };
    case "not_checked":
      return { mark: "–", word: "Not checked" };
  }
}

/** One line that sums the findings up: the problems first. */
export function summary(findings: Finding[]): string {
  const problems = findings.filter((f) => f.verdict === "problem").length;
  if (problems > 0) return problems === 1 ? "1 problem found." : `${problems} problems found.`;
  if (findings.some((f) => f.verdict === "warning")) return "No problem found; something is worth knowing.";
  return "No problem found.";
}

/** Whether "Register again" is offered: the link handler is wrong and the app can fix it here. */
export function offersRegister(result: SignInCheck): boolean {
  return (
    result.can_register && result.findings.some((f) => f.check === "Link handler" && f.verdict === "problem")
  );
}

/** A finding's text as a sentence; a link's scheme at its start keeps its case. */
export function findingText(detail: string): string {
  const text = detail.trim();
  const first = text.split(/\s/, 1)[0] ?? "";
  if (!first.includes("://")) return sentence(text);
  return /[.!?)]$/.test(text) ? text : `${text}.`;
}
