// Lists from a server, made safe to render keyed: a record it sends twice (a review that moved to the
// next page when a new one was posted, a category listed twice) is shown once.

/** `items` without the later ones whose `key` was already seen, in order. */
export function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
