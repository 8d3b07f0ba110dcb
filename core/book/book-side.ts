/**
 * One side of an order book: quantities by price mantissa, kept sorted so the top N levels are read
 * without sorting. Binance diffs carry absolute quantities; 0 removes the level.
 *
 * Layout (docs/adr/0110-order-book-layout.md): one Float64Array of (key, qty) pairs, sorted ascending
 * by key with the BEST level LAST (key = price for bids, -price for asks). On BTCUSDT nearly all
 * inserts and deletes land within a few hundred levels of the top of a book thousands deep, so keeping
 * the top at the end makes an insert or delete move only the levels better than it (a push at the
 * top), and a level's key and quantity move together in one memmove.
 * The best levels are also kept as domain numbers, converted once per level and shared by every
 * read, because the features read the top after every diff.
 */
import { mantissaToNumber } from '../binance/decimal.ts';

/** A level in domain units (price in quote currency, qty in base); never mutated once made. */
export type NumericLevel = readonly [price: number, qty: number];

const INITIAL_CAPACITY = 256;
/** Levels whose numeric form is cached: the features read 10 deep, the depth20 check 20. */
export const CACHED_TOP_LEVELS = 32;
/** Below this many elements a loop beats the native memmove's call overhead. */
const LOOP_MOVE_MAX = 16;

export class BookSide {
  /** Level i is (levels[2i] = key, levels[2i + 1] = qty). */
  private levels = new Float64Array(2 * INITIAL_CAPACITY);
  private count = 0;
  /** +1 for bids (key = price), -1 for asks (key = -price): ascending keys put the best last. */
  private readonly sign: number;
  /** Numeric levels by rank from the best (0 = best); undefined until read. */
  private readonly numeric: (NumericLevel | undefined)[] = new Array(CACHED_TOP_LEVELS).fill(undefined);
  private numericPriceExponent = Number.NaN;
  private numericQtyExponent = Number.NaN;

  /** `descending`: best is the highest price (bids); otherwise the lowest (asks). */
  constructor(readonly descending: boolean) {
    this.sign = descending ? 1 : -1;
  }

  get size(): number {
    return this.count;
  }

  /** Sets a level's absolute quantity; 0 removes it. */
  set(price: number, quantity: number): void {
    const key = this.sign * price;
    const n = this.count;
    const at = this.lowerBound(key);
    if (at < n && this.levels[2 * at] === key) {
      const rank = n - 1 - at;
      if (quantity === 0) {
        this.moveDown(at + 1, n);
        this.count = n - 1;
        if (rank < CACHED_TOP_LEVELS) this.forgetRemoved(rank);
      } else {
        this.levels[2 * at + 1] = quantity;
        if (rank < CACHED_TOP_LEVELS) this.numeric[rank] = undefined;
      }
      return;
    }
    if (quantity === 0) return;
    if (2 * n === this.levels.length) this.grow();
    this.moveUp(at, n);
    this.levels[2 * at] = key;
    this.levels[2 * at + 1] = quantity;
    this.count = n + 1;
    const rank = n - at;
    if (rank < CACHED_TOP_LEVELS) this.forgetInserted(rank);
  }

  quantity(price: number): number {
    const key = this.sign * price;
    const at = this.lowerBound(key);
    return at < this.count && this.levels[2 * at] === key ? (this.levels[2 * at + 1] as number) : 0;
  }

  /** The best price, or undefined when the side is empty. */
  best(): number | undefined {
    return this.priceAt(0);
  }

  /** Price at depth i (0 = best). */
  priceAt(i: number): number | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.sign * (this.levels[2 * (this.count - 1 - i)] as number);
  }

  /** The best `n` levels as [price, qty] mantissa pairs, best first. */
  top(n: number): [number, number][] {
    const count = Math.min(n, this.count);
    const out: [number, number][] = new Array(count);
    for (let i = 0; i < count; i++) {
      const at = 2 * (this.count - 1 - i);
      out[i] = [this.sign * (this.levels[at] as number), this.levels[at + 1] as number];
    }
    return out;
  }

  /**
   * The best `n` levels in domain numbers (mantissaToNumber at the given exponents), best first. The
   * level tuples are shared between reads until their level changes, so callers must not mutate them.
   */
  topNumbers(n: number, priceExponent: number, qtyExponent: number): NumericLevel[] {
    if (priceExponent !== this.numericPriceExponent || qtyExponent !== this.numericQtyExponent) {
      this.numeric.fill(undefined);
      this.numericPriceExponent = priceExponent;
      this.numericQtyExponent = qtyExponent;
    }
    const count = Math.min(n, this.count);
    const out: NumericLevel[] = new Array(count);
    const last = this.count - 1;
    for (let i = 0; i < count; i++) {
      let level = i < CACHED_TOP_LEVELS ? this.numeric[i] : undefined;
      if (level === undefined) {
        const at = 2 * (last - i);
        level = [
          mantissaToNumber(this.sign * (this.levels[at] as number), priceExponent),
          mantissaToNumber(this.levels[at + 1] as number, qtyExponent),
        ];
        if (i < CACHED_TOP_LEVELS) this.numeric[i] = level;
      }
      out[i] = level;
    }
    return out;
  }

  /** Replaces the side with `levels` (in any order; a later duplicate wins, qty 0 removes). */
  load(levels: Iterable<readonly [price: number, qty: number]>): void {
    const latest = new Map<number, number>();
    for (const [p, q] of levels) latest.set(this.sign * p, q);
    const keys = [...latest.keys()].filter((k) => latest.get(k) !== 0).sort((a, b) => a - b);
    let capacity = INITIAL_CAPACITY;
    while (capacity < keys.length) capacity *= 2;
    this.levels = new Float64Array(2 * capacity);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as number;
      this.levels[2 * i] = key;
      this.levels[2 * i + 1] = latest.get(key) as number;
    }
    this.count = keys.length;
    this.numeric.fill(undefined);
  }

  clear(): void {
    this.count = 0;
    this.numeric.fill(undefined);
  }

  /**
   * Index of the first key >= `key` (ascending keys). A plain bisection: galloping from the top
   * measured no faster on BTCUSDT (ADR 0110), the moves dominate.
   */
  private lowerBound(key: number): number {
    const levels = this.levels;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((levels[2 * mid] as number) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Opens a hole at level `at` by moving levels [at, n) up one place. */
  private moveUp(at: number, n: number): void {
    const levels = this.levels;
    if (n - at <= LOOP_MOVE_MAX) {
      for (let i = 2 * n + 1; i > 2 * at + 1; i--) levels[i] = levels[i - 2] as number;
    } else levels.copyWithin(2 * at + 2, 2 * at, 2 * n);
  }

  /** Closes the hole before level `from` by moving levels [from, n) down one place. */
  private moveDown(from: number, n: number): void {
    const levels = this.levels;
    if (n - from <= LOOP_MOVE_MAX) {
      for (let i = 2 * from; i < 2 * n; i++) levels[i - 2] = levels[i] as number;
    } else levels.copyWithin(2 * from - 2, 2 * from, 2 * n);
  }

  private grow(): void {
    const levels = new Float64Array(this.levels.length * 2);
    levels.set(this.levels);
    this.levels = levels;
  }

  /** A level inserted at `rank`: the cached levels from there on move one rank down. */
  private forgetInserted(rank: number): void {
    const numeric = this.numeric;
    for (let r = CACHED_TOP_LEVELS - 1; r > rank; r--) numeric[r] = numeric[r - 1];
    numeric[rank] = undefined;
  }

  /** The level at `rank` removed: the cached levels below it move one rank up. */
  private forgetRemoved(rank: number): void {
    const numeric = this.numeric;
    for (let r = rank; r < CACHED_TOP_LEVELS - 1; r++) numeric[r] = numeric[r + 1];
    numeric[CACHED_TOP_LEVELS - 1] = undefined;
  }
}
