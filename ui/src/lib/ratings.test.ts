import { describe, expect, it } from "vitest";
import type { SkillDetail } from "../bindings/types";
import { withRating } from "./ratings";

const detail = (rating: number, count: number, spread: Record<string, number>) =>
  ({ rating, rating_count: count, rating_distribution: spread }) as unknown as SkillDetail;

describe("a rating shown from its own reply", () => {
  it("takes the server's average and count, and adds the stars to the spread", () => {
    const after = withRating(detail(4, 2, { "4": 1, "5": 1, "3": 0 }), {
      stars: 3,
      previous: null,
      reply: { success: true, action: "created", average_rating: 3.67, rating_count: 3 },
    });
    expect(after.rating).toBe(3.67);
    expect(after.rating_count).toBe(3);
    expect(after.rating_distribution).toEqual({ "3": 1, "4": 1, "5": 1 });
  });

  it("moves a replaced rating from its old bar to its new one", () => {
    const after = withRating(detail(4.5, 2, { "4": 1, "5": 1 }), {
      stars: 2,
      previous: 5,
      reply: { success: true, action: "updated", average_rating: 3, rating_count: 2 },
    });
    expect(after.rating_distribution).toEqual({ "2": 1, "4": 1, "5": 0 });
    expect(after.rating_count).toBe(2);
  });

  it("works out a review's average and count as the server does", () => {
    expect(withRating(detail(4, 2, { "4": 2 }), { stars: 1, previous: null, reply: null })).toMatchObject({
      rating: 3,
      rating_count: 3,
      rating_distribution: { "1": 1, "4": 2 },
    });
    expect(
      withRating(detail(3.5, 2, { "4": 1, "5": 0, "3": 1 }), { stars: 5, previous: 3, reply: null }),
    ).toMatchObject({
      rating: 4.5,
      rating_count: 2,
      rating_distribution: { "3": 0, "4": 1, "5": 1 },
    });
  });
});
