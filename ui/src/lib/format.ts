// Numbers and prices, the same on every machine (the webview's locale may be "C"). Written out rather
// than with Intl.NumberFormat: setting up ICU's number formatting cost the first page several
// milliseconds and the window about a megabyte (docs/benchmarks.md). The tests hold these to Intl's
// en-US output.

/** 1234567 → "1,234,567". */
function grouped(n: number): string {
  const digits = String(n);
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ",";
    out += digits[i];
  }
  return out;
}

const UNITS: [number, string][] = [
  [1e12, "T"],
  [1e9, "B"],
  [1e6, "M"],
  [1e3, "K"],
];

const tenths = (x: number) => Math.round(x * 10) / 10;

/** A count as people read it: "12,345" below 100,000, then "123.5K", "1.2M" (en-US compact). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "0";
  const sign = n < 0 ? "-" : "";
  const value = Math.round(Math.abs(n));
  if (value < 100_000) return sign + grouped(value);
  // The largest unit not above the value; 999,950 rounds to "1M", not "1000K".
  let i = UNITS.findIndex(([unit]) => value >= unit);
  let shown = tenths(value / (UNITS[i]?.[0] ?? 1));
  if (shown >= 1000 && i > 0) shown = tenths(value / (UNITS[--i]?.[0] ?? 1));
  const [whole = "0", fraction] = String(shown).split(".");
  return sign + grouped(Number(whole)) + (fraction ? `.${fraction}` : "") + (UNITS[i]?.[1] ?? "");
}

export function formatPrice(price: number, isFree: boolean): string {
  return isFree || price === 0 ? "Free" : `$${price.toFixed(2)}`;
}

/** A rating as five stars, filled for the rating: kept to 0 to 5 whatever it is (a row of five never
 * breaks on a 7, a negative or a fraction). */
export function starRow(rating: number): string {
  const filled = Number.isFinite(rating) ? Math.min(5, Math.max(0, Math.round(rating))) : 0;
  return "★".repeat(filled) + "☆".repeat(5 - filled);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? ""
    : d.toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric" });
}

/** A message from the core ("the server was not told: …") as a sentence: capitalised, ending in a stop. */
export function sentence(message: string): string {
  const text = message.trim();
  if (text === "") return text;
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?)]$/.test(first) ? first : `${first}.`;
}

/** How long ago something was saved: "just now", "5 min ago", "3 h ago", "2 days ago". */
export function formatAge(secs: number): string {
  if (secs < 60) return "just now";
  const min = Math.floor(secs / 60);
  if (min < 60) return `${min} min ago`;
  const hours = Math.floor(min / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}
