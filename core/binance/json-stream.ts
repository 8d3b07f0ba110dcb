/**
 * Binance's JSON market streams (the format of the recordings in ../shared/data) and their mapping
 * onto the SBE stream messages carrying the same information. JSON times are milliseconds, SBE
 * times microseconds; JSON decimals are strings, SBE decimals mantissas with exponent -8.
 */
import { TemplateId } from '../sbe/abi.ts';
import type {
  BestBidAskEvent,
  DepthDiffEvent,
  PriceLevel,
  SbeMessage,
  TradesEvent,
} from '../sbe/messages.ts';
import { parseDecimalMantissa } from './decimal.ts';

/** The exponent Binance's SBE streams use for BTCUSDT prices and quantities. */
export const BINANCE_EXPONENT = -8;

type JsonLevel = [price: string, qty: string];

/** `<symbol>@depth` / `@depth@100ms`. */
export interface JsonDepthUpdate {
  e: 'depthUpdate';
  E: number;
  s: string;
  U: number;
  u: number;
  b: JsonLevel[];
  a: JsonLevel[];
}

/** `<symbol>@trade`. */
export interface JsonTrade {
  e: 'trade';
  E: number;
  s: string;
  t: number;
  p: string;
  q: string;
  T: number;
  m: boolean;
}

/** `<symbol>@bookTicker`: spot bookTicker has no event time. */
export interface JsonBookTicker {
  u: number;
  s: string;
  b: string;
  B: string;
  a: string;
  A: string;
}

export type JsonStreamMessage = JsonDepthUpdate | JsonTrade | JsonBookTicker;

const MS_TO_US = 1000;

function levels(json: JsonLevel[]): PriceLevel[] {
  return json.map(([price, qty]) => ({
    priceMantissa: parseDecimalMantissa(price, BINANCE_EXPONENT),
    qtyMantissa: parseDecimalMantissa(qty, BINANCE_EXPONENT),
  }));
}

export function depthUpdateToSbe(d: JsonDepthUpdate): DepthDiffEvent {
  return {
    templateId: TemplateId.DepthDiff,
    eventTimeUs: d.E * MS_TO_US,
    firstBookUpdateId: d.U,
    lastBookUpdateId: d.u,
    priceExponent: BINANCE_EXPONENT,
    qtyExponent: BINANCE_EXPONENT,
    bids: levels(d.b),
    asks: levels(d.a),
    symbol: d.s,
  };
}

export function tradeToSbe(t: JsonTrade): TradesEvent {
  return {
    templateId: TemplateId.Trades,
    eventTimeUs: t.E * MS_TO_US,
    transactTimeUs: t.T * MS_TO_US,
    priceExponent: BINANCE_EXPONENT,
    qtyExponent: BINANCE_EXPONENT,
    trades: [
      {
        id: t.t,
        priceMantissa: parseDecimalMantissa(t.p, BINANCE_EXPONENT),
        qtyMantissa: parseDecimalMantissa(t.q, BINANCE_EXPONENT),
        isBuyerMaker: t.m,
      },
    ],
    symbol: t.s,
  };
}

/** `eventTimeUs` must come from elsewhere (the receive time, or the last exchange time seen). */
export function bookTickerToSbe(b: JsonBookTicker, eventTimeUs: number): BestBidAskEvent {
  return {
    templateId: TemplateId.BestBidAsk,
    eventTimeUs,
    bookUpdateId: b.u,
    priceExponent: BINANCE_EXPONENT,
    qtyExponent: BINANCE_EXPONENT,
    bidPriceMantissa: parseDecimalMantissa(b.b, BINANCE_EXPONENT),
    bidQtyMantissa: parseDecimalMantissa(b.B, BINANCE_EXPONENT),
    askPriceMantissa: parseDecimalMantissa(b.a, BINANCE_EXPONENT),
    askQtyMantissa: parseDecimalMantissa(b.A, BINANCE_EXPONENT),
    symbol: b.s,
  };
}

export function isDepthUpdate(m: JsonStreamMessage): m is JsonDepthUpdate {
  return 'e' in m && m.e === 'depthUpdate';
}
export function isTrade(m: JsonStreamMessage): m is JsonTrade {
  return 'e' in m && m.e === 'trade';
}

/** The SBE message for a JSON stream message; bookTicker takes `fallbackEventTimeUs`. */
export function jsonToSbe(m: JsonStreamMessage, fallbackEventTimeUs: number): SbeMessage {
  if (isDepthUpdate(m)) return depthUpdateToSbe(m);
  if (isTrade(m)) return tradeToSbe(m);
  return bookTickerToSbe(m, fallbackEventTimeUs);
}
