/**
 * The top of the book as the features read it: domain floats (price in quote currency, qty in base),
 * best level first. Every place that computes features must convert mantissas the same way, so the
 * conversion lives here: m / 10^-e is one correctly rounded division, the double nearest to the
 * decimal Binance printed (m * 10^e would round twice, 10^-8 itself being inexact).
 */
import type { BookSide } from '../book/book-side.ts';

export type BookLevel = readonly [price: number, qty: number];

export interface BookTop {
  /** Best (highest) bid first. */
  bids: readonly BookLevel[];
  /** Best (lowest) ask first. */
  asks: readonly BookLevel[];
}

/** Levels the features read: imbalance goes 10 deep. */
export const BOOK_TOP_DEPTH = 10;

export function mantissaToNumber(mantissa: number, exponent: number): number {
  return exponent < 0 ? mantissa / 10 ** -exponent : mantissa * 10 ** exponent;
}

/** The best `depth` levels of two book sides held in mantissas (core/book), as a BookTop. */
export function bookTopFromSides(
  bids: BookSide,
  asks: BookSide,
  priceExponent: number,
  qtyExponent: number,
  depth: number = BOOK_TOP_DEPTH,
): BookTop {
  const convert = ([p, q]: [number, number]): BookLevel => [
    mantissaToNumber(p, priceExponent),
    mantissaToNumber(q, qtyExponent),
  ];
  return { bids: bids.top(depth).map(convert), asks: asks.top(depth).map(convert) };
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
