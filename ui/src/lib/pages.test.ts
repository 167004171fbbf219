import { describe, expect, it } from "vitest";
import type { Fetched } from "../bindings/types";
import { Pages, type Page } from "./pages.svelte";

interface Row {
  id: number;
}

const reply = (items: Row[], total: number): Fetched<Page<Row>> => ({
  data: { items, total },
  stale: false,
  age_secs: 0,
  offline: false,
  from_saved_pages: false,
});

const rows = (from: number, count: number): Row[] =>
  Array.from({ length: count }, (_, i) => ({ id: from + i }));

describe("a list loaded in pages", () => {
  it("puts each page's rows in their places, with gaps where no page came yet", () => {
    const pages = new Pages<Row>(() => Promise.reject(new Error("not asked")), 2);
    pages.show(0, reply(rows(0, 2), 6));
    pages.show(4, reply(rows(4, 2), 6));
    expect(pages.items.map((r) => r?.id)).toEqual([0, 1, undefined, undefined, 4, 5]);
    expect(pages.total).toBe(6);
  });

  it("drops the rows further down when the total changed under them", () => {
    const pages = new Pages<Row>(() => Promise.reject(new Error("not asked")), 2);
    pages.show(0, reply(rows(0, 2), 6));
    pages.show(4, reply(rows(4, 2), 6));
    pages.show(2, reply(rows(102, 2), 5));
    expect(pages.items.map((r) => r?.id)).toEqual([0, 1, 102, 103]);
    expect(pages.total).toBe(5);
  });

  it("loads a page from the server and forgets answers from before a reset", async () => {
    let answer: (r: Fetched<Page<Row>>) => void = () => {};
    const pages = new Pages<Row>(() => new Promise((resolve) => (answer = resolve)), 2);
    const late = pages.load(1, "live");
    pages.reset();
    answer(reply(rows(2, 2), 4));
    await late;
    expect(pages.items).toEqual([]);
    expect(pages.total).toBeNull();
  });

  it("puts the user's own new item first, in place of their earlier one", () => {
    const pages = new Pages<Row>(() => Promise.reject(new Error("not asked")), 2);
    pages.show(0, reply(rows(0, 2), 2));
    pages.prepend({ id: 1 }, (a, b) => a.id === b.id);
    expect(pages.items.map((r) => r?.id)).toEqual([1, 0]);
    expect(pages.total).toBe(2);
    pages.prepend({ id: 9 }, (a, b) => a.id === b.id);
    expect(pages.total).toBe(3);
  });
});
