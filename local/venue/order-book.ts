/**
 * The venue's own order book, keyed by integer price mantissa (exponent -8), with absolute
 * quantities as Binance's depth streams carry them (qty 0 removes the level).
 *
 * Each side keeps a sorted array of keys with the best level LAST (bids ascending by price, asks
 * ascending by negated price), because nearly all activity is at the top of the book and inserting
 * or removing near the end of an array moves almost nothing.
 */
import type { PriceLevel } from '../../core/sbe/messages.ts';

export const Side = { Bid: 0, Ask: 1 } as const;
export type Side = (typeof Side)[keyof typeof Side];

function keyOf(side: Side, price: number): number {
  return side === Side.Bid ? price : -price;
}

function priceOf(side: Side, key: number): number {
  return side === Side.Bid ? key : -key;
}

/** Index of the first key >= `key` in an ascending array. */
function lowerBound(keys: number[], key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as number) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class OrderBook {
  private readonly qty: [Map<number, number>, Map<number, number>] = [new Map(), new Map()];
  private readonly keys: [number[], number[]] = [[], []];
  /** The update id the book is at (Binance's `lastUpdateId`). */
  lastUpdateId = 0;

  /** Sets a level's absolute quantity; 0 removes it. */
  set(side: Side, price: number, qty: number): void {
    const map = this.qty[side];
    const keys = this.keys[side];
    const had = map.has(price);
    if (qty === 0) {
      if (!had) return;
      map.delete(price);
      const key = keyOf(side, price);
      keys.splice(lowerBound(keys, key), 1);
      return;
    }
    map.set(price, qty);
    if (!had) {
      const key = keyOf(side, price);
      const at = lowerBound(keys, key);
      if (at === keys.length) keys.push(key);
      else keys.splice(at, 0, key);
    }
  }

  qtyAt(side: Side, price: number): number {
    return this.qty[side].get(price) ?? 0;
  }

  size(side: Side): number {
    return this.keys[side].length;
  }

  /** Price of the level `k` places from the best (0 = best), or undefined. */
  priceAt(side: Side, k: number): number | undefined {
    const keys = this.keys[side];
    const key = keys[keys.length - 1 - k];
    return key === undefined ? undefined : priceOf(side, key);
  }

  best(side: Side): number | undefined {
    return this.priceAt(side, 0);
  }

  /** The best `n` levels, best first. */
  top(side: Side, n: number): PriceLevel[] {
    const keys = this.keys[side];
    const map = this.qty[side];
    const count = Math.min(n, keys.length);
    const out: PriceLevel[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const price = priceOf(side, keys[keys.length - 1 - i] as number);
      out[i] = { priceMantissa: price, qtyMantissa: map.get(price) as number };
    }
    return out;
  }

  clear(): void {
    for (const side of [Side.Bid, Side.Ask] as const) {
      this.qty[side].clear();
      this.keys[side].length = 0;
    }
    this.lastUpdateId = 0;
  }

  clone(): OrderBook {
    const copy = new OrderBook();
    for (const side of [Side.Bid, Side.Ask] as const) {
      for (const [price, qty] of this.qty[side]) copy.qty[side].set(price, qty);
      copy.keys[side] = this.keys[side].slice();
    }
    copy.lastUpdateId = this.lastUpdateId;
    return copy;
  }

  /** True when both sides hold the same levels with the same quantities (ids not compared). */
  sameLevels(other: OrderBook): boolean {
    for (const side of [Side.Bid, Side.Ask] as const) {
      if (this.qty[side].size !== other.qty[side].size) return false;
      for (const [price, qty] of this.qty[side]) if (other.qty[side].get(price) !== qty) return false;
    }
    return true;
  }
}
