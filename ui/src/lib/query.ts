// The catalogue's filters, as the user sets them, turned into the API's query.
import type { SkillQuery, SkillSort } from "../bindings/types";
import { parseTags } from "./validation";

export interface Filters {
  search: string;
  category: string | null;
  type: string | null;
  tags: string;
  price: "any" | "free" | "paid";
  sort: SkillSort;
}

export const defaultFilters = (): Filters => ({
  search: "",
  category: null,
  type: null,
  tags: "",
  price: "any",
  sort: "popularity",
});

export function toQuery(f: Filters, offset: number, limit: number): SkillQuery {
  return {
    query: f.search.trim().slice(0, 200),
    category: f.category,
    tags: parseTags(f.tags.toLowerCase()),
    type: f.type,
    price: f.price === "any" ? null : f.price,
    sort: f.sort,
    limit,
    offset,
  };
}

/** A query as one string, the only one: two queries ask the same thing when their keys are equal. */
export function queryKey(q: SkillQuery): string {
  return JSON.stringify([q.query, q.category, q.tags, q.type, q.price, q.sort, q.limit, q.offset]);
}

/** A key that changes whenever the filters ask for something else. */
export const filtersKey = (f: Filters): string => queryKey(toQuery(f, 0, 0));

export const SORTS: { value: SkillSort; label: string }[] = [
  { value: "popularity", label: "Most popular" },
  { value: "newest", label: "Newest" },
  { value: "rating", label: "Highest rated" },
  { value: "installs", label: "Most installed" },
  { value: "name", label: "Name" },
];
