/**
 * The re-anchor's port to the hot state, in its own terms: the per-symbol lock with its fencing
 * token, what the book and its feature state look like now, the diff log to replay, a temporary
 * book to build, and the atomic swap that puts it live. Redis implements it
 * (lambdas/shared/redis/redis-book-anchoring.ts); every key is in core/hot-state/keys.ts.
 */
import type { Level } from '../../core/book/order-book.ts';

/** What the swap needs besides the temporary book. */
export interface SwapRequest {
  /** The last diff-log entry replayed ('0-0' if none): a newer one means diffs arrived since. */
  lastLogId: string;
  updateId: number;
  /** Exchange time of the last diff replayed (0: none). */
  eventTimeUs: number;
  nowUs: number;
  /** The feature state advanced through the replayed diffs; '' leaves the aggregator's. */
  featureStateJson: string;
}

export type SwapOutcome =
  | { status: 'swapped'; epoch: number /** The script alone, by Redis' clock. */; serverMs: number }
  /** Diffs arrived after `lastLogId`: catch up from there and swap again. */
  | { status: 'diffs-arrived'; newestLogId: string }
  /** The lock expired and another run holds it: that run must win. */
  | { status: 'lost-lock' };

export interface BookStatus {
  /** Swapped in at least once (epoch > 0). */
  anchored: boolean;
  stale: boolean;
  updateId: number;
  /** The feature state as the aggregator left it (JSON), or null before any. */
  featureState: string | null;
}

/** One entry of the diff log: its stream id and the SBE frame as received. */
export interface DiffLogEntry {
  id: string;
  frame: Uint8Array;
}

export interface BookAnchoring {
  /** Takes the symbol's lock for `ttlMs` with a fresh fencing token; undefined while another run holds it. */
  lock(symbol: string, ttlMs: number): Promise<string | undefined>;
  /** Releases the lock if `token` still holds it. */
  release(symbol: string, token: string): Promise<void>;
  /** The book's meta and feature state, read together. */
  bookStatus(symbol: string): Promise<BookStatus>;
  /** Diff-log entries after `afterId` (exclusive), or all of them without it. */
  diffLog(symbol: string, afterId?: string): Promise<DiffLogEntry[]>;
  /** Sets levels (qty 0 removes) in the temporary book of `token`; it expires on its own. */
  writeTemporary(
    symbol: string,
    token: string,
    bids: readonly Level[],
    asks: readonly Level[],
  ): Promise<void>;
  deleteTemporary(symbol: string, token: string): Promise<void>;
  /**
   * Puts the temporary book of `token` live in one atomic step, if the lock and the log allow; the
   * book it replaced is kept aside (expiring by itself) until `dropRetired`.
   */
  swap(symbol: string, token: string, request: SwapRequest): Promise<SwapOutcome>;
  /** Frees the book a swap of `token` replaced, off the swap's round trip. */
  dropRetired(symbol: string, token: string): Promise<void>;
}
