/**
 * How deep a re-anchor's REST snapshot may be, given the weight the IP has left this minute.
 * `/api/v3/depth` weight by limit (Binance rest-api.md, "Order book"): 1-100 → 5, 101-500 → 25,
 * 501-1000 → 50, 1001-5000 → 250. A 5000-level snapshot costs five 1000-level ones, so under a
 * burst of gaps the deep one is taken only while the minute is young and the re-anchor falls back to
 * shallower ones, rather than spending the budget on a few deep books and then waiting (the book
 * stale) or being refused (429, then a 418 ban). Pure.
 */

export interface SnapshotDepth {
  limit: number;
  weight: number;
}

/** Deepest first. */
export const SNAPSHOT_DEPTHS: readonly SnapshotDepth[] = [
  { limit: 5000, weight: 250 },
  { limit: 1000, weight: 50 },
  { limit: 500, weight: 25 },
  { limit: 100, weight: 5 },
];

/**
 * 5000-level snapshots only while the minute's use stays within 40% of the allowance (about nine a
 * minute at Binance's 6,000): the other 60% still pays for a 1000-level re-anchor every ~1.5 s.
 */
export const DEEP_SNAPSHOT_SHARE = 0.4;
/**
 * Re-anchors stop at 85% of the allowance: the rest is kept for the REST poller and the gap
 * detector's back-fill, which must not be starved by a gap storm either.
 */
export const REANCHOR_SHARE = 0.85;

/**
 * The deepest snapshot (at most `maxLimit` levels) that fits the minute's remaining budget, or
 * undefined when none does (wait for the next minute).
 */
export function chooseSnapshotDepth(
  usedWeight: number,
  allowance: number,
  maxLimit = 5000,
): SnapshotDepth | undefined {
  for (const depth of SNAPSHOT_DEPTHS) {
    if (depth.limit > maxLimit) continue;
    const cap = (depth.limit > 1000 ? DEEP_SNAPSHOT_SHARE : REANCHOR_SHARE) * allowance;
    if (usedWeight + depth.weight <= cap) return depth;
  }
  return undefined;
}
