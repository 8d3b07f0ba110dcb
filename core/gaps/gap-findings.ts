/**
 * What the gap detector reports: one finding per gap, with the criterion that found it and a typed
 * reason (each has its own counter), the ids and the duration it covers. Pure types.
 */
import type { StreamKind } from '../market/streams.ts';

export type GapCriterion = 'sequence' | 'time' | 'trade-id' | 'volume';

export const GAP_REASONS = [
  /** The aggregator saw a depth diff that does not continue the book (Binance's U = u + 1 rule). */
  'sequence-gap',
  /** A depth20 snapshot disagreed with the book built from diffs. */
  'checksum-mismatch',
  /** No book yet (no re-anchor has built one). */
  'book-missing',
  /** The book is still marked stale in Redis: its re-anchor has not happened (requested again). */
  'book-stale',
  /** No depth event for longer than the threshold of exchange time while other streams moved on. */
  'depth-silent',
  /** Trade ids REST aggTrades cover that the trade stream lacks. */
  'trade-id-gap',
  /** A minute's streamed trade volume differs from REST's kline volume beyond the tolerance. */
  'volume-mismatch',
] as const;
export type GapReason = (typeof GAP_REASONS)[number];

export type GapStream = StreamKind;

export interface GapFinding {
  criterion: GapCriterion;
  reason: GapReason;
  stream: GapStream;
  symbol: string;
  fromId: number | null;
  toId: number | null;
  durationMs: number;
  detail: string;
}

/** Counters per reason, every reason present (0 when nothing was found). */
export function countByReason(findings: readonly GapFinding[]): Record<GapReason, number> {
  const counts = Object.fromEntries(GAP_REASONS.map((r) => [r, 0])) as Record<GapReason, number>;
  for (const f of findings) counts[f.reason]++;
  return counts;
}

/** The aggregator's stale reasons (core/aggregation/depth-batch.ts) as gap reasons. */
export function reasonOfStale(stale: string): GapReason {
  if (stale === 'gap') return 'sequence-gap';
  if (stale === 'checksum') return 'checksum-mismatch';
  return 'book-missing';
}
