/**
 * Bronze objects → table rows (docs/bronze-layout.md). Keys:
 *   bronze/<source>/<dataset>/symbol=<SYMBOL>/dt=YYYY-MM-DD/hour=HH/<first>-<last>.ndjson.gz
 * Bodies are gzip NDJSON. The datasets this connector loads are below; `stream/*` (raw SBE frames)
 * stays in S3 for replay and is not a table. A malformed line fails the object (it is retried and,
 * if it keeps failing, reported), never skipped silently.
 */
import { gunzipSync } from 'node:zlib';
import type {
  AggTradeRow,
  BookSnapshotRow,
  KlineRow,
  ServedRow,
} from '../shared/sql/market-data-repository.ts';

export const LOADED_DATASETS = ['rest/aggTrades', 'rest/klines_1m', 'rest/depth', 'features/served'] as const;
export type LoadedDataset = (typeof LOADED_DATASETS)[number];

export interface BronzeKey {
  key: string;
  dataset: LoadedDataset;
  symbol: string;
  /** `dt=YYYY-MM-DD/hour=HH`, the partition. */
  partition: string;
}

export type BronzeRows =
  | { dataset: 'rest/aggTrades'; rows: AggTradeRow[] }
  | { dataset: 'rest/klines_1m'; rows: KlineRow[] }
  | { dataset: 'rest/depth'; rows: BookSnapshotRow[] }
  | { dataset: 'features/served'; rows: ServedRow[] };

export class BronzeFormatError extends Error {
  override readonly name = 'BronzeFormatError';
  constructor(key: string, line: number, reason: string) {
    super(`${key}, line ${line}: ${reason}.`);
  }
}

const KEY =
  /^bronze\/([^/]+\/[^/]+)\/symbol=([A-Z0-9]+)\/(dt=\d{4}-\d{2}-\d{2}\/hour=\d{2})\/[^/]+\.ndjson(\.gz)?$/;

/** The dataset, symbol and partition of a key this connector loads, or undefined. */
export function parseBronzeKey(key: string): BronzeKey | undefined {
  const m = KEY.exec(key);
  if (!m || !(LOADED_DATASETS as readonly string[]).includes(m[1] as string)) return undefined;
  return { key, dataset: m[1] as LoadedDataset, symbol: m[2] as string, partition: m[3] as string };
}

/** Binance sends ms unless asked for µs (X-MBX-TIME-UNIT): 13-digit times are ms, 16-digit µs. */
export function toMicros(t: number): number {
  return t < 1e14 ? t * 1000 : t;
}

const str = (x: unknown): string | null => (x === undefined || x === null ? null : String(x));
const num = (x: unknown): number | null => (x === undefined || x === null ? null : Number(x));

function need<T>(value: T | null | undefined, what: string, key: string, line: number): T {
  if (value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value)))
    throw new BronzeFormatError(key, line, `${what} is missing`);
  return value;
}

export function parseBronzeObject(k: BronzeKey, body: Uint8Array): BronzeRows {
  const text = (body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : Buffer.from(body)).toString('utf8');
  const lines: { n: number; j: Record<string, unknown> }[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      lines.push({ n: i + 1, j: JSON.parse(line) });
    } catch {
      throw new BronzeFormatError(k.key, i + 1, 'not JSON');
    }
  });
  const { symbol, key } = k;
  switch (k.dataset) {
    case 'rest/aggTrades':
      return {
        dataset: k.dataset,
        rows: lines.map(({ n, j }) => ({
          symbol,
          aggTradeId: need(num(j.a), 'a', key, n),
          price: need(str(j.p), 'p', key, n),
          qty: need(str(j.q), 'q', key, n),
          firstTradeId: need(num(j.f), 'f', key, n),
          lastTradeId: need(num(j.l), 'l', key, n),
          tradeTimeUs: toMicros(need(num(j.T), 'T', key, n)),
          isBuyerMaker: Boolean(need(j.m, 'm', key, n)),
          isBestMatch: j.M === undefined ? null : Boolean(j.M),
          recvTimeUs: num(j.recvTimeUs),
        })),
      };
    case 'rest/klines_1m':
      return {
        dataset: k.dataset,
        rows: lines.map(({ n, j }) => ({
          symbol,
          openTimeMs: need(num(j.openTimeMs), 'openTimeMs', key, n),
          open: need(str(j.open), 'open', key, n),
          high: need(str(j.high), 'high', key, n),
          low: need(str(j.low), 'low', key, n),
          close: need(str(j.close), 'close', key, n),
          volume: need(str(j.volume), 'volume', key, n),
          closeTimeMs: need(num(j.closeTimeMs), 'closeTimeMs', key, n),
          quoteVolume: str(j.quoteVolume),
          trades: num(j.trades),
          takerBuyBase: str(j.takerBuyBase),
          takerBuyQuote: str(j.takerBuyQuote),
          recvTimeUs: num(j.recvTimeUs),
        })),
      };
    case 'rest/depth':
      return {
        dataset: k.dataset,
        rows: lines.map(({ n, j }) => {
          if (!Array.isArray(j.bids) || !Array.isArray(j.asks))
            throw new BronzeFormatError(key, n, 'bids / asks are not arrays');
          return {
            symbol,
            lastUpdateId: need(num(j.lastUpdateId), 'lastUpdateId', key, n),
            recvTimeUs: num(j.recvTimeUs),
            bids: j.bids as [string, string][],
            asks: j.asks as [string, string][],
          };
        }),
      };
    case 'features/served':
      return {
        dataset: k.dataset,
        rows: lines.map(({ n, j }) => {
          if (!Array.isArray(j.values)) throw new BronzeFormatError(key, n, 'values is not an array');
          return {
            symbol,
            eventTimeUs: need(num(j.eventTimeUs), 'eventTimeUs', key, n),
            featureVersion: need(num(j.v), 'v', key, n),
            values: j.values as (number | null)[],
            modelVersion: str(j.modelVersion),
            predictionLogReturn: num(j.predictionLogReturn),
            horizonUs: num(j.horizonUs),
          };
        }),
      };
  }
}
