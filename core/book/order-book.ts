/**
 * A local order book kept by Binance's procedure: set from a snapshot, then diffs applied only when
 * they continue its update id (diff-rule.ts). Prices and quantities are integer mantissas at the
 * symbol's exponent. Pure: the aggregator mirrors it in memory, the re-anchor builds one from a
 * snapshot, tests and the venue compare against it.
 */
import { BookSide } from './book-side.ts';
import { classifyDiff, type DiffVerdict } from './diff-rule.ts';

export type Level = readonly [price: number, qty: number];

export interface BookDiff {
  firstUpdateId: number;
  lastUpdateId: number;
  bids: readonly Level[];
  asks: readonly Level[];
}

export class OrderBook {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);
  /** 0 until a snapshot sets it. */
  updateId = 0;

  static fromSnapshot(lastUpdateId: number, bids: readonly Level[], asks: readonly Level[]): OrderBook {
    const book = new OrderBook();
    book.reset(lastUpdateId, bids, asks);
    return book;
  }

  reset(lastUpdateId: number, bids: readonly Level[], asks: readonly Level[]): void {
    this.bids.load(bids);
    this.asks.load(asks);
    this.updateId = lastUpdateId;
  }

  /** Applies the diff if Binance's rule allows; returns the verdict either way. */
  apply(diff: BookDiff): DiffVerdict {
    const verdict = classifyDiff(this.updateId, diff.firstUpdateId, diff.lastUpdateId);
    if (verdict !== 'apply') return verdict;
    for (const [p, q] of diff.bids) this.bids.set(p, q);
    for (const [p, q] of diff.asks) this.asks.set(p, q);
    this.updateId = diff.lastUpdateId;
    return verdict;
  }

  /** A book whose best bid is at or above its best ask is corrupt (or mid-sync). */
  isCrossed(): boolean {
    const bid = this.bids.best();
    const ask = this.asks.best();
    return bid !== undefined && ask !== undefined && bid >= ask;
  }
}
