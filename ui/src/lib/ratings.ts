// What the user's own rating does to the skill on screen, from the write's own reply: one click, one
// request, and the page shows the new average, count and spread without asking again.
import type { RateResult, SkillDetail } from "../bindings/types";

/** A rating the user just made: its stars, the one it replaced (if known), and the server's reply. */
export interface Rated {
  stars: number;
  /** The user's earlier rating of the skill, when they made one (it is replaced, not added). */
  previous: number | null;
  /** The server's new average and count (`rate`); a review's reply has none, and they are worked out. */
  reply: RateResult | null;
}

/** `detail` with the user's rating in it. */
export function withRating(detail: SkillDetail, rated: Rated): SkillDetail {
  const spread = { ...detail.rating_distribution };
  const replaced =
    rated.reply !== null ? rated.reply.action === "updated" : rated.previous !== null && rated.previous > 0;
  const previous = replaced ? rated.previous : null;
  const before = previous === null ? 0 : (spread[String(previous)] ?? 0);
  if (previous !== null && before > 0) spread[String(previous)] = before - 1;
  spread[String(rated.stars)] = (spread[String(rated.stars)] ?? 0) + 1;
  if (rated.reply !== null) {
    return {
      ...detail,
      rating: rated.reply.average_rating,
      rating_count: rated.reply.rating_count,
      rating_distribution: spread,
    };
  }
  // Worked out as the server does it (one rating per user, the mean of them).
  const count = detail.rating_count + (previous === null ? 1 : 0);
  const sum = detail.rating * detail.rating_count - (previous ?? 0) + rated.stars;
  return {
    ...detail,
    rating: count > 0 ? Math.min(5, Math.max(0, sum / count)) : 0,
    rating_count: count,
    rating_distribution: spread,
  };
}
