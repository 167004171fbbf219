// Which rows of a long list to render: only those in view, plus a margin, so that 10,000 skills
// scroll as smoothly as 10.

export interface Window {
  /** First row to render. */
  start: number;
  /** One past the last row to render. */
  end: number;
  /** Space above the first rendered row, in pixels. */
  offset: number;
  /** Height of the whole list, in pixels. */
  height: number;
}

export function visibleRows(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  overscan = 6,
): Window {
  const safeTotal = Math.max(0, Math.floor(total));
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  const start = Math.max(0, Math.min(safeTotal, first - overscan));
  const end = Math.max(start, Math.min(safeTotal, first + count + overscan));
  return { start, end, offset: start * rowHeight, height: safeTotal * rowHeight };
}

/** The pages (of `pageSize` rows) that cover rows `start..end`. */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const pages: number[] = [];
  for (let p = Math.floor(start / pageSize); p <= Math.floor((end - 1) / pageSize); p++) pages.push(p);
  return pages;
}
