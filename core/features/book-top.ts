/**
 * The top of the book as the features read it: domain floats (price in quote currency, qty in base),
 * best level first. Every place that computes features must convert mantissas the same way:
 * `mantissaToNumber` (core/binance/decimal.ts), one correctly rounded division.
 */
import { mantissaToNumber } from '../binance/decimal.ts';
import type { BookSide } from '../book/book-side.ts';

export { mantissaToNumber };

export type BookLevel = readonly [price: number, qty: number];

export interface BookTop {
  /** Best (highest) bid first. */
  bids: readonly BookLevel[];
  /** Best (lowest) ask first. */
  asks: readonly BookLevel[];
}

/** Levels the features read: imbalance goes 10 deep. */
export const BOOK_TOP_DEPTH = 10;

/**
 * The best `depth` levels of two book sides held in mantissas (core/book), as a BookTop. The sides
 * convert each level once and share the tuples between reads (BookSide.topNumbers): reading the top
 * after every diff costs two small arrays, not a division and a tuple per level.
 */
export function bookTopFromSides(
  bids: BookSide,
  asks: BookSide,
  priceExponent: number,
  qtyExponent: number,
  depth: number = BOOK_TOP_DEPTH,
): BookTop {
  return {
    bids: bids.topNumbers(depth, priceExponent, qtyExponent),
    asks: asks.topNumbers(depth, priceExponent, qtyExponent),
  };
}

/** Best bid and ask when both sides have a positive quantity and the book is not crossed. */
export function validBest(
  top: BookTop,
): { bidPrice: number; bidQty: number; askPrice: number; askQty: number } | undefined {
  const bid = top.bids[0];
  const ask = top.asks[0];
  if (bid === undefined || ask === undefined) return undefined;
  const [bidPrice, bidQty] = bid;
  const [askPrice, askQty] = ask;
  if (!(bidQty > 0 && askQty > 0 && bidPrice > 0 && bidPrice < askPrice && Number.isFinite(askPrice)))
    return undefined;
  return { bidPrice, bidQty, askPrice, askQty };
}

/** (bid qty - ask qty) / (bid qty + ask qty) over the best `depth` levels; NaN with fewer levels. */
export function imbalance(book: BookTop, depth: number): number {
  if (book.bids.length < depth || book.asks.length < depth) return Number.NaN;
  let bid = 0;
  let ask = 0;
  for (let k = 0; k < depth; k++) {
    bid += (book.bids[k] as BookLevel)[1];
    ask += (book.asks[k] as BookLevel)[1];
  }
  return bid + ask > 0 ? (bid - ask) / (bid + ask) : Number.NaN;
}
