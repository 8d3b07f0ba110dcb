/**
 * What every history format is read into: exchange records with integer mantissas (exponent -8, as
 * Binance's SBE streams carry BTCUSDT), in the order the file holds them. `recvUs` is the recorder's
 * clock when the file has one (Binance recordings, tardis.dev's `local_timestamp`); otherwise the
 * exchange time. core/history/tape-order.ts turns records into the exchange-time tape FeatureReplay
 * consumes; the venue's replay source turns them into market events.
 */
import type { Level } from '../book/order-book.ts';

/** A REST depth snapshot (or a tardis.dev `is_snapshot` block). */
export interface SnapshotRecord {
  kind: 'snapshot';
  recvUs: number;
  symbol?: string;
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
  /**
   * The book is to be replaced by this one even when it is in sync: tardis.dev starts a new snapshot
   * after every reconnection of its recorder, and its update ids are the reader's own (see
   * tardis-csv.ts), so a diff stream cannot tell whether anything was missed.
   */
  reset?: boolean;
}

/** A depth diff: absolute quantities of the levels changed in [firstUpdateId, lastUpdateId]. */
export interface DiffRecord {
  kind: 'diff';
  recvUs: number;
  symbol: string;
  /** Exchange event time (`E`). */
  timeUs: number;
  firstUpdateId: number;
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
}

export interface TradeRecord {
  kind: 'trade';
  recvUs: number;
  symbol: string;
  /** Trade time (`T`): the key TradeWindows uses. */
  timeUs: number;
  /** Event time (`E`), the trade time when the format has only one. */
  eventTimeUs: number;
  id: number;
  priceMantissa: number;
  qtyMantissa: number;
  isBuyerMaker: boolean;
}

/**
 * The true top of the book at one update id: `bookTicker` (best bid and ask) or a partial-depth
 * stream (`depth20`: the best 20 levels each side, contiguous). A free checksum of a reconstructed
 * book (core/book/known-levels.ts).
 */
export interface TopRecord {
  kind: 'top';
  recvUs: number;
  symbol: string;
  source: 'bookTicker' | 'depth20';
  updateId: number;
  /** Exchange time when the stream carries one (spot bookTicker does not). */
  timeUs?: number;
  bids: Level[];
  asks: Level[];
}

export type HistoryRecord = SnapshotRecord | DiffRecord | TradeRecord | TopRecord;

/** Mantissa exponent of prices and quantities in records. */
export const RECORD_EXPONENT = -8;

/** A line the reader cannot read: names the file and the line (1-based). */
export class HistoryFormatError extends Error {
  override readonly name = 'HistoryFormatError';
  readonly retryable = false;
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}.`);
    this.file = file;
    this.line = line;
  }
}

/** A parser's complaint about one line, before the adapter knows which file it came from. */
export class LineFormatError extends Error {
  override readonly name = 'LineFormatError';
}
