/**
 * What a book rebuilt from the diff stream alone (no REST snapshot) knows (docs/adr/0090).
 *
 * A depth diff carries the absolute quantity of every level that changed, 0 for a removed one. So
 * from the first diff on, a price becomes *known* the first time a diff names it, and stays known
 * (every later change is in a later diff): its quantity in the rebuilt book is then the true one,
 * including "empty". A price never named is *unknown*: the true book may hold a level there that has
 * not changed since the recording began.
 *
 * The rule for trusting the top: the best `k` levels of a side are certain when every tick from the
 * best price down to the k-th level's price is known, and every tick strictly inside the spread is
 * known on both sides (an unknown tick there could hide a better bid or ask). With a one-tick spread
 * the inside holds no tick at all, so the best bid and ask are certain as soon as both are known.
 * A true top from the exchange at the book's exact update id (`bookTicker`, partial depth) is a free
 * checksum: its levels are set and become known, the ticks between its levels known empty, and a
 * disagreement with the rebuilt book is counted.
 *
 * Bounded memory: a long replay visits ever more prices, and the set would grow with them. Every
 * decision reads only prices within MAX_TICKS_WALKED ticks of the best bid or ask, so when a side holds
 * more than `pruneAbove` prices, those farther than `bandTicks` from the last best seen are forgotten.
 * Forgetting only turns known into unknown, and a decision on fewer known prices certifies no more
 * than before (never a level the full set would not): the rule stays safe. With the default band
 * (twice the walk), decisions are unchanged unless the price has moved more than a walk since the
 * best was last seen (docs/adr/0132). Pure.
 */
import type { Level } from './order-book.ts';

/** BTCUSDT's price tick, 0.01, at exponent -8. */
export const DEFAULT_TICK_MANTISSA = 1_000_000;

/** Ticks walked at most per side when certifying (far beyond the 10 levels the features read). */
const MAX_TICKS_WALKED = 20_000;
/** A true top whose levels span more ticks than this is not used to mark gaps empty. */
const MAX_GAP_TICKS = 5_000;

export interface KnownLevelsBounds {
  /** Prices kept around the last best seen when a side is pruned. @default 2 × MAX_TICKS_WALKED */
  bandTicks?: number;
  /** Known prices on one side past which it is pruned (a few MB of set). @default 100_000 */
  pruneAbove?: number;
}

export interface BookSideView {
  /** Best price, or undefined when the side is empty. */
  best(): number | undefined;
  /** Price at depth i (0 = best). */
  priceAt(i: number): number | undefined;
  quantity(price: number): number;
  set(price: number, qty: number): void;
}

export interface TopCheck {
  /** The true top agreed with the rebuilt book at that id before being learnt. */
  agreed: boolean;
}

export class KnownLevels {
  private readonly bids = new Set<number>();
  private readonly asks = new Set<number>();
  topsChecked = 0;
  topsDisagreed = 0;
  /** Prices forgotten by pruning (docs/adr/0132). */
  pruned = 0;
  private readonly bandMantissa: number;
  private readonly pruneAbove: number;
  /** The best bid and ask last seen (certainDepth, learnTop): the centre of what pruning keeps. */
  private lastBestBid: number | undefined;
  private lastBestAsk: number | undefined;
  private nextPruneBids: number;
  private nextPruneAsks: number;

  constructor(
    readonly tickMantissa: number = DEFAULT_TICK_MANTISSA,
    bounds: KnownLevelsBounds = {},
  ) {
    if (!(Number.isSafeInteger(tickMantissa) && tickMantissa > 0))
      throw new RangeError(`tickMantissa ${tickMantissa} is not a positive integer.`);
    const bandTicks = bounds.bandTicks ?? 2 * MAX_TICKS_WALKED;
    this.pruneAbove = bounds.pruneAbove ?? 100_000;
    if (!(Number.isSafeInteger(bandTicks) && bandTicks > 0))
      throw new RangeError(`bandTicks ${bandTicks} is not a positive integer.`);
    if (!(Number.isSafeInteger(this.pruneAbove) && this.pruneAbove > 0))
      throw new RangeError(`pruneAbove ${this.pruneAbove} is not a positive integer.`);
    this.bandMantissa = bandTicks * tickMantissa;
    this.nextPruneBids = this.pruneAbove;
    this.nextPruneAsks = this.pruneAbove;
  }

  /** Marks the levels of an applied diff as known. */
  learnDiff(bids: readonly Level[], asks: readonly Level[]): void {
    for (const [p] of bids) this.bids.add(p);
    for (const [p] of asks) this.asks.add(p);
    if (this.bids.size > this.nextPruneBids) this.nextPruneBids = this.prune(this.bids, this.lastBestBid);
    if (this.asks.size > this.nextPruneAsks) this.nextPruneAsks = this.prune(this.asks, this.lastBestAsk);
  }

  /**
   * Forgets the prices farther than the band from `centre`; returns the size at which to prune next
   * (twice what is left, at least `pruneAbove`, so pruning costs O(1) per price learnt).
   */
  private prune(known: Set<number>, centre: number | undefined): number {
    if (centre !== undefined) {
      for (const p of known) {
        if (Math.abs(p - centre) > this.bandMantissa) {
          known.delete(p);
          this.pruned++;
        }
      }
    }
    return Math.max(this.pruneAbove, 2 * known.size);
  }

  knownPrices(): number {
    return this.bids.size + this.asks.size;
  }

  /**
   * A true top at the book's current update id: compares, then sets its levels (and, `contiguous`
   * being true for partial depth, empties the ticks between them) on the book's sides.
   */
  learnTop(
    bookBids: BookSideView,
    bookAsks: BookSideView,
    bids: readonly Level[],
    asks: readonly Level[],
    contiguous: boolean,
  ): TopCheck {
    this.topsChecked++;
    if (bids[0]) this.lastBestBid = bids[0][0];
    if (asks[0]) this.lastBestAsk = asks[0][0];
    const agreed =
      bids.every(([p, q], i) => bookBids.priceAt(i) === p && bookBids.quantity(p) === q) &&
      asks.every(([p, q], i) => bookAsks.priceAt(i) === p && bookAsks.quantity(p) === q);
    if (!agreed) this.topsDisagreed++;
    const bestBid = bids[0]?.[0];
    const bestAsk = asks[0]?.[0];
    // Nothing better than the true best exists: clear rebuilt levels above it, and the inside.
    if (bestBid !== undefined) this.clearBeyond(bookBids, this.bids, bestBid, true);
    if (bestAsk !== undefined) this.clearBeyond(bookAsks, this.asks, bestAsk, false);
    if (
      bestBid !== undefined &&
      bestAsk !== undefined &&
      (bestAsk - bestBid) / this.tickMantissa <= MAX_GAP_TICKS
    ) {
      for (let p = bestBid + this.tickMantissa; p < bestAsk; p += this.tickMantissa) {
        this.bids.add(p);
        this.asks.add(p);
      }
    }
    this.setLevels(bookBids, this.bids, bids, contiguous, -1);
    this.setLevels(bookAsks, this.asks, asks, contiguous, 1);
    return { agreed };
  }

  /**
   * How many of the best levels of each side are certain (up to `maxDepth`); both are 0 while the
   * inside of the spread is not entirely known.
   */
  certainDepth(
    bookBids: BookSideView,
    bookAsks: BookSideView,
    maxDepth: number,
  ): { bids: number; asks: number } {
    const bid = bookBids.best();
    const ask = bookAsks.best();
    if (bid !== undefined) this.lastBestBid = bid;
    if (ask !== undefined) this.lastBestAsk = ask;
    if (bid === undefined || ask === undefined || bid >= ask) return { bids: 0, asks: 0 };
    const inside = (ask - bid) / this.tickMantissa - 1;
    if (inside > MAX_TICKS_WALKED) return { bids: 0, asks: 0 };
    for (let p = bid + this.tickMantissa; p < ask; p += this.tickMantissa)
      if (!this.bids.has(p) || !this.asks.has(p)) return { bids: 0, asks: 0 };
    return {
      bids: this.sideDepth(bookBids, this.bids, -this.tickMantissa, maxDepth),
      asks: this.sideDepth(bookAsks, this.asks, this.tickMantissa, maxDepth),
    };
  }

  private sideDepth(side: BookSideView, known: Set<number>, step: number, maxDepth: number): number {
    let depth = 0;
    let walked = 0;
    let p = side.best() as number;
    // The best level itself is known (it is in the rebuilt book only because a diff named it).
    for (;;) {
      if (side.quantity(p) > 0) {
        depth++;
        if (depth >= maxDepth) return depth;
      }
      p += step;
      if (++walked > MAX_TICKS_WALKED || p <= 0 || !known.has(p)) return depth;
    }
  }

  private clearBeyond(side: BookSideView, known: Set<number>, best: number, descending: boolean): void {
    for (
      let top = side.best();
      top !== undefined && (descending ? top > best : top < best);
      top = side.best()
    ) {
      side.set(top, 0);
      known.add(top);
    }
  }

  private setLevels(
    side: BookSideView,
    known: Set<number>,
    levels: readonly Level[],
    contiguous: boolean,
    step: -1 | 1,
  ): void {
    let previous: number | undefined;
    for (const [p, q] of levels) {
      if (
        contiguous &&
        previous !== undefined &&
        Math.abs(p - previous) / this.tickMantissa <= MAX_GAP_TICKS
      ) {
        for (
          let g = previous + step * this.tickMantissa;
          step < 0 ? g > p : g < p;
          g += step * this.tickMantissa
        ) {
          side.set(g, 0);
          known.add(g);
        }
      }
      side.set(p, q);
      known.add(p);
      previous = p;
    }
  }
}
