/**
 * Plans what one Kinesis batch of depth frames (diffs and depth20) changes in a symbol's book.
 * Works on the aggregator's in-memory mirror and the decoded records directly (no message objects);
 * the result is the net change the Redis adapter writes with one compare-and-set call.
 *
 * Rules (web-socket-streams.md, "How to manage a local order book correctly", via core/book):
 * - every diff is logged, applied or not, so a re-anchor can replay it;
 * - a diff applies only if it continues the book (U <= id+1 <= u); an old one changes nothing;
 * - a diff ahead of the book (U > id+1) waits for the rest of the batch: a delivery that swapped two
 *   diffs fills the hole and both apply in id order; a hole still open at the end of the batch is a
 *   gap, which marks the book stale and asks for a re-anchor, and nothing after it is applied;
 * - a depth20 snapshot taken at exactly the book's update id must equal the book's top 20, a free
 *   end-to-end checksum: a mismatch also marks the book stale.
 * Pure: no clock, no I/O.
 */
import { classifyDiff } from '../book/diff-rule.ts';
import type { Level, OrderBook } from '../book/order-book.ts';
import { type BookTop, bookTopFromSides } from '../features/book-top.ts';
import { type FeatureState, GRID_US } from '../features/feature-state.ts';

export type StaleReason = 'no-book' | 'gap' | 'checksum';

/** What the aggregator holds for one symbol between batches (mirrors Redis). */
export interface SymbolDepthState {
  symbol: string;
  /** Undefined until the first re-anchor has built a book. */
  book: OrderBook | undefined;
  epoch: number;
  stale: StaleReason | undefined;
  priceExponent: number;
  qtyExponent: number;
  features: FeatureState;
}

export interface LoggedDiff {
  firstUpdateId: number;
  lastUpdateId: number;
  frame: Uint8Array;
}

export interface DepthWrite {
  symbol: string;
  /** The state this plan was made on: the write is refused if Redis moved on. */
  expectedEpoch: number;
  expectedUpdateId: number;
  updateId: number;
  /** Exchange time of the last applied diff (0 if none). */
  lastEventTimeUs: number;
  /**
   * Exchange time of the newest diff the batch received, applied or not (0 if none): the depth
   * stream is flowing even while the book is stale and nothing applies.
   */
  receivedEventTimeUs: number;
  /**
   * The instant the batch's feature vector describes: the newest 100 ms grid point its diffs reached
   * or crossed, and the top of the book as of that instant (after the last diff at or before it).
   * Diffs later in the same 100 ms belong to the next instant; an offline replay of the same diffs
   * sees the same book there (core/model/feature-replay.ts). Undefined when the batch crossed no
   * grid point (its diffs all follow one that already had): the vector of that instant stands.
   */
  featureTimeUs?: number;
  featureTop?: BookTop;
  bidChanges: Level[];
  askChanges: Level[];
  log: LoggedDiff[];
  /** Set when this batch found the book unusable: mark it stale and request a re-anchor. */
  markStale?: { reason: StaleReason; expectedId: number; receivedId: number };
  applied: number;
  old: number;
  checks: number;
  mismatches: number;
  /** depth20 snapshots whose id fell inside a diff's range: nothing to compare them with. */
  unaligned: number;
  appliedEventTimesUs: number[];
  /** When the ingestor received each applied diff (µs), from the frame envelope. */
  appliedReceiveTimesUs: number[];
}

const CHECK_LEVELS = 20;
/** Diffs that may wait in a batch for a hole to fill before the hole counts as a gap. */
const MAX_AHEAD = 64;

/** A diff ahead of the book, its levels copied (the decoder's arrays are reused per record). */
type AheadDiff = [
  firstUpdateId: number,
  lastUpdateId: number,
  eventTimeUs: number,
  levels: number[],
  bidCount: number,
  askCount: number,
  receiveTimeUs: number,
];

interface PendingCheck {
  updateId: number;
  bids: Level[];
  asks: Level[];
}

export class DepthBatch {
  private readonly bidChanges = new Map<number, number>();
  private readonly askChanges = new Map<number, number>();
  private readonly log: LoggedDiff[] = [];
  private readonly pending: PendingCheck[] = [];
  private readonly ahead: AheadDiff[] = [];
  private readonly expectedEpoch: number;
  private readonly expectedUpdateId: number;
  private markStale: DepthWrite['markStale'];
  private lastEventTimeUs = 0;
  private receivedEventTimeUs = 0;
  /** Top after the latest applied diff, and the top as of the grid point `gridTimeUs`. */
  private currentTop: BookTop | undefined;
  private gridTop: BookTop | undefined;
  private gridTimeUs = Number.NEGATIVE_INFINITY;
  private applied = 0;
  private old = 0;
  private checks = 0;
  private mismatches = 0;
  private unaligned = 0;
  private readonly appliedEventTimesUs: number[] = [];
  private readonly appliedReceiveTimesUs: number[] = [];

  constructor(
    readonly state: SymbolDepthState,
    private readonly logDiffs = true,
  ) {
    this.expectedEpoch = state.epoch;
    this.expectedUpdateId = state.book?.updateId ?? 0;
  }

  /** A depth diff [U, u]; levels[start…] holds bidCount bids then askCount asks, (price, qty) pairs. */
  diff(
    firstUpdateId: number,
    lastUpdateId: number,
    eventTimeUs: number,
    levels: ArrayLike<number>,
    start: number,
    bidCount: number,
    askCount: number,
    frame: Uint8Array,
    receiveTimeUs = 0,
  ): void {
    if (this.logDiffs) this.log.push({ firstUpdateId, lastUpdateId, frame: frame.slice() });
    if (eventTimeUs > this.receivedEventTimeUs) this.receivedEventTimeUs = eventTimeUs;
    const s = this.state;
    const book = s.book;
    if (!book) {
      this.stale('no-book', 0, firstUpdateId);
      return;
    }
    if (s.stale) return;
    const verdict = classifyDiff(book.updateId, firstUpdateId, lastUpdateId);
    if (verdict === 'old') {
      this.old++;
      return;
    }
    if (verdict === 'gap') {
      if (this.ahead.length >= MAX_AHEAD) {
        this.stale('gap', book.updateId + 1, firstUpdateId);
        return;
      }
      const n = (bidCount + askCount) * 2;
      const copy = Array.from({ length: n }, (_, j) => levels[start * 2 + j] as number);
      this.ahead.push([firstUpdateId, lastUpdateId, eventTimeUs, copy, bidCount, askCount, receiveTimeUs]);
      return;
    }
    this.apply(book, lastUpdateId, eventTimeUs, levels, start, bidCount, askCount, receiveTimeUs);
    this.applyAhead(book);
    this.runDueChecks();
  }

  /** Applies the waiting diffs the book now reaches, in update-id order. */
  private applyAhead(book: OrderBook): void {
    if (this.ahead.length === 0) return;
    this.ahead.sort((a, b) => a[0] - b[0]);
    while (this.ahead.length > 0) {
      const [first, last, timeUs, levels, bidCount, askCount, receivedUs] = this.ahead[0] as AheadDiff;
      const verdict = classifyDiff(book.updateId, first, last);
      if (verdict === 'gap') return;
      this.ahead.shift();
      if (verdict === 'old') this.old++;
      else this.apply(book, last, timeUs, levels, 0, bidCount, askCount, receivedUs);
    }
  }

  private apply(
    book: OrderBook,
    lastUpdateId: number,
    eventTimeUs: number,
    levels: ArrayLike<number>,
    start: number,
    bidCount: number,
    askCount: number,
    receiveTimeUs: number,
  ): void {
    const s = this.state;
    // Applied at the feature state's time, which never goes back (a late diff joins the latest).
    const previousUs = s.features.lastBookTimeUs;
    const t = Math.max(eventTimeUs, previousUs ?? 0);
    const grid = Math.floor(t / GRID_US) * GRID_US;
    if (t > grid && (previousUs === undefined || previousUs <= grid)) {
      // The first diff past a grid point (in this batch or any before): the book before it is the
      // book as of that point. A diff later in the same 100 ms leaves it: the batch that crossed the
      // point (maybe an earlier one) has described it already.
      this.gridTop =
        this.currentTop ?? bookTopFromSides(book.bids, book.asks, s.priceExponent, s.qtyExponent);
      this.gridTimeUs = grid;
    }
    for (let j = 0; j < bidCount + askCount; j++) {
      const at = (start + j) * 2;
      const price = levels[at] as number;
      const qty = levels[at + 1] as number;
      if (j < bidCount) {
        book.bids.set(price, qty);
        this.bidChanges.set(price, qty);
      } else {
        book.asks.set(price, qty);
        this.askChanges.set(price, qty);
      }
    }
    book.updateId = lastUpdateId;
    this.applied++;
    this.lastEventTimeUs = eventTimeUs;
    this.appliedEventTimesUs.push(eventTimeUs);
    this.appliedReceiveTimesUs.push(receiveTimeUs);
    const top = bookTopFromSides(book.bids, book.asks, s.priceExponent, s.qtyExponent);
    this.currentTop = top;
    if (t === grid) {
      this.gridTop = top;
      this.gridTimeUs = grid;
    }
    s.features.onBookTop(top, eventTimeUs);
  }

  /** A depth20 snapshot at `updateId`: compared with the book when the book is at exactly that id. */
  snapshot(
    updateId: number,
    levels: ArrayLike<number>,
    start: number,
    bidCount: number,
    askCount: number,
  ): void {
    const book = this.state.book;
    if (!book || this.state.stale) return;
    if (updateId < book.updateId) {
      this.unaligned++;
      return;
    }
    const side = (from: number, n: number): Level[] =>
      Array.from({ length: Math.min(n, CHECK_LEVELS) }, (_, j) => [
        levels[(from + j) * 2] as number,
        levels[(from + j) * 2 + 1] as number,
      ]);
    this.pending.push({ updateId, bids: side(start, bidCount), asks: side(start + bidCount, askCount) });
    this.runDueChecks();
  }

  finish(): DepthWrite {
    const book = this.state.book;
    const waiting = this.ahead[0];
    if (book && waiting) this.stale('gap', book.updateId + 1, waiting[0]);
    // Snapshots still ahead of the book stay unchecked: their diff is in a later batch.
    this.unaligned += this.pending.length;
    return {
      symbol: this.state.symbol,
      expectedEpoch: this.expectedEpoch,
      expectedUpdateId: this.expectedUpdateId,
      updateId: this.state.book?.updateId ?? 0,
      lastEventTimeUs: this.lastEventTimeUs,
      receivedEventTimeUs: this.receivedEventTimeUs,
      ...(this.gridTop && { featureTimeUs: this.gridTimeUs, featureTop: this.gridTop }),
      bidChanges: [...this.bidChanges],
      askChanges: [...this.askChanges],
      log: this.log,
      markStale: this.markStale,
      applied: this.applied,
      old: this.old,
      checks: this.checks,
      mismatches: this.mismatches,
      unaligned: this.unaligned,
      appliedEventTimesUs: this.appliedEventTimesUs,
      appliedReceiveTimesUs: this.appliedReceiveTimesUs,
    };
  }

  private runDueChecks(): void {
    const book = this.state.book;
    if (!book) return;
    for (let k = this.pending.length - 1; k >= 0; k--) {
      const check = this.pending[k] as PendingCheck;
      if (check.updateId > book.updateId) continue;
      this.pending.splice(k, 1);
      if (check.updateId < book.updateId) {
        this.unaligned++;
        continue;
      }
      this.checks++;
      const same = (expected: Level[], actual: [number, number][]) =>
        expected.length === actual.length &&
        expected.every(([p, q], j) => actual[j]?.[0] === p && actual[j]?.[1] === q);
      if (
        !same(check.bids, book.bids.top(check.bids.length)) ||
        !same(check.asks, book.asks.top(check.asks.length))
      ) {
        this.mismatches++;
        this.stale('checksum', book.updateId, check.updateId);
      }
    }
  }

  private stale(reason: StaleReason, expectedId: number, receivedId: number): void {
    if (this.state.stale) return;
    this.state.stale = reason;
    this.pending.length = 0;
    this.ahead.length = 0;
    this.markStale = { reason, expectedId, receivedId };
  }
}
