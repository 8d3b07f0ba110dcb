/**
 * One line of each bronze dataset (docs/bronze-layout.md): Binance's names and decimal strings at the
 * REST datasets (as Binance sends them), the exact frame bytes in the stream archive. Pure types and
 * converters; gzip and S3 live in the adapters.
 */

/** `rest/aggTrades` (and `rest/aggTrades_backfill`): `/api/v3/aggTrades` as Binance sends it. */
export interface AggTradeLine {
  /** Aggregate trade id. */
  a: number;
  p: string;
  q: string;
  /** First and last trade id the aggregate covers. */
  f: number;
  l: number;
  /** Trade time, ms. */
  T: number;
  m: boolean;
  M: boolean;
  recvTimeUs: number;
}

/** `rest/klines_1m`: one closed 1-minute kline. */
export interface KlineLine {
  openTimeMs: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  closeTimeMs: number;
  quoteVolume: string;
  trades: number;
  takerBuyBase: string;
  takerBuyQuote: string;
  recvTimeUs: number;
}

/** `rest/depth`: one REST depth snapshot per object. */
export interface DepthLine {
  lastUpdateId: number;
  bids: [string, string][];
  asks: [string, string][];
  recvTimeUs: number;
  /**
   * Who fetched it: the re-anchor's snapshots are the ones the live book was anchored on (the
   * poller's only feed the warehouse). Absent in lines written before it was recorded.
   */
  source?: DepthLineSource;
  /**
   * The re-anchor's book went live as this snapshot plus the logged diffs through this update id
   * (absent when the snapshot did not connect, or was not the re-anchor's): where an offline replay
   * must sync it to see what the live book saw.
   */
  anchoredThroughId?: number;
}

export type DepthLineSource = 'reanchor' | 'poller';

/** `stream/*`: one SBE frame as received. */
export interface StreamFrameLine {
  recvTimeUs: number;
  templateId: number;
  eventTimeUs: number;
  /** Depth diff U/u; depth20 and bestBidAsk bookUpdateId twice; trades the first and last trade id. */
  firstId: number;
  lastId: number;
  /** Base64 of the exact frame bytes. */
  sbe: string;
}

export interface LedgerGap {
  cause: string;
  fromId: number | null;
  toId: number | null;
  durationMs: number;
}

/** `ledger/completeness`: one line per day and stream. */
export interface LedgerLine {
  day: string;
  stream: string;
  messages: number;
  gaps: LedgerGap[];
  reanchors: number;
  snapshotAgesMs: number[];
}

/** A Binance kline array `[openTime, open, high, low, close, volume, closeTime, quoteVolume, trades, takerBuyBase, takerBuyQuote, ignore]`. */
export type BinanceKline = [
  number,
  string,
  string,
  string,
  string,
  string,
  number,
  string,
  number,
  string,
  string,
  ...unknown[],
];

export function klineLine(k: BinanceKline, recvTimeUs: number): KlineLine {
  return {
    openTimeMs: k[0],
    open: k[1],
    high: k[2],
    low: k[3],
    close: k[4],
    volume: k[5],
    closeTimeMs: k[6],
    quoteVolume: k[7],
    trades: k[8],
    takerBuyBase: k[9],
    takerBuyQuote: k[10],
    recvTimeUs,
  };
}
