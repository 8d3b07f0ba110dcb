/**
 * What a market source produces: exchange events with exchange times (µs), in the order the
 * exchange emits them. Two families:
 * - truth events change the venue's true book or trade tape (`snapshot`, `bookChanges`, `trades`);
 * - wire events are what subscribers receive (`depthDiff`, `bestBidAsk`, `trades`).
 * `trades` is both. A synthetic source emits the book's individual changes (one update id each) and,
 * every 20 ms, the diff that summarises them; a replay emits each recorded diff as both.
 */
import type { PriceLevel, Trade } from '../../core/sbe/messages.ts';
import type { Side } from './order-book.ts';

export interface LevelChange {
  side: Side;
  priceMantissa: number;
  /** Absolute quantity after the change; 0 removes the level. */
  qtyMantissa: number;
  /** The update id at which this change happened. */
  updateId: number;
}

/** Seeds (or re-seeds) the true book: the synthetic market's opening book, a recording's REST line. */
export interface SnapshotEvent {
  type: 'snapshot';
  symbol: string;
  timeUs: number;
  lastUpdateId: number;
  bids: PriceLevel[];
  asks: PriceLevel[];
  /**
   * No snapshot exists (a recording made without one): the truth starts empty at the first diff and
   * learns each level as it changes (docs/adr/0090).
   */
  reconstructed?: boolean;
}

/**
 * Changes to the true book. When `firstUpdateId` is set the changes are only known as one block
 * covering [firstUpdateId, last change's updateId] (a recorded diff): the truth then has the
 * resolution of that block.
 */
export interface BookChangesEvent {
  type: 'bookChanges';
  symbol: string;
  timeUs: number;
  firstUpdateId?: number;
  changes: LevelChange[];
}

/** The fills of one taker order (`<s>@trade`). */
export interface TradesEvent {
  type: 'trades';
  symbol: string;
  eventTimeUs: number;
  transactTimeUs: number;
  trades: Trade[];
}

/** `<s>@depth`: absolute quantities of the levels changed in [firstUpdateId, lastUpdateId]. */
export interface DepthDiffEvent {
  type: 'depthDiff';
  symbol: string;
  eventTimeUs: number;
  firstUpdateId: number;
  lastUpdateId: number;
  bids: PriceLevel[];
  asks: PriceLevel[];
}

/** `<s>@bestBidAsk`. */
export interface BestBidAskEvent {
  type: 'bestBidAsk';
  symbol: string;
  eventTimeUs: number;
  bookUpdateId: number;
  bidPriceMantissa: number;
  bidQtyMantissa: number;
  askPriceMantissa: number;
  askQtyMantissa: number;
}

export type MarketEvent = SnapshotEvent | BookChangesEvent | TradesEvent | DepthDiffEvent | BestBidAskEvent;

/** Events that share one pacing time: the pump releases a batch when the market clock reaches `paceUs`. */
export interface MarketBatch {
  /** Market time at which the batch is due (µs, monotonic within a source). */
  paceUs: number;
  events: MarketEvent[];
}

/** The oracle forecast a source knows (the synthetic market's latent state), or why it has none. */
export type OracleAnswer =
  | { ok: true; asOfUs: number; forecast: number; informedFlow: boolean }
  | { ok: false; reason: string };

/** One interface for the synthetic market and for replays (and any later live relay). */
export interface MarketSource {
  readonly kind: string;
  /**
   * E[ln(mid(t + horizon) / mid(t))] as of the last market window at or before `atUs`; only sources
   * that know a latent state (the synthetic market) have it.
   */
  oracle?(symbol: string, atUs: number, horizonUs: number): OracleAnswer;
  /** The symbols this source produces, upper case (`BTCUSDT`). */
  readonly symbols: readonly string[];
  batches(): AsyncIterable<MarketBatch>;
  /** Releases files or timers; the pump calls it when it stops early. */
  close(): Promise<void>;
}

/** The time an event happened at on the exchange. */
export function eventTimeUs(e: MarketEvent): number {
  return e.type === 'snapshot' || e.type === 'bookChanges' ? e.timeUs : e.eventTimeUs;
}
