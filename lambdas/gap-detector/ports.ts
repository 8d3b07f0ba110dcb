/**
 * The gap detector's ports: the hot path's signals (Redis in AWS and locally), the re-anchor
 * trigger (an asynchronous Lambda invoke in AWS, in process locally) and REST aggTrades by id.
 */
import type { ReanchorRequestRecord } from '../../core/hot-state/reanchor-request.ts';
import type { BinanceAggTrade } from '../shared/binance/binance-rest-client.ts';

export interface BookMeta {
  /** Why the book is stale ('gap', 'checksum', 'no-book'), if it is. */
  stale?: string;
  staleSinceUs?: number;
  /** Exchange time of the last depth event applied. */
  eventTimeUs?: number;
  /** Exchange time of the newest depth diff received, applied or not (the book may be stale). */
  receivedEventTimeUs?: number;
  updateId?: number;
  /** Re-anchors so far (the swap script counts them). */
  reanchors: number;
  reanchoredAtUs?: number;
}

/** A re-anchor request the aggregator logged: its sequence gap as typed ids. */
export type ReanchorRequestEntry = ReanchorRequestRecord;

export interface GapSignalsSnapshot {
  meta: BookMeta;
  /** Exchange time of the newest bestBidAsk (another stream's clock). */
  bestBidAskEventTimeUs?: number;
  requests: ReanchorRequestEntry[];
}

export interface GapSignals {
  /** The symbol's book meta, best bid/ask time and the re-anchor requests after `afterId`. */
  read(symbol: string, afterId: string): Promise<GapSignalsSnapshot>;
}

export interface ReanchorTrigger {
  trigger(request: { symbol: string; reason: string }): Promise<void>;
}

export interface AggTradesById {
  aggTrades(symbol: string, q: { fromId: number; limit: number }): Promise<BinanceAggTrade[]>;
}
