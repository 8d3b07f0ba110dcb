/**
 * Trade-id gaps between the trade stream and REST aggTrades. Each aggregate trade covers trade ids
 * f..l; any id the aggregates cover that the stream lacks is a gap. Only ids up to the lower of the
 * stream's and REST's newest are decided (beyond that one side has simply not got there yet), and
 * only from the stream's first id (before it, nothing was streamed). Pure.
 */
import type { IdIntervals, IdRange } from './id-intervals.ts';

/** `[a, f, l, T]`: aggregate id, first and last trade id, trade time (ms). */
export type AggRef = [a: number, f: number, l: number, timeMs: number];

export interface TradeIdGap {
  fromId: number;
  toId: number;
  fromTimeMs: number;
  toTimeMs: number;
  /** The aggregate ids that cover the gap (what a back-fill fetches). */
  fromAggId: number;
  toAggId: number;
}

export interface TradeIdCheck {
  gaps: TradeIdGap[];
  /** The highest trade id decided (undefined: nothing could be). */
  checkedThrough: number | undefined;
}

export function findTradeIdGaps(
  aggs: readonly AggRef[],
  streamed: IdIntervals,
  after: number | undefined,
  streamStartId: number | undefined,
): TradeIdCheck {
  const streamMax = streamed.max;
  if (streamMax === undefined || streamStartId === undefined || aggs.length === 0) {
    return { gaps: [], checkedThrough: undefined };
  }
  let restMax = Number.NEGATIVE_INFINITY;
  for (const agg of aggs) restMax = Math.max(restMax, agg[2]);
  const bound = Math.min(streamMax, restMax);
  const low = Math.max(streamStartId, after === undefined ? Number.NEGATIVE_INFINITY : after + 1);
  if (bound < low) return { gaps: [], checkedThrough: after };
  const sorted = [...aggs].sort((x, y) => x[1] - y[1]);
  const gaps: TradeIdGap[] = [];
  for (const [a, f, l, timeMs] of sorted) {
    if (l < low || f > bound) continue;
    const missing: IdRange[] = streamed.missingIn(Math.max(f, low), Math.min(l, bound));
    for (const [from, to] of missing) {
      const last = gaps[gaps.length - 1];
      if (last && last.toId + 1 === from) {
        last.toId = to;
        last.toTimeMs = timeMs;
        last.toAggId = a;
      } else {
        gaps.push({ fromId: from, toId: to, fromTimeMs: timeMs, toTimeMs: timeMs, fromAggId: a, toAggId: a });
      }
    }
  }
  return { gaps, checkedThrough: bound };
}
