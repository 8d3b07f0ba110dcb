/**
 * One side of an order book: quantities by price mantissa, plus the prices kept sorted best-first
 * so the top N levels are read without sorting. Binance diffs carry absolute quantities; 0 removes
 * the level. Inserting into a sorted array is a binary search and a memmove: cheap for the few
 * thousand levels a Binance book view holds.
 */
export class BookSide {
  private readonly qty = new Map<number, number>();
  /** Best first: descending for bids, ascending for asks. */
  private readonly prices: number[] = [];

  constructor(readonly descending: boolean) {}

  get size(): number {
    return this.prices.length;
  }

  /** Sets a level's absolute quantity; 0 removes it. */
  set(price: number, quantity: number): void {
    const known = this.qty.has(price);
    if (quantity === 0) {
      if (!known) return;
      this.qty.delete(price);
      this.prices.splice(this.indexOf(price), 1);
      return;
    }
    this.qty.set(price, quantity);
    if (!known) this.prices.splice(this.indexOf(price), 0, price);
  }

  quantity(price: number): number {
    return this.qty.get(price) ?? 0;
  }

  /** The best price, or undefined when the side is empty. */
  best(): number | undefined {
    return this.prices[0];
  }

  /** Price at depth i (0 = best). */
  priceAt(i: number): number | undefined {
    return this.prices[i];
  }

  /** The best `n` levels as [price, qty] pairs. */
  top(n: number): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < Math.min(n, this.prices.length); i++) {
      const p = this.prices[i] as number;
      out.push([p, this.qty.get(p) as number]);
    }
    return out;
  }

  clear(): void {
    this.qty.clear();
    this.prices.length = 0;
  }

  /** Where `price` is or would be inserted, keeping best-first order. */
  private indexOf(price: number): number {
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.prices[mid] as number;
      if (this.descending ? p > price : p < price) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
