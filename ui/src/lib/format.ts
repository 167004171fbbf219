// Numbers and prices, the same on every machine (the webview's locale may be "C").
const counts = new Intl.NumberFormat("en-US");
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

export function formatCount(n: number): string {
  return n >= 100_000 ? compact.format(n) : counts.format(n);
}

export function formatPrice(price: number, isFree: boolean): string {
  return isFree || price === 0 ? "Free" : `$${price.toFixed(2)}`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric" });
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
