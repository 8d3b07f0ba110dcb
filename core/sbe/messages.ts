/**
 * Decoded Binance SBE stream messages, with the schema's names and units. Decimals stay integer
 * mantissas with their exponent (value = mantissa * 10^exponent) until the domain boundary; every
 * int64 is a JS number because the decoders refuse values beyond 2^53 rather than round them.
 */
import type { TemplateId } from './abi.ts';

export interface PriceLevel {
  priceMantissa: number;
  qtyMantissa: number;
}

export interface Trade {
  id: number;
  priceMantissa: number;
  qtyMantissa: number;
  isBuyerMaker: boolean;
}

interface StreamEvent {
  eventTimeUs: number;
  priceExponent: number;
  qtyExponent: number;
  symbol: string;
}

/** `<symbol>@trade`: the fills of one taker order. */
export interface TradesEvent extends StreamEvent {
  templateId: typeof TemplateId.Trades;
  transactTimeUs: number;
  trades: Trade[];
}

/** `<symbol>@bestBidAsk`: ids may jump (Binance culls stale events), so no gap check applies. */
export interface BestBidAskEvent extends StreamEvent {
  templateId: typeof TemplateId.BestBidAsk;
  bookUpdateId: number;
  bidPriceMantissa: number;
  bidQtyMantissa: number;
  askPriceMantissa: number;
  askQtyMantissa: number;
}

/** `<symbol>@depth20`: the top 20 levels per side. */
export interface DepthSnapshotEvent extends StreamEvent {
  templateId: typeof TemplateId.DepthSnapshot;
  bookUpdateId: number;
  bids: PriceLevel[];
  asks: PriceLevel[];
}

/** `<symbol>@depth`: absolute quantities for changed levels; qty 0 removes the level. */
export interface DepthDiffEvent extends StreamEvent {
  templateId: typeof TemplateId.DepthDiff;
  firstBookUpdateId: number;
  lastBookUpdateId: number;
  bids: PriceLevel[];
  asks: PriceLevel[];
}

export type SbeMessage = TradesEvent | BestBidAskEvent | DepthSnapshotEvent | DepthDiffEvent;
